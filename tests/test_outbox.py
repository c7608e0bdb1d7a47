"""Posting through the outbox: a poster killed between the destination's write and the store's
update, a destination down for a while, refusals, exhausted retries, and exclusive claims.

The crash is real: CONTRACTFLOW_FAULT=crash-after-destination-write makes the poster process call
os._exit(137) right after the destination accepted the record (pipeline/outbox.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors import ConnectorUnavailable, connector_for
from connectors.tryton import AGREEMENT
from connectors.webhook import WebhookConnector
from pipeline import outbox
from pipeline.flow import Context, run_inline, run_step
from pipeline.ingest import register
from pipeline.models import ContractRecord, Status
from pipeline.reconcile import reconcile
from pipeline.settings import Settings
from pipeline.store import DocumentRow, OutboxItem, PostingRow, session
from tests.conftest import ROOT, SAMPLES
from tests.fake_openai import FakeOpenAI, load_expected, sample_documents
from tests.test_connectors_webhook import SECRET, Receiver, receiver
from tests.test_run_e2e import RUN_TIMEOUT_S, contractflow
from tests.tryton_fixtures import TrytonServer, tryton, tryton_template

__all__ = ["receiver", "tryton", "tryton_template"]  # fixtures used here

EXPECTED = load_expected(SAMPLES)
POSTED = [stem for stem, expected in EXPECTED.items() if expected["status"] == "posted"]
PATHS = sample_documents(SAMPLES)


def settings_for(home: Path, model: FakeOpenAI, **options: Any) -> Settings:
    return Settings(home=home, llm_base_url=model.base_url, llm_model="fake", **options)


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The same settings for a `contractflow` child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACTFLOW_")}
    for name, value in settings.model_dump(exclude_defaults=True).items():
        env[f"CONTRACTFLOW_{name.upper()}"] = str(value)
    return {**env, **extra}


def validated(ctx: Context, stems: list[str]) -> list[str]:
    """Documents taken inline up to the post step."""
    ids = []
    for stem in stems:
        document, _ = register(PATHS[stem], ctx.settings)
        for stage in ("parse", "extract", "validate"):
            run_step(ctx, stage, document.id)
        ids.append(document.id)
    return ids


def store(settings: Settings) -> dict[str, tuple[str, str, int, str | None]]:
    """{document id: (document status, outbox status, attempts, posting reference)}."""
    with session(settings.resolved_database_url) as db:
        rows = db.execute(
            select(DocumentRow.id, DocumentRow.status, OutboxItem.status, OutboxItem.attempts, PostingRow.reference)
            .join(OutboxItem, OutboxItem.document_id == DocumentRow.id)
            .outerjoin(PostingRow, PostingRow.document_id == DocumentRow.id)
        )
        return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


def test_poster_killed_after_the_erp_write_posts_once_after_restart(
    tryton: TrytonServer, model: FakeOpenAI, home: Path
) -> None:
    # Lease 0: the restarted poster may take the item at once instead of waiting out the dead one's lease.
    settings = settings_for(home, model, outbox_lease_s=0, **_tryton_settings(tryton))
    ctx = Context(settings)
    ids = validated(ctx, POSTED[:3])

    tryton.stop()  # the ERP is down: each post fails transiently and stays in the outbox
    for document_id in ids:
        with pytest.raises(ConnectorUnavailable):
            run_step(ctx, "post", document_id)
    assert {v[:3] for v in store(settings).values()} == {("validated", "pending", 1)}

    tryton.start()
    crashed = contractflow(environment(settings, CONTRACTFLOW_FAULT="crash-after-destination-write"), "outbox", "drain")
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    assert [a["reference"] for a in tryton.search_read(AGREEMENT, [], ["reference"])] == [ids[0]]
    assert store(settings)[ids[0]][:2] == ("validated", "pending")  # the store never heard of it

    drained = contractflow(environment(settings), "outbox", "drain")
    assert drained.returncode == 0, drained.stderr[-2000:]
    held = {a["reference"]: f"{AGREEMENT},{a['id']}" for a in tryton.search_read(AGREEMENT, [], ["reference"])}
    assert len(tryton.search_read(AGREEMENT, [], ["reference"])) == len(ids)  # one each, no duplicate
    assert store(settings) == {i: ("posted", "delivered", 3 if i == ids[0] else 2, held[i]) for i in ids}
    assert contractflow(environment(settings), "reconcile").returncode == 0


def _tryton_settings(server: TrytonServer) -> dict[str, Any]:
    return {
        "connector": "tryton",
        "tryton_url": server.url,
        "tryton_database": "erp",
        "tryton_password": "admin",
    }


def test_run_twice_against_tryton_creates_parties_and_contracts_once(
    tryton: TrytonServer, model: FakeOpenAI, home: Path
) -> None:
    env = environment(settings_for(home, model, **_tryton_settings(tryton)))
    for _ in range(2):
        result = contractflow(env, "run", str(SAMPLES), "--json")
        assert result.returncode == 0, result.stderr[-3000:]
        agreements = tryton.search_read(AGREEMENT, [], ["reference", "supplier.rec_name"])
        statuses = {Path(d["file"]).stem: (d["status"], d["reason"]) for d in json.loads(result.stdout)["documents"]}
        assert {stem: statuses[stem][0] for stem in POSTED} == dict.fromkeys(POSTED, "posted"), statuses
        assert len(agreements) == len(POSTED)
    assert len({a["reference"] for a in agreements}) == len(POSTED)
    suppliers = [a["supplier."]["rec_name"] for a in agreements]
    parties = Counter(p["name"] for p in tryton.search_read("party.party", [], ["name"]))
    assert all(count == 1 for count in parties.values()), parties  # every party once
    assert set(suppliers) <= set(parties)
    assert contractflow(env, "reconcile").returncode == 0


def _webhook_settings(receiver: Receiver, **options: Any) -> dict[str, Any]:
    return {
        "connector": "webhook",
        "webhook_url": receiver.url,
        "webhook_secret": SECRET,
        "webhook_attempts": 1,
        "webhook_backoff_s": 0.01,
        **options,
    }


def test_destination_down_for_a_while_receives_everything_once_it_is_back(
    receiver: Receiver, model: FakeOpenAI, home: Path
) -> None:
    receiver.stop()  # down from the start; it comes back on the same port
    settings = settings_for(home, model, **_webhook_settings(receiver))
    # Short task backoff, and retries enough that no item gives up before the receiver is back.
    retries = {"CONTRACTFLOW_TASK_BACKOFF_S": "1", "CONTRACTFLOW_TASK_BACKOFF_MAX_S": "2"}
    env = environment(settings, CONTRACTFLOW_TASK_MAX_RETRIES="30", CONTRACTFLOW_OUTBOX_MAX_ATTEMPTS="31", **retries)
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(SAMPLES), "--json"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while len([v for v in _store_or_empty(settings).values() if v[2] >= 1]) < len(POSTED):
            assert run.poll() is None and time.monotonic() < deadline, "posts never failed while the receiver was down"
            time.sleep(0.2)
        receiver.start()
        _, stderr = run.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        run.kill()
    assert run.returncode == 0, stderr[-3000:]
    assert {v[:2] for v in store(settings).values()} == {("posted", "delivered")}
    accepted = Counter(seen.key for seen in receiver.seen if seen.status == 200)
    assert sorted(accepted) == sorted(store(settings)) and set(accepted.values()) == {1}


def _store_or_empty(settings: Settings) -> dict[str, tuple[str, str, int, str | None]]:
    try:
        return store(settings)
    except Exception:  # the run has not created the store yet
        return {}


def test_refused_record_goes_dead_and_a_person_can_retry_it(receiver: Receiver, model: FakeOpenAI, home: Path) -> None:
    settings = settings_for(home, model, **_webhook_settings(receiver))
    ctx = Context(settings)
    receiver.script = lambda key, attempt: (422, {})
    (document_id,) = validated(ctx, POSTED[:1])
    run_inline(ctx, document_id, "post")
    with session(settings.resolved_database_url) as db:
        document, item = db.get_one(DocumentRow, document_id), db.scalars(select(OutboxItem)).one()
        assert (document.status, item.status) == (Status.FAILED, "dead")
        assert "HTTP 422" in (document.reason or "") and f"contractflow outbox retry {item.id}" in (
            document.reason or ""
        )
    env = environment(settings)
    listing = contractflow({**env, "COLUMNS": "200"}, "outbox", "list", "--status", "dead")
    assert listing.returncode == 0 and "HTTP 422" in listing.stdout

    receiver.script = None  # the receiving side was fixed
    assert contractflow(env, "outbox", "retry", str(item.id)).returncode == 0
    assert store(settings)[document_id][:2] == ("validated", "pending")
    drained = contractflow(env, "outbox", "drain")
    assert drained.returncode == 0, drained.stderr
    assert store(settings)[document_id] == ("posted", "delivered", 1, "rcv-1")
    refused = contractflow(env, "outbox", "retry", str(item.id))
    assert refused.returncode == 1 and "delivered already" in refused.stderr


def test_transient_failures_end_dead_after_the_attempts_allowed(
    receiver: Receiver, model: FakeOpenAI, home: Path
) -> None:
    settings = settings_for(home, model, outbox_max_attempts=2, **_webhook_settings(receiver))
    ctx = Context(settings)
    receiver.script = lambda key, attempt: (503, {})
    (document_id,) = validated(ctx, POSTED[:1])
    with pytest.raises(ConnectorUnavailable):
        run_step(ctx, "post", document_id)
    assert store(settings)[document_id][:3] == ("validated", "pending", 1)
    run_step(ctx, "post", document_id)  # the second failure is the last one allowed
    with session(settings.resolved_database_url) as db:
        document = db.get_one(DocumentRow, document_id)
        assert document.status == Status.FAILED and "HTTP 503" in (document.reason or "")
    assert store(settings)[document_id][:3] == ("failed", "dead", 2)
    assert len(receiver.seen) == 2


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, home: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{home / 'state.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_a_claimed_item_is_not_delivered_twice_at_once(receiver: Receiver, home: Path, store_url: str) -> None:
    settings = Settings(home=home, database_url=store_url, **_webhook_settings(receiver))
    document, _ = register(PATHS[POSTED[0]], settings)
    record = ContractRecord(document_id=document.id, filename="c.pdf", fields={"title": "T"}, rules_version="v1")
    outbox.enqueue(settings, record, "webhook", original=None)
    outbox.enqueue(settings, record, "webhook", original=None)  # a redelivered post step adds nothing
    receiver.delay_s = 1.0  # the first poster is still at the destination when the second one comes
    webhook = WebhookConnector(receiver.url, SECRET, timeout_s=10)
    first: list[str] = []
    poster = threading.Thread(target=lambda: first.append(outbox.deliver(settings, webhook, document.id)))
    poster.start()
    deadline = time.monotonic() + 30
    while store(settings)[document.id][2] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(outbox.OutboxBusy):
        outbox.deliver(settings, webhook, document.id)
    poster.join(timeout=30)
    assert outbox.deliver(settings, webhook, document.id) == first[0] == "rcv-1"
    assert len(receiver.seen) == 1


def test_reconcile_reports_differences_both_ways(model: FakeOpenAI, home: Path) -> None:
    settings = settings_for(home, model)
    ctx = Context(settings)
    ids = validated(ctx, POSTED[:2])
    for document_id in ids:
        run_inline(ctx, document_id, "post")
    env = environment(settings)
    assert contractflow(env, "reconcile").returncode == 0
    # The destination loses the first record, holds the second under another line, and gains a stranger.
    lines = settings.resolved_jsonl_path.read_text().splitlines()
    stranger = json.dumps({"idempotency_key": "f" * 64, "record": {}})
    settings.resolved_jsonl_path.write_text("\n".join([lines[1], stranger]) + "\n")
    differences = reconcile(settings, connector_for(settings))
    assert differences.missing == [(ids[0], "contracts.jsonl#1")]
    assert differences.unrecorded == [("f" * 64, "contracts.jsonl#2")]
    assert differences.moved == [(ids[1], "contracts.jsonl#1")]
    report = contractflow({**env, "COLUMNS": "200"}, "reconcile")
    assert report.returncode == 1
    assert f"posted but missing at the destination: {ids[0]}" in report.stdout
    assert f"at the destination but not recorded as posted: {'f' * 64}" in report.stdout


def test_reconcile_says_when_a_destination_cannot_be_listed(receiver: Receiver, model: FakeOpenAI, home: Path) -> None:
    result = contractflow(environment(settings_for(home, model, **_webhook_settings(receiver))), "reconcile")
    assert result.returncode == 2 and "cannot list what it holds" in result.stderr

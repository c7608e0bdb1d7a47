"""The stages end to end in one process (no broker), against the scripted model server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

from pipeline.flow import Context, run_inline, run_step
from pipeline.ingest import register
from pipeline.models import Status
from pipeline.runner import outcomes
from pipeline.settings import Settings
from pipeline.store import ReviewItem, StageRun, session
from tests.conftest import SAMPLES
from tests.fake_openai import FakeOpenAI, Reply, answer_from_expected, load_expected, sample_documents

EXPECTED = load_expected(SAMPLES)
INVENTED = "payment_terms: quote 'payable within ninety days' on page 1 does not state 'Net 90'"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, home: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{home / 'state.db'}"
    return request.getfixturevalue("postgres_url")


def make_context(home: Path, store_url: str, server: FakeOpenAI, **options: Any) -> Context:
    settings = Settings(home=home, database_url=store_url, llm_base_url=server.base_url, llm_model="fake", **options)
    return Context(settings)


def process(ctx: Context, path: Path) -> dict[str, Any]:
    document, _ = register(path, ctx.settings)
    run_inline(ctx, document.id)
    return outcomes(ctx.settings, [document.id])[0].__dict__


def test_every_sample_reaches_its_expected_outcome(home: Path, store_url: str, model: FakeOpenAI) -> None:
    ctx = make_context(home, store_url, model)
    for stem, path in sample_documents(SAMPLES).items():
        expected = EXPECTED[stem]
        result = process(ctx, path)
        assert result["status"] == expected["status"], (stem, result["reason"])
        assert result["fields"] == expected["fields"], stem
        assert {v["rule_id"] for v in result["violations"]} == set(expected["violations"]), stem
        assert (result["erp_reference"] is not None) == (expected["status"] == "posted")
    posted = [json.loads(line) for line in ctx.settings.resolved_jsonl_path.read_text().splitlines()]
    assert len(posted) == sum(e["status"] == "posted" for e in EXPECTED.values())
    warned = next(p for p in posted if p["record"]["filename"].startswith("05_"))
    assert any(w.startswith("value-over-approval-limit") for w in warned["record"]["warnings"])


def test_rule_violation_is_re_asked_once_then_escalated(home: Path, model: FakeOpenAI) -> None:
    ctx = make_context(home, f"sqlite:///{home / 's.db'}", model)
    result = process(ctx, SAMPLES / "06_supply_expiration_before_effective.pdf")
    assert result["status"] == "escalated"
    assert len(model.requests) == 2
    assert "expiration-after-effective" in model.requests[1]["messages"][-1]["content"]
    with session(ctx.settings.resolved_database_url) as db:
        item = db.query(ReviewItem).one()
        assert "expiration-after-effective" in item.reason
        assert item.payload["extraction"]["fields"]["expiration_date"]["evidence"][0]["quote"]


def test_ungrounded_quote_is_re_asked_then_dropped_and_flagged(home: Path, model: FakeOpenAI) -> None:
    def invent(stem: str, answer: dict[str, Any]) -> dict[str, Any]:
        answer["payment_terms"] = {"value": "Net 90", "page": 1, "quote": "payable within ninety days"}
        return answer

    model.responder = answer_from_expected(SAMPLES, transform=invent)
    ctx = make_context(home, f"sqlite:///{home / 's.db'}", model)
    result = process(ctx, SAMPLES / "01_msa_northwind_larkspur.pdf")
    assert len(model.requests) == 2
    assert INVENTED in model.requests[1]["messages"][-1]["content"]
    assert result["fields"]["payment_terms"] is None
    with session(ctx.settings.resolved_database_url) as db:
        from pipeline.store import VerdictRow

        notes = db.get_one(VerdictRow, result["id"]).payload["notes"]
    assert notes == [f"dropped after re-ask: {INVENTED}"]


@pytest.mark.parametrize(
    ("extractor", "reason", "requests"),
    [("agent", "budget exhausted: 4 steps", 4 * 3), ("single", "extraction failed", 3)],
)
def test_model_that_never_fits_the_schema_escalates_within_bounds(
    home: Path, model: FakeOpenAI, extractor: str, reason: str, requests: int
) -> None:
    model.responder = lambda _: Reply.tool("{not json")
    ctx = make_context(home, f"sqlite:///{home / 's.db'}", model, extractor=extractor, agent_max_steps=4)
    result = process(ctx, SAMPLES / "01_msa_northwind_larkspur.pdf")
    assert result["status"] == "escalated"
    assert reason in result["reason"]
    assert len(model.requests) == requests  # each step: one call and instructor's two re-asks


def test_transient_model_error_propagates_for_retry_and_leaves_document_resumable(
    home: Path, model: FakeOpenAI
) -> None:
    model.responder = lambda _: Reply.error(503, "overloaded")
    ctx = make_context(home, f"sqlite:///{home / 's.db'}", model)
    document, _ = register(SAMPLES / "01_msa_northwind_larkspur.pdf", ctx.settings)
    assert run_step(ctx, "parse", document.id) == "extract"
    with pytest.raises(openai.InternalServerError):
        run_step(ctx, "extract", document.id)
    with session(ctx.settings.resolved_database_url) as db:
        runs = db.query(StageRun).filter_by(stage="extract").all()
        assert [r.status for r in runs] == ["retry"]
    model.responder = answer_from_expected(SAMPLES)
    run_inline(ctx, document.id, "extract")
    assert outcomes(ctx.settings, [document.id])[0].status == Status.POSTED


def test_same_bytes_twice_are_one_document_and_finished_work_is_skipped(
    home: Path, model: FakeOpenAI, tmp_path: Path
) -> None:
    ctx = make_context(home, f"sqlite:///{home / 's.db'}", model)
    copy = tmp_path / "renamed.pdf"
    copy.write_bytes((SAMPLES / "01_msa_northwind_larkspur.pdf").read_bytes())
    first = process(ctx, SAMPLES / "01_msa_northwind_larkspur.pdf")
    document, created = register(copy, ctx.settings)
    assert (document.id, created) == (first["id"], False)
    run_inline(ctx, document.id)
    assert len(model.requests) == 1
    assert len(ctx.settings.resolved_jsonl_path.read_text().splitlines()) == 1


def test_unparseable_file_fails_with_reason_and_is_kept(home: Path, model: FakeOpenAI, tmp_path: Path) -> None:
    ctx = make_context(home, f"sqlite:///{home / 's.db'}", model)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    result = process(ctx, broken)
    assert result["status"] == "failed"
    assert result["reason"].startswith("cannot parse: unreadable PDF")
    kept = list(ctx.settings.document_store.rglob(f"{result['id']}*"))
    assert kept and kept[0].read_bytes() == broken.read_bytes()
    assert model.requests == []

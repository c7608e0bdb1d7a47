"""The review queue: escalations and parse failures queued with their kind, approve / reject through the
service and the web app (sign-in, CSRF, files only from the document store), and the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipeline.cli import app as cli_app
from pipeline.flow import Context, run_inline
from pipeline.ingest import register
from pipeline.models import Extraction, Status
from pipeline.review import service
from pipeline.review.auth import hash_password, verify_password
from pipeline.review.kinds import ReviewKind, classify
from pipeline.review.web import create_app
from pipeline.settings import Settings, get_settings
from pipeline.store import AuditEntry, DocumentRow, ExtractionRow, ReviewItem, session
from tests.conftest import SAMPLES
from tests.fake_openai import FakeOpenAI

ESCALATING = SAMPLES / "06_supply_expiration_before_effective.pdf"
PASSWORD = "correct horse battery staple"
USERS = {"alice": hash_password(PASSWORD)}


def review_settings(home: Path, model: FakeOpenAI, database_url: str | None = None) -> Settings:
    return Settings(
        home=home, database_url=database_url, llm_base_url=model.base_url, llm_model="fake", review_users=USERS
    )


def process(ctx: Context, path: Path) -> str:
    document, _ = register(path, ctx.settings)
    run_inline(ctx, document.id)
    return document.id


def posted_lines(settings: Settings) -> list[dict[str, Any]]:
    path = settings.resolved_jsonl_path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def ctx(home: Path, model: FakeOpenAI) -> Context:
    return Context(review_settings(home, model))


@pytest.fixture
def escalated(ctx: Context) -> str:
    document_id = process(ctx, ESCALATING)
    with session(ctx.settings.resolved_database_url) as db:
        assert db.get_one(DocumentRow, document_id).status == Status.ESCALATED
    return document_id


def test_passwords_are_scrypt_hashes() -> None:
    encoded = USERS["alice"]
    assert encoded.startswith("scrypt$") and PASSWORD not in encoded
    assert verify_password(PASSWORD, encoded) and not verify_password("wrong", encoded)
    assert not verify_password(PASSWORD, "garbage")


@pytest.mark.parametrize(
    ("stage", "reason", "kind"),
    [
        ("validate", "rule expiration-after-effective: expiration_date ...", ReviewKind.RULE_VIOLATION),
        ("validate", "low confidence: title 0.30 < 0.50; rule x: y", ReviewKind.LOW_CONFIDENCE),
        ("validate", "suspected prompt injection: white text on page 1", ReviewKind.SUSPECTED_INJECTION),
        ("validate", "budget exhausted: 6 steps", ReviewKind.BUDGET_EXHAUSTED),
        ("extract", "extraction failed: the model never fit the schema", ReviewKind.EXTRACTION_FAILURE),
        ("parse", "cannot parse: unreadable PDF", ReviewKind.PARSE_FAILURE),
    ],
)
def test_reason_kinds(stage: str, reason: str, kind: ReviewKind) -> None:
    assert classify(stage, reason) == kind


def test_escalation_is_queued_with_kind_message_fields_and_evidence(ctx: Context, escalated: str) -> None:
    with ctx.db() as db:
        [entry] = service.queue(db)
        view = service.review_view(db, escalated)
    assert (entry.kind, entry.state, entry.filename) == ("rule_violation", "open", ESCALATING.name)
    assert "expiration-after-effective" in entry.reason
    expiration = next(f for f in view.fields if f.name == "expiration_date")
    assert expiration.text == "2024-08-31" and expiration.confidence is not None
    assert expiration.quotes[0].text.startswith("shall expire on 31 August 2024")
    marked = [s for page in view.pages for s in page.segments if s.field == "expiration_date"]
    assert " ".join(marked[0].text.split()) == expiration.quotes[0].text  # the quote, line breaks aside
    assert marked[0].anchor == "ev-expiration_date"


def test_parse_failure_is_reviewable_and_stays_failed(ctx: Context, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot really")
    document_id = process(ctx, broken)
    with ctx.db() as db:
        [entry] = service.queue(db, kind=ReviewKind.PARSE_FAILURE)
        assert (entry.document_id, entry.document_status) == (document_id, "failed")
        assert service.queue(db, kind=ReviewKind.RULE_VIOLATION) == []
    with pytest.raises(service.ReviewError, match="can only be rejected"):
        service.approve(ctx, document_id, "alice", {})
    service.reject(ctx, document_id, "alice", "scan it again")
    with ctx.db() as db:
        assert db.get_one(DocumentRow, document_id).status == Status.REJECTED


def test_approve_refuses_while_rules_fail_and_saves_nothing(ctx: Context, escalated: str) -> None:
    errors = service.approve(ctx, escalated, "alice", {"expiration_date": "2025-01-01"})
    assert errors == [
        "rule expiration-after-effective: expiration_date 2025-01-01 is not after effective_date 2025-09-01"
    ]
    with ctx.db() as db:
        assert db.get_one(DocumentRow, escalated).status == Status.ESCALATED
        assert service.audit_trail(db, escalated) == []
    with pytest.raises(service.ReviewError, match="expiration_date: cannot read 'someday'"):
        service.approve(ctx, escalated, "alice", {"expiration_date": "someday"})
    assert posted_lines(ctx.settings) == []


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store_ctx(request: pytest.FixtureRequest, home: Path, model: FakeOpenAI) -> Context:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return Context(review_settings(home, model, url))


def test_approve_with_an_edit_posts_once_through_the_post_step(any_store_ctx: Context) -> None:
    ctx = any_store_ctx
    document_id = process(ctx, ESCALATING)
    changes = {"expiration_date": "31 August 2026", "payment_terms": "Net 60"}  # the second is unchanged
    assert service.approve(ctx, document_id, "alice", changes, "typo in the contract") == []
    with ctx.db() as db:
        assert db.get_one(DocumentRow, document_id).status == Status.POSTED
        edits = [(e.actor, e.action, e.field, e.before, e.after) for e in service.audit_trail(db, document_id)]
        extraction = Extraction.model_validate(db.get_one(ExtractionRow, document_id).payload)
        item = db.query(ReviewItem).one()
    assert edits == [
        ("alice", "edit", "expiration_date", "2024-08-31", "2026-08-31"),
        ("alice", "approved", None, None, None),
    ]
    assert extraction.fields.expiration_date and extraction.fields.expiration_date.confidence == 1.0
    # The model's original stays with the review item.
    assert item.payload["extraction"]["fields"]["expiration_date"]["value"] == "2024-08-31"
    assert (item.resolution, item.resolved_by, item.comment) == ("approved", "alice", "typo in the contract")
    [line] = posted_lines(ctx.settings)
    assert line["record"]["fields"]["expiration_date"] == "2026-08-31"
    assert "expiration_date set by reviewer alice" in line["record"]["warnings"]
    with pytest.raises(service.ReviewError, match="already approved by alice"):
        service.approve(ctx, document_id, "bob", {})
    assert len(posted_lines(ctx.settings)) == 1


def test_reject_needs_a_comment_and_ends_rejected(ctx: Context, escalated: str) -> None:
    with pytest.raises(service.ReviewError, match="comment is required"):
        service.reject(ctx, escalated, "alice", "  ")
    service.reject(ctx, escalated, "alice", "counterparty withdrew")
    with ctx.db() as db:
        row = db.get_one(DocumentRow, escalated)
        [audit] = db.query(AuditEntry).all()
        assert service.queue(db) == [] and service.queue(db, state="rejected")[0].resolved_by == "alice"
    assert (row.status, row.reason) == (Status.REJECTED, "rejected by alice: counterparty withdrew")
    assert (audit.action, audit.comment) == ("rejected", "counterparty withdrew")
    assert posted_lines(ctx.settings) == []


# -- the web app ------------------------------------------------------------------------------------


@pytest.fixture
def client(ctx: Context) -> Iterator[TestClient]:
    with TestClient(create_app(ctx.settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


def csrf_of(response: Any) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', response.text)
    assert match, response.text[:500]
    return match.group(1)


def sign_in(client: TestClient) -> None:
    token = csrf_of(client.get("/login"))
    response = client.post("/login", data={"csrf": token, "username": "alice", "password": PASSWORD, "next": "/"})
    assert response.status_code == 200 and "Review queue" in response.text


def status_of(ctx: Context, document_id: str) -> str:
    with ctx.db() as db:
        return db.get_one(DocumentRow, document_id).status


def test_every_page_needs_sign_in(ctx: Context, client: TestClient, escalated: str) -> None:
    for path in ("/", f"/documents/{escalated}", f"/documents/{escalated}/pages/1.png", f"/documents/{escalated}/file"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path
    token = csrf_of(client.get("/login"))
    wrong = client.post("/login", data={"csrf": token, "username": "alice", "password": "nope"})
    assert wrong.status_code == 401 and "wrong password" in wrong.text
    anonymous = client.post(
        f"/documents/{escalated}/reject", data={"csrf": token, "comment": "x"}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and status_of(ctx, escalated) == Status.ESCALATED


def test_posts_without_the_session_csrf_token_are_refused(ctx: Context, client: TestClient, escalated: str) -> None:
    sign_in(client)
    for token in (None, "forged"):
        data = {"comment": "x", "f.expiration_date": "2026-08-31"} | ({"csrf": token} if token else {})
        for action in ("approve", "reject"):
            response = client.post(f"/documents/{escalated}/{action}", data=data)
            assert response.status_code == 403 and "reload the page" in response.text
    assert status_of(ctx, escalated) == Status.ESCALATED
    login_without_token = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert login_without_token.status_code == 403


def test_files_come_only_from_the_document_store(
    ctx: Context, client: TestClient, escalated: str, tmp_path: Path
) -> None:
    sign_in(client)
    page = client.get(f"/documents/{escalated}/pages/1.png")
    assert page.status_code == 200 and page.content.startswith(b"\x89PNG")
    original = client.get(f"/documents/{escalated}/file")
    assert original.content == ESCALATING.read_bytes()
    for path in ("/documents/..%2F..%2F..%2Fetc%2Fpasswd/file", "/documents/../../etc/passwd/file"):
        response = client.get(path)
        assert response.status_code == 404 and b"root:" not in response.content, path
    # Even a stored path that leads outside the store (a tampered row) is refused.
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    with ctx.db() as db:
        db.get_one(DocumentRow, escalated).stored_path = str(ctx.settings.document_store / ".." / ".." / secret.name)
    for path in (f"/documents/{escalated}/file", f"/documents/{escalated}/pages/1.png"):
        response = client.get(path)
        assert response.status_code == 404 and "not in the document store" in response.text
    assert client.get(f"/documents/{escalated}/pages/9.png").status_code == 404


def test_queue_filters_and_approval_in_the_browser_forms(ctx: Context, client: TestClient, escalated: str) -> None:
    sign_in(client)
    assert ESCALATING.name in client.get("/", params={"kind": "rule_violation", "q": "supply"}).text
    assert ESCALATING.name not in client.get("/", params={"kind": "parse_failure"}).text
    assert ESCALATING.name not in client.get("/", params={"q": "no such thing"}).text
    view = client.get(f"/documents/{escalated}")
    token = csrf_of(view)
    assert 'id="ev-expiration_date"' in view.text and 'value="2024-08-31"' in view.text
    still_wrong = client.post(
        f"/documents/{escalated}/approve", data={"csrf": token, "f.expiration_date": "2025-01-01"}
    )
    assert still_wrong.status_code == 422 and "is not after effective_date" in still_wrong.text
    assert 'value="2025-01-01"' in still_wrong.text  # what the reviewer typed is kept
    done = client.post(f"/documents/{escalated}/approve", data={"csrf": token, "f.expiration_date": "2026-08-31"})
    assert done.status_code == 200 and "Approved" in done.text and "2024-08-31" in done.text  # audit: before
    assert status_of(ctx, escalated) == Status.POSTED and len(posted_lines(ctx.settings)) == 1
    again = client.post(f"/documents/{escalated}/approve", data={"csrf": token})
    assert again.status_code == 422 and "already approved by alice" in again.text


# -- the CLI ----------------------------------------------------------------------------------------


def test_cli_lists_shows_and_approves(ctx: Context, escalated: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "HOME": str(ctx.settings.home),
        "LLM_BASE_URL": str(ctx.settings.llm_base_url),
        "REVIEW_USERS": json.dumps(USERS),
    }.items():
        monkeypatch.setenv(f"CONTRACTFLOW_{key}", value)
    monkeypatch.setenv("COLUMNS", "300")  # rich tables would wrap the quotes
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        listed = runner.invoke(cli_app, ["review", "list", "--kind", "rule_violation"])
        assert listed.exit_code == 0 and escalated[:12] in listed.stdout
        shown = runner.invoke(cli_app, ["review", "show", escalated[:10]])
        assert shown.exit_code == 0 and "2024-08-31" in shown.stdout and "shall expire on" in shown.stdout
        bad = runner.invoke(cli_app, ["review", "approve", escalated[:10], "--set", "expiration_date=2024-01-01"])
        assert bad.exit_code == 1 and "expiration-after-effective" in bad.stderr
        good = runner.invoke(
            cli_app, ["review", "approve", escalated[:10], "--set", "expiration_date=2026-08-31", "--user", "bob"]
        )
        assert good.exit_code == 0 and "now posted" in good.stderr
        hashed = runner.invoke(cli_app, ["review", "hash-password"], input="pw\npw\n")
        assert verify_password("pw", hashed.stdout.strip().splitlines()[-1])
    finally:
        get_settings.cache_clear()
    with ctx.db() as db:
        assert [(e.actor, e.field) for e in service.audit_trail(db, escalated)] == [
            ("bob", "expiration_date"),
            ("bob", None),
        ]

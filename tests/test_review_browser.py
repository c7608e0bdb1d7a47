"""A reviewer's whole task in real headless Chromium: sign in, open the escalated contract, fix the
expiration date, approve, and the record reaches the destination exactly once."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, expect, sync_playwright

from pipeline.flow import Context
from pipeline.review import service
from pipeline.review.web import create_app
from pipeline.store import DocumentRow
from tests.fake_openai import FakeOpenAI
from tests.test_review import ESCALATING, PASSWORD, posted_lines, process, review_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Set to docs/review-document-view.png to refresh the screenshot kept in the docs.
SCREENSHOT = os.environ.get("CONTRACTFLOW_REVIEW_SCREENSHOT")


@pytest.fixture
def ctx(home: Path, model: FakeOpenAI) -> Context:
    return Context(review_settings(home, model))


@pytest.fixture
def review_url(ctx: Context) -> Iterator[str]:
    """The review app under uvicorn on a free loopback port, in a thread, stopped afterwards."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(ctx.settings), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def test_reviewer_fixes_and_approves_an_escalated_contract(
    ctx: Context, review_url: str, browser: Browser, tmp_path: Path
) -> None:
    document_id = process(ctx, ESCALATING)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.set_default_timeout(15_000)

    page.goto(f"{review_url}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("User").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    page.get_by_label("Reason").select_option("rule_violation")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=ESCALATING.name).click()

    expect(page.locator("#document-status")).to_have_text("escalated")
    expect(page.locator("#ev-expiration_date")).to_contain_text("31 August 2024")
    page.locator("details.page-image summary").first.click()  # the page as rendered, from the store
    image = page.get_by_role("img", name=f"Page 1 of {ESCALATING.name}")
    expect(image).to_be_visible()
    expect(image).not_to_have_js_property("naturalWidth", 0)
    page.locator("details.page-image summary").first.click()
    field = page.get_by_label("expiration date")
    expect(field).to_have_value("2024-08-31")
    shot = Path(SCREENSHOT) if SCREENSHOT else tmp_path / "document-view.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shot))

    field.fill("2026-08-31")
    page.get_by_label("Comment").fill("Typo in the contract; confirmed with the supplier.")
    page.get_by_role("button", name="Approve and post").click()

    expect(page.locator("#document-status")).to_have_text("posted")
    expect(page.get_by_role("status")).to_contain_text("Approved")
    expect(page.locator("#audit")).to_contain_text("expiration_date: 2024-08-31 → 2026-08-31")
    expect(page.locator("#audit")).to_contain_text("alice")

    [line] = posted_lines(ctx.settings)
    assert line["idempotency_key"] == document_id
    assert line["record"]["fields"]["expiration_date"] == "2026-08-31"
    with ctx.db() as db:
        assert db.get_one(DocumentRow, document_id).status == "posted"
        [edit, approval] = service.audit_trail(db, document_id)
    assert (edit.actor, edit.field, edit.before, edit.after) == ("alice", "expiration_date", "2024-08-31", "2026-08-31")
    assert (approval.action, approval.comment) == ("approved", "Typo in the contract; confirmed with the supplier.")
    assert shot.read_bytes().startswith(b"\x89PNG")

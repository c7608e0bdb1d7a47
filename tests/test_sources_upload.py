"""`contractflow serve-upload`: a real uvicorn server with its embedded worker, over real HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fake_openai import FakeOpenAI
from tests.test_run_e2e import ROOT, SAMPLES, environment
from tests.test_sources_s3 import free_port

WAIT_S = 180


@pytest.fixture
def upload_url(tmp_path: Path, home: Path, model: FakeOpenAI) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "upload.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve-upload", "--port", str(port)],
        env=environment(home, model),
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/docs", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "upload.log").read_text()
                time.sleep(0.2)
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
            log.close()


def terminal(url: str, document_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while True:
        state: dict[str, Any] = httpx.get(f"{url}/documents/{document_id}").json()
        if state["status"] in {"posted", "escalated", "rejected", "failed"}:
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.2)


def test_upload_returns_an_id_and_the_status_follows_it(upload_url: str) -> None:
    contract = (SAMPLES / "04_consulting_fixed_term.txt").read_bytes()
    reply = httpx.post(f"{upload_url}/documents", files={"file": ("../../../etc/consulting.txt", contract)})
    assert reply.status_code == 201, reply.text
    assert reply.json()["filename"] == "consulting.txt"
    assert terminal(upload_url, reply.json()["id"])["status"] == "posted"

    message = EmailMessage()
    message["From"], message["Subject"] = "legal@example.com", "Contract attached"
    message.set_content("The signed contract is attached.")
    message.add_attachment(b"\x00\x01 not a contract", maintype="application", subtype="octet-stream", filename="x.bin")
    reply = httpx.post(f"{upload_url}/documents", files={"file": ("mail.eml", message.as_bytes())})
    body = reply.json()
    attachment = terminal(upload_url, body["attachments"][0])
    assert attachment["parent_id"] == body["id"]
    assert attachment["status"] == "failed" and attachment["reason"].startswith("cannot parse: unsupported format")
    assert terminal(upload_url, body["id"])["status"] == "escalated"

    assert httpx.get(f"{upload_url}/documents/nope").status_code == 404
    assert httpx.post(f"{upload_url}/documents", files={}).status_code == 422

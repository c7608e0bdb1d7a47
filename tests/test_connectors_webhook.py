"""The webhook connector against a real HTTP receiver on loopback that checks the signature the way
the README documents it (its own HMAC code, not the connector's) and dedupes by Idempotency-Key."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connectors import ConnectorError, ConnectorUnavailable
from connectors.webhook import WebhookConnector
from pipeline.models import ContractRecord

SECRET = "test-signing-secret"
KEY = "k" * 64


@dataclass
class Seen:
    at: float
    key: str
    status: int


# A script answers a request before the receiver does: (status, headers) to refuse it, None to accept.
Script = Callable[[str, int], tuple[int, dict[str, str]] | None]


@dataclass
class Receiver:
    """A webhook endpoint: verifies signatures, stores each key once, answers repeats with the first reference."""

    secret: str = SECRET
    port: int = 0
    script: Script | None = None
    delay_s: float = 0.0
    records: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/contracts"

    def start(self) -> Receiver:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        server.daemon_threads = True
        self.port = server.server_address[1]  # the same port again after a restart
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, key: str, body: bytes, timestamp: str, signature: str) -> tuple[int, dict[str, Any]]:
        expected = (
            "sha256=" + hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        )
        if not hmac.compare_digest(expected, signature) or abs(time.time() - float(timestamp or 0)) > 300:
            return 401, {"error": "bad signature"}
        payload = json.loads(body)
        if payload["idempotency_key"] != key:
            return 400, {"error": "Idempotency-Key differs from the body's key"}
        with self._lock:
            if key not in self.records:
                self.records[key] = (f"rcv-{len(self.records) + 1}", payload["record"])
            return 200, {"reference": self.records[key][0]}


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            key = self.headers.get("Idempotency-Key", "")
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            attempt = sum(s.key == key for s in receiver.seen) + 1
            scripted = receiver.script(key, attempt) if receiver.script else None
            if scripted is not None:
                status, headers, payload = scripted[0], scripted[1], {"error": "scripted"}
            else:
                status, payload = receiver.answer(
                    key,
                    body,
                    self.headers.get("X-Contractflow-Timestamp", ""),
                    self.headers.get("X-Contractflow-Signature", ""),
                )
                headers = {}
            receiver.seen.append(Seen(time.monotonic(), key, status))
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


def record(document_id: str = KEY) -> ContractRecord:
    return ContractRecord(document_id=document_id, filename="c.pdf", fields={"title": "T"}, rules_version="v1")


def connector(receiver: Receiver, **options: Any) -> WebhookConnector:
    return WebhookConnector(receiver.url, SECRET, **{"attempts": 4, "backoff_s": 0.01, "timeout_s": 5.0, **options})


def test_signed_post_is_stored_once_per_key(receiver: Receiver) -> None:
    first = connector(receiver).post(record(), KEY)
    again = connector(receiver).post(record(), KEY)
    assert first == again == "rcv-1"
    assert [s.status for s in receiver.seen] == [200, 200]
    assert receiver.records[KEY][1]["fields"] == {"title": "T"}


def test_wrong_secret_is_refused_without_retry(receiver: Receiver) -> None:
    wrong = WebhookConnector(receiver.url, "not-the-secret", attempts=4, backoff_s=0.01)
    with pytest.raises(ConnectorError, match="HTTP 401"):
        wrong.post(record(), KEY)
    assert len(receiver.seen) == 1 and receiver.records == {}


def test_missing_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConnectorError, match="CONTRACTFLOW_WEBHOOK_SECRET"):
        WebhookConnector("http://127.0.0.1:9/x", "")


@pytest.mark.parametrize("status", [500, 503, 409, 429])
def test_transient_statuses_are_retried(receiver: Receiver, status: int) -> None:
    receiver.script = lambda key, attempt: (status, {}) if attempt <= 2 else None
    assert connector(receiver).post(record(), KEY) == "rcv-1"
    assert [s.status for s in receiver.seen] == [status, status, 200]


@pytest.mark.parametrize("status", [400, 404, 422])
def test_other_client_errors_are_not_retried(receiver: Receiver, status: int) -> None:
    receiver.script = lambda key, attempt: (status, {})
    with pytest.raises(ConnectorError, match=f"HTTP {status}"):
        connector(receiver).post(record(), KEY)
    assert len(receiver.seen) == 1


def test_retry_after_is_honoured(receiver: Receiver) -> None:
    receiver.script = lambda key, attempt: (429, {"Retry-After": "1"}) if attempt == 1 else None
    connector(receiver, backoff_s=0.001).post(record(), KEY)
    first, second = receiver.seen
    assert second.at - first.at >= 0.9  # waited as told, not the 1 ms backoff


def test_exhausted_retries_are_unavailable_not_refused(receiver: Receiver) -> None:
    receiver.script = lambda key, attempt: (503, {})
    with pytest.raises(ConnectorUnavailable, match="failed 3 times"):
        connector(receiver, attempts=3).post(record(), KEY)
    assert len(receiver.seen) == 3


def test_timeouts_and_refused_connections_are_unavailable(receiver: Receiver) -> None:
    receiver.delay_s = 1.0
    with pytest.raises(ConnectorUnavailable, match="ReadTimeout"):
        connector(receiver, attempts=2, timeout_s=0.2).post(record(), KEY)
    receiver.stop()
    with pytest.raises(ConnectorUnavailable, match="ConnectError"):
        connector(receiver, attempts=2).post(record(), KEY)


def test_party_lookup_reads_the_counterparty_list(receiver: Receiver, tmp_path: Any) -> None:
    listing = tmp_path / "counterparties.csv"
    listing.write_text("name\nNorthwind Analytics Inc.\nLarkspur Data Systems LLC\nBrightwater Logistics GmbH\n")
    lookup = connector(receiver, counterparties_csv=listing)
    assert lookup.lookup_party("larkspur data systems")[0] == "Larkspur Data Systems LLC"
    assert lookup.lookup_party("Zebra Holdings") == []

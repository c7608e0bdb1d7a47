"""Any HTTP endpoint: the record POSTed as JSON, signed, with an idempotency key.

Request: `POST CONTRACTFLOW_WEBHOOK_URL`, body `{"idempotency_key": KEY, "record": {...}}` (compact JSON,
sorted keys), and the headers
    Idempotency-Key: KEY
    X-Contractflow-Timestamp: UNIX_SECONDS
    X-Contractflow-Signature: sha256=HEX(HMAC-SHA256(CONTRACTFLOW_WEBHOOK_SECRET, TIMESTAMP + "." + BODY))
The receiver recomputes the HMAC over the raw body, compares in constant time, rejects old timestamps,
and answers a repeated key with its first answer. Its reference for the record is the response's JSON
`reference`, else its `Location` header.

Timeouts, connection errors, 5xx, 409 (the key is being processed) and 429 are retried here with
exponential backoff (honouring Retry-After), then left to the outbox; any other 4xx is refused for good.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from connectors.base import ConnectorError, ConnectorUnavailable, CsvCounterparties
from pipeline.models import ContractRecord

RETRY_STATUSES = frozenset({409, 429})
MAX_DELAY_S = 60.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds or as an HTTP date; None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class WebhookConnector(CsvCounterparties):
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        attempts: int = 4,
        backoff_s: float = 0.5,
        timeout_s: float = 30.0,
        counterparties_csv: Path | None = None,
    ) -> None:
        if not secret:
            raise ConnectorError("the webhook needs a signing secret: set CONTRACTFLOW_WEBHOOK_SECRET")
        self.url, self.secret = url, secret
        self.attempts, self.backoff_s = max(1, attempts), backoff_s
        self.timeout_s = timeout_s
        self.counterparties_csv = counterparties_csv

    def post(self, record: ContractRecord, idempotency_key: str, original: Path | None = None) -> str:
        # The receiver gets values, not files: `original` stays in the document store.
        payload = {"idempotency_key": idempotency_key, "record": record.model_dump(mode="json")}
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        problem = ""
        with httpx.Client(timeout=self.timeout_s) as client:
            for attempt in range(self.attempts):
                timestamp = str(int(time.time()))  # signed per attempt: receivers reject stale timestamps
                headers = {
                    "Content-Type": "application/json",
                    "Idempotency-Key": idempotency_key,
                    "X-Contractflow-Timestamp": timestamp,
                    "X-Contractflow-Signature": signature(self.secret, timestamp, body),
                }
                wait = self.backoff_s * 2**attempt
                try:
                    response = client.post(self.url, content=body, headers=headers)
                except httpx.TransportError as exc:  # connect, read and write errors and timeouts
                    problem = f"{type(exc).__name__}: {exc}"
                else:
                    if response.is_success:
                        return self._reference(response)
                    problem = f"HTTP {response.status_code}: {response.text[:200]}"
                    if response.status_code < 500 and response.status_code not in RETRY_STATUSES:
                        raise ConnectorError(f"webhook {self.url} refused the record: {problem}")
                    wait = _retry_after(response) or wait
                if attempt + 1 < self.attempts:
                    time.sleep(min(wait, MAX_DELAY_S))
        raise ConnectorUnavailable(f"webhook {self.url} failed {self.attempts} times, last: {problem}")

    def _reference(self, response: httpx.Response) -> str:
        try:
            reference = response.json().get("reference")
        except (ValueError, AttributeError):
            reference = None
        reference = reference or response.headers.get("Location")
        if not reference:
            raise ConnectorError(f"webhook {self.url} accepted the record but sent no `reference` nor Location")
        return str(reference)

from __future__ import annotations

import json
import os
from pathlib import Path

from filelock import FileLock

from connectors.base import CsvCounterparties
from pipeline.models import ContractRecord


class JsonlConnector(CsvCounterparties):
    """The embedded ERP stand-in: one JSON line per contract, idempotent on the key.

    A file lock serializes writers across worker processes; the key scan makes a repeat a no-op.
    """

    name = "jsonl"

    def __init__(self, path: Path, counterparties_csv: Path | None = None) -> None:
        self.path = path
        self.counterparties_csv = counterparties_csv

    def _reference(self, line_number: int) -> str:
        return f"{self.path.name}#{line_number}"

    def references(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        with self.path.open(encoding="utf-8") as handle:
            keys = [json.loads(line)["idempotency_key"] for line in handle]
        return {key: self._reference(number) for number, key in enumerate(keys, start=1)}

    def post(self, record: ContractRecord, idempotency_key: str, original: Path | None = None) -> str:
        # A JSON line keeps no files: `original` stays in the document store.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{self.path}.lock", timeout=60):
            line_number = 0
            if self.path.exists():
                with self.path.open(encoding="utf-8") as handle:
                    for line_number, line in enumerate(handle, start=1):
                        if json.loads(line)["idempotency_key"] == idempotency_key:
                            return self._reference(line_number)
            entry = {"idempotency_key": idempotency_key, "record": record.model_dump(mode="json")}
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            return self._reference(line_number + 1)

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from connectors import JsonlConnector
from pipeline.models import ContractRecord


def record(document_id: str) -> ContractRecord:
    return ContractRecord(document_id=document_id, filename="c.pdf", fields={"title": "T"}, rules_version="v1")


def test_same_key_twice_writes_once(tmp_path: Path) -> None:
    connector = JsonlConnector(tmp_path / "erp" / "contracts.jsonl")
    first = connector.post(record("a"), "key-a")
    again = connector.post(record("a"), "key-a")
    other = connector.post(record("b"), "key-b")
    lines = (tmp_path / "erp" / "contracts.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert first == again == "contracts.jsonl#1" and other == "contracts.jsonl#2"
    assert json.loads(lines[0])["record"]["fields"] == {"title": "T"}


def _post_many(path: str, key: str) -> None:
    JsonlConnector(Path(path)).post(record(key), key)


def test_concurrent_writers_of_one_key_write_once(tmp_path: Path) -> None:
    path = str(tmp_path / "contracts.jsonl")
    processes = [multiprocessing.Process(target=_post_many, args=(path, "same")) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=30)
    assert len(Path(path).read_text().splitlines()) == 1

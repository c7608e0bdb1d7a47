"""The SQL staging connector on the real PostgreSQL: one row per key, even with concurrent writers."""

from __future__ import annotations

import multiprocessing

import psycopg
import pytest

from connectors import ConnectorUnavailable
from connectors.sql_staging import SqlStagingConnector
from pipeline.models import ContractRecord
from tests.conftest import free_port

KEY = "d" * 64


def record(document_id: str) -> ContractRecord:
    fields = {"title": "Supply", "total_value": {"amount": "10.00", "currency": "EUR"}}
    return ContractRecord(document_id=document_id, filename="c.pdf", fields=fields, rules_version="v1")


def rows(postgres_url: str) -> list[tuple[str, str, dict[str, object]]]:
    with psycopg.connect(postgres_url.replace("+psycopg", "")) as connection:
        query = "SELECT idempotency_key, filename, record FROM contract_staging ORDER BY id"
        return [tuple(row) for row in connection.execute(query)]  # type: ignore[misc]


def test_same_key_twice_stages_one_row_and_answers_its_reference(postgres_url: str) -> None:
    staging = SqlStagingConnector(postgres_url)
    first = staging.post(record(KEY), KEY)
    assert staging.post(record(KEY), KEY) == first
    other = staging.post(record("e" * 64), "e" * 64)
    assert first.startswith("contract_staging#") and other.startswith("contract_staging#") and first != other
    staged = rows(postgres_url)
    assert [(key, name) for key, name, _ in staged] == [(KEY, "c.pdf"), ("e" * 64, "c.pdf")]
    assert staged[0][2]["fields"] == record(KEY).fields
    assert staging.references() == {KEY: first, "e" * 64: other}


def _post(url: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(SqlStagingConnector(url).post(record(KEY), KEY))


def test_concurrent_writers_of_one_key_stage_one_row(postgres_url: str) -> None:
    SqlStagingConnector(postgres_url).references()  # the table exists before the race
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    processes = [multiprocessing.Process(target=_post, args=(postgres_url, queue)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert len(rows(postgres_url)) == 1
    (reference,) = {queue.get(timeout=5) for _ in processes}
    assert SqlStagingConnector(postgres_url).references() == {KEY: reference}


def test_unreachable_database_is_unavailable_not_refused() -> None:
    staging = SqlStagingConnector(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
    with pytest.raises(ConnectorUnavailable, match="unreachable"):
        staging.post(record(KEY), KEY)

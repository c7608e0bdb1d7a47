"""A staging table in a database the ERP side reads from (PostgreSQL; SQLite works too).

One row per contract, unique on the idempotency key: `INSERT ... ON CONFLICT DO NOTHING`, and on a
conflict the existing row's reference. The table is created when missing.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, MetaData, String, Table, Text, create_engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from connectors.base import ConnectorError, ConnectorUnavailable, CsvCounterparties
from pipeline.models import ContractRecord

_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@lru_cache(maxsize=4)
def _engine_for(url: str, pid: int) -> Engine:
    # One pool per URL and process: a forked worker must not share its parent's connections.
    return create_engine(url, pool_pre_ping=True)


def staging_table(name: str) -> Table:
    return Table(
        name,
        MetaData(),
        # Integer on SQLite so the key autoincrements there; BIGSERIAL on PostgreSQL.
        Column("id", BigInteger().with_variant(sqlite.INTEGER(), "sqlite"), primary_key=True, autoincrement=True),
        Column("idempotency_key", String(100), nullable=False, unique=True),
        Column("document_id", String(64), nullable=False),
        Column("filename", Text, nullable=False),
        Column("record", JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        Column("staged_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class SqlStagingConnector(CsvCounterparties):
    name = "sql_staging"

    def __init__(self, url: str, table: str = "contract_staging", counterparties_csv: Path | None = None) -> None:
        self.url = url
        self.table = staging_table(table)
        self.counterparties_csv = counterparties_csv
        self._ready = False

    def _engine(self) -> Engine:
        try:
            engine = _engine_for(self.url, os.getpid())
            if engine.dialect.name not in _INSERTS:
                raise ConnectorError(f"SQL staging supports PostgreSQL and SQLite, not {engine.dialect.name}")
            if not self._ready:
                self.table.create(engine, checkfirst=True)
                self._ready = True
        except OperationalError as exc:
            raise ConnectorUnavailable(f"staging database unreachable: {exc.orig}") from exc
        return engine

    def _reference(self, row_id: int) -> str:
        return f"{self.table.name}#{row_id}"

    def post(self, record: ContractRecord, idempotency_key: str, original: Path | None = None) -> str:
        # Rows carry values; `original` stays in the document store.
        engine = self._engine()
        insert = (
            _INSERTS[engine.dialect.name](self.table)
            .values(
                idempotency_key=idempotency_key,
                document_id=record.document_id,
                filename=record.filename,
                record=record.model_dump(mode="json"),
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(self.table.c.id)
        )
        try:
            with engine.begin() as connection:
                row_id = connection.execute(insert).scalar()
                if row_id is None:  # the key was staged before: answer with that row
                    existing = select(self.table.c.id).where(self.table.c.idempotency_key == idempotency_key)
                    row_id = connection.execute(existing).scalar_one()
        except OperationalError as exc:
            raise ConnectorUnavailable(f"staging database unavailable: {exc.orig}") from exc
        except DBAPIError as exc:
            raise ConnectorError(f"staging database refused the record: {exc.orig}") from exc
        return self._reference(row_id)

    def references(self) -> dict[str, str]:
        with self._engine().connect() as connection:
            rows = connection.execute(select(self.table.c.idempotency_key, self.table.c.id))
            return {key: self._reference(row_id) for key, row_id in rows}

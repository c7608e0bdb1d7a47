"""State store (SQLAlchemy 2): SQLite by default, PostgreSQL through CONTRACTFLOW_DATABASE_URL.

The store, not the broker, is the source of truth: a document's status says where it is, and
each stage's output is kept so a rerun or a redelivered task skips finished work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from pipeline.models import Document, Status


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class DocumentRow(Base):
    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_uri: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The e-mail an attachment came in; None for a file received on its own.
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    def model(self) -> Document:
        return Document(
            id=self.id, source_uri=self.source_uri, filename=self.filename, media_type=self.media_type, size=self.size
        )


class StageRun(Base):
    __tablename__ = "stage_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="running")
    error: Mapped[str | None] = mapped_column(Text, default=None)


class ParsedRow(Base):
    __tablename__ = "parsed_documents"
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    parser: Mapped[str] = mapped_column(String(50))
    pages: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=now)


class ExtractionRow(Base):
    __tablename__ = "extractions"
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    prompt_version: Mapped[str] = mapped_column(String(50))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float] = mapped_column(default=0.0)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=now)


class VerdictRow(Base):
    __tablename__ = "verdicts"
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    rules_version: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=now)


class PostingRow(Base):
    __tablename__ = "postings"
    idempotency_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    connector: Mapped[str] = mapped_column(String(50))
    reference: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(default=now)


class ReviewItem(Base):
    __tablename__ = "review_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    # Why a person must decide (pipeline/review/kinds.py), who decided and what they said.
    kind: Mapped[str] = mapped_column(String(30), index=True, default="rule_violation")
    resolved_by: Mapped[str | None] = mapped_column(String(100), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)


class AuditEntry(Base):
    """Every human decision on a document: an edited field (before -> after), an approval, a rejection."""

    __tablename__ = "review_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=now)
    action: Mapped[str] = mapped_column(String(20))
    field: Mapped[str | None] = mapped_column(String(100), default=None)
    before: Mapped[str | None] = mapped_column(Text, default=None)
    after: Mapped[str | None] = mapped_column(Text, default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)


class OutboxItem(Base):
    """A record waiting to be posted (pipeline/outbox.py): pending -> delivered, or dead after N attempts."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    connector: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    reference: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=now)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class SeenObject(Base):
    """An object of a watched bucket already taken in (pipeline/sources/s3.py), so that a restarted
    watcher neither misses nor repeats one; a new version of the same key is a new object."""

    __tablename__ = "seen_objects"
    uri: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[str] = mapped_column(String(200), primary_key=True, doc="the object's ETag")
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    seen_at: Mapped[datetime] = mapped_column(default=now)


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            # WAL lets the CLI read while a worker writes; FKs are off by default in SQLite.
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA foreign_keys=ON")

    else:
        engine = create_engine(url, pool_pre_ping=True)
    Base.metadata.create_all(engine)
    return engine


@contextmanager
def session(url: str) -> Iterator[Session]:
    with Session(engine_for(url), expire_on_commit=False) as db, db.begin():
        yield db


def add_document(db: Session, document: Document, stored_path: str, parent_id: str | None = None) -> bool:
    """Register a document; False when the same bytes are already known."""
    if db.get(DocumentRow, document.id) is not None:
        return False
    db.add(DocumentRow(**document.model_dump(), stored_path=stored_path, status=Status.RECEIVED, parent_id=parent_id))
    return True


def set_status(db: Session, document_id: str, status: Status, reason: str | None = None) -> None:
    row = db.get(DocumentRow, document_id, with_for_update=True)
    if row is None:
        raise KeyError(document_id)
    row.status = status
    row.reason = reason


def statuses(db: Session, ids: list[str]) -> dict[str, str]:
    rows = db.execute(select(DocumentRow.id, DocumentRow.status).where(DocumentRow.id.in_(ids)))
    return {row.id: row.status for row in rows}

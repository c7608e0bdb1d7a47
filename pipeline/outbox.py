"""The transactional outbox: every posting goes through an `outbox` row in the state store.

The post step adds the document's item when missing (keyed by the idempotency key = document id,
with the record); the poster claims it, calls the connector, then in one transaction marks it
delivered, writes the posting and sets the document `posted`. A crash between the destination's
write and that transaction leaves the item pending: the next delivery posts again with the same
key and the destination answers with its first reference. At-least-once delivery + idempotency
keys = an exactly-once effect.

A claim is a lease (`outbox_lease_s`) taken by a conditional UPDATE, so it works on SQLite as on
PostgreSQL, where `drain` also skips rows another poster has locked. Transient failures leave the
item pending for the task's backoff or the next `drain`; a refusal, or `outbox_max_attempts`
transient failures, make it `dead` and the document `failed` until a person runs `outbox retry`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors import Connector, ConnectorError, ConnectorUnavailable
from pipeline.models import ContractRecord, Status
from pipeline.settings import Settings
from pipeline.store import OutboxItem, PostingRow, now, session, set_status

log = logging.getLogger(__name__)

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
# CONTRACTFLOW_FAULT=crash-after-destination-write kills the poster (exit 137, as a SIGKILL would)
# right after the destination accepted a record and before the store knows: the crash tests use it.
CRASH_AFTER_DESTINATION_WRITE = "crash-after-destination-write"


class OutboxBusy(ConnectorUnavailable):
    """Another poster holds this item's lease: try again later."""


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    document_id: str
    record: ContractRecord
    original: Path | None

    @classmethod
    def of(cls, item: OutboxItem) -> Claimed:
        original = item.payload.get("original")
        return cls(
            id=item.id,
            key=item.idempotency_key,
            document_id=item.document_id,
            record=ContractRecord.model_validate(item.payload["record"]),
            original=Path(original) if original else None,
        )


@dataclass
class DrainReport:
    delivered: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    unavailable: str | None = None  # why the drain stopped early, items left pending


def enqueue(settings: Settings, record: ContractRecord, connector: str, original: str | None) -> None:
    """Add the document's outbox item unless it exists (a redelivered post step adds nothing)."""
    item = OutboxItem(
        idempotency_key=record.document_id,
        document_id=record.document_id,
        connector=connector,
        payload={"record": record.model_dump(mode="json"), "original": original},
    )
    try:
        with session(settings.resolved_database_url) as db:
            if db.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == item.idempotency_key)) is None:
                db.add(item)
    except IntegrityError:
        pass  # a concurrent post step added it first


def _due(at: Any) -> ColumnElement[bool]:
    return (OutboxItem.status == PENDING) & or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < at)


def _claim(db: Session, item_id: int, lease_s: float) -> bool:
    """Take the item's lease; False when it is not pending or another poster holds it."""
    at = now()
    claimed = db.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, _due(at))
        .values(claimed_until=at + timedelta(seconds=lease_s), attempts=OutboxItem.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(claimed, "rowcount", 0) == 1)


def deliver(settings: Settings, connector: Connector, key: str) -> str:
    """Post the item with this key once; its reference. Raises ConnectorUnavailable to be retried
    later (OutboxBusy while another poster has it) and ConnectorError once it is dead."""
    with session(settings.resolved_database_url) as db:
        item = db.scalars(select(OutboxItem).where(OutboxItem.idempotency_key == key)).one()
        if item.status == DELIVERED and item.reference is not None:
            return item.reference
        if item.status == DEAD:
            raise ConnectorError(_dead_reason(item.id, item.last_error or ""))
        if not _claim(db, item.id, settings.outbox_lease_s):
            raise OutboxBusy(f"outbox item {item.id} is being delivered by another poster")
        claimed = Claimed.of(item)
    return _send(settings, connector, claimed)


def _send(settings: Settings, connector: Connector, item: Claimed) -> str:
    try:
        reference = connector.post(item.record, item.key, item.original)
    except ConnectorUnavailable as exc:
        if _failed(settings, item, exc, give_up=False):
            raise ConnectorError(_dead_reason(item.id, str(exc))) from exc
        raise
    except Exception as exc:
        _failed(settings, item, exc, give_up=True)
        raise ConnectorError(_dead_reason(item.id, str(exc))) from exc
    if settings.fault == CRASH_AFTER_DESTINATION_WRITE:
        os._exit(137)
    with session(settings.resolved_database_url) as db:
        row = db.get_one(OutboxItem, item.id)
        row.status, row.reference, row.delivered_at, row.claimed_until = DELIVERED, reference, now(), None
        db.merge(
            PostingRow(
                idempotency_key=item.key, document_id=item.document_id, connector=row.connector, reference=reference
            )
        )
        set_status(db, item.document_id, Status.POSTED)
    return reference


def _dead_reason(item_id: int, error: str) -> str:
    return f"not posted: {error}; after fixing the cause, `contractflow outbox retry {item_id}` sends it again"


def _failed(settings: Settings, item: Claimed, exc: Exception, *, give_up: bool) -> bool:
    """Record a failed delivery and free the lease; True when the item is now dead."""
    with session(settings.resolved_database_url) as db:
        row = db.get_one(OutboxItem, item.id)
        row.last_error, row.claimed_until = f"{type(exc).__name__}: {exc}", None
        if not give_up and row.attempts < settings.outbox_max_attempts:
            log.warning("outbox item %s: attempt %s failed, will retry: %s", item.id, row.attempts, exc)
            return False
        row.status = DEAD
        set_status(db, item.document_id, Status.FAILED, _dead_reason(item.id, str(exc)))
    return True


def drain(settings: Settings, connector: Connector) -> DrainReport:
    """Deliver every due item (the poster run standalone); stops early while the destination is down."""
    report = DrainReport()
    tried: list[int] = []
    while True:
        with session(settings.resolved_database_url) as db:
            # SKIP LOCKED: on PostgreSQL concurrent drains take different items instead of queueing.
            query = select(OutboxItem).where(_due(now()), OutboxItem.id.not_in(tried)).order_by(OutboxItem.id)
            item = db.scalars(query.limit(1).with_for_update(skip_locked=True)).first()
            if item is None:
                return report
            tried.append(item.id)
            if not _claim(db, item.id, settings.outbox_lease_s):
                continue
            claimed = Claimed.of(item)
        try:
            report.delivered.append(_send(settings, connector, claimed))
        except ConnectorError as exc:
            report.dead.append(f"{claimed.id}: {exc}")
        except ConnectorUnavailable as exc:
            report.unavailable = str(exc)
            return report


def items(db: Session, status: str | None = None) -> list[OutboxItem]:
    query = select(OutboxItem).order_by(OutboxItem.id)
    return list(db.scalars(query if status is None else query.where(OutboxItem.status == status)))


def retry(db: Session, item_id: int) -> OutboxItem:
    """Make a dead (or stuck) item pending again, its document back before `post`; the caller
    re-queues the post step. Refuses a delivered item: posting it again would be a duplicate."""
    item = db.get(OutboxItem, item_id, with_for_update=True)
    if item is None:
        raise KeyError(f"no outbox item {item_id}")
    if item.status == DELIVERED:
        raise ValueError(f"outbox item {item_id} was delivered already, as {item.reference}")
    item.status, item.attempts, item.claimed_until = PENDING, 0, None
    set_status(db, item.document_id, Status.VALIDATED)
    return item

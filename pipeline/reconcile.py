"""Compare what the state store says was posted with what the destination holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from connectors import Connector, ConnectorError, Listable
from pipeline.settings import Settings
from pipeline.store import PostingRow, session


@dataclass
class Differences:
    """Each entry is (idempotency key, reference)."""

    missing: list[tuple[str, str]] = field(default_factory=list)  # recorded as posted, absent at the destination
    unrecorded: list[tuple[str, str]] = field(default_factory=list)  # at the destination, unknown to the store
    moved: list[tuple[str, str]] = field(default_factory=list)  # held under another reference than recorded

    def __bool__(self) -> bool:
        return bool(self.missing or self.unrecorded or self.moved)


def reconcile(settings: Settings, connector: Connector) -> Differences:
    if not isinstance(connector, Listable):
        raise ConnectorError(f"the {connector.name} destination cannot list what it holds, so it cannot be reconciled")
    held = connector.references()
    with session(settings.resolved_database_url) as db:
        rows = db.execute(
            select(PostingRow.idempotency_key, PostingRow.reference).where(PostingRow.connector == connector.name)
        )
        recorded: dict[str, str] = {key: reference for key, reference in rows}
    return Differences(
        missing=sorted((key, ref) for key, ref in recorded.items() if key not in held),
        unrecorded=sorted((key, ref) for key, ref in held.items() if key not in recorded),
        moved=sorted((key, held[key]) for key, ref in recorded.items() if key in held and held[key] != ref),
    )

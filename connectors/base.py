from __future__ import annotations

import csv
import difflib
from pathlib import Path
from typing import Protocol, runtime_checkable

from pipeline.models import ContractRecord


class ConnectorError(Exception):
    """A destination refused or is misconfigured; not worth retrying."""


class ConnectorUnavailable(Exception):
    """The destination is down, busy or too slow: worth another try later, with backoff."""


class Connector(Protocol):
    name: str

    def post(self, record: ContractRecord, idempotency_key: str, original: Path | None = None) -> str:
        """Write the record once per key and return the destination's reference for it.

        Posting the same key again must not write again: it returns the first reference.
        `original` is the contract file, for destinations that keep attachments.
        """
        ...

    def lookup_party(self, name: str) -> list[str]:
        """Names of existing counterparties closest to `name`, best first (read-only)."""
        ...


@runtime_checkable
class Listable(Protocol):
    """A destination that can say what it holds, so `contractflow reconcile` can compare."""

    def references(self) -> dict[str, str]:
        """{idempotency key: reference} of every record this pipeline posted there."""
        ...


def closest_names(name: str, candidates: list[str], limit: int = 5) -> list[str]:
    """Candidates that look like `name` (case-insensitive similarity), best first."""
    by_folded = {candidate.casefold(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(name.casefold(), list(by_folded), n=limit, cutoff=0.5)
    return [by_folded[match] for match in matches]


class CsvCounterparties:
    """Party look-up for destinations without a party master: the `name` column of a CSV
    (rules/counterparties.csv), read on each call so edits apply without a restart."""

    counterparties_csv: Path | None

    def lookup_party(self, name: str) -> list[str]:
        if self.counterparties_csv is None or not self.counterparties_csv.exists():
            return []
        with self.counterparties_csv.open(encoding="utf-8", newline="") as handle:
            names = [row["name"] for row in csv.DictReader(handle) if row.get("name")]
        return closest_names(name, names)

from __future__ import annotations

from typing import Protocol

from pipeline.models import ContractRecord


class ConnectorError(Exception):
    """A destination refused or is misconfigured; not worth retrying."""


class Connector(Protocol):
    name: str

    def post(self, record: ContractRecord, idempotency_key: str) -> str:
        """Write the record once per key and return the destination's reference for it.

        Posting the same key again must not write again: it returns the first reference.
        """
        ...

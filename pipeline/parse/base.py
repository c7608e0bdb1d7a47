from __future__ import annotations

from typing import Protocol


class ParseError(Exception):
    """The file cannot be read as a contract; the message is meant for a person."""


class Backend(Protocol):
    name: str
    media_type: str

    def accepts(self, data: bytes, filename: str) -> bool: ...

    def parse(self, data: bytes) -> list[str]:
        """Text of each page, in order."""
        ...

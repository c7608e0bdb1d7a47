from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pipeline.models import Page

if TYPE_CHECKING:
    from pipeline.settings import Settings


class ParseError(Exception):
    """The file cannot be read as a contract; the message is meant for a person."""


@dataclass(frozen=True)
class ParseOptions:
    """Limits that keep a hostile file from exhausting the worker, and how to OCR scans."""

    max_file_bytes: int = 100 << 20
    max_pages: int = 2000
    max_decompressed_bytes: int = 512 << 20
    ocr_languages: str = "eng"
    ocr_dpi: int = 250
    ocr_timeout_s: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ParseOptions:
        return cls(
            max_file_bytes=settings.max_file_bytes,
            max_pages=settings.max_pages,
            max_decompressed_bytes=settings.max_decompressed_bytes,
            ocr_languages=settings.ocr_languages,
            ocr_dpi=settings.ocr_dpi,
            ocr_timeout_s=settings.ocr_timeout_s,
        )

    def check_size(self, size: int) -> None:
        if size > self.max_file_bytes:
            raise ParseError(f"file too large: {size:,} bytes, the limit is {self.max_file_bytes:,} (max_file_bytes)")

    def check_pages(self, count: int) -> None:
        if count > self.max_pages:
            raise ParseError(f"too many pages: {count:,}, the limit is {self.max_pages:,} (max_pages)")

    def check_decompressed(self, size: int, what: str) -> None:
        if size > self.max_decompressed_bytes:
            raise ParseError(
                f"decompression bomb: {what} expands to over {self.max_decompressed_bytes:,} bytes "
                "(max_decompressed_bytes)"
            )


class Backend(Protocol):
    name: str
    media_type: str

    def accepts(self, data: bytes, filename: str) -> bool: ...

    def parse(self, data: bytes, options: ParseOptions) -> list[Page]:
        """Each page in order, with its text and the spans of it a reader cannot see."""
        ...


def pages_of(texts: Iterable[str]) -> list[Page]:
    return [Page(number=number, text=text) for number, text in enumerate(texts, start=1)]

"""Parse stage: bytes -> ParsedDocument, one backend class per format (as in Docling).

The media type is sniffed from the bytes, not trusted from the file name.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.models import Page, ParsedDocument
from pipeline.parse.base import Backend, ParseError
from pipeline.parse.docx import DocxBackend
from pipeline.parse.pdf import PdfBackend
from pipeline.parse.text import TextBackend

BACKENDS: tuple[Backend, ...] = (PdfBackend(), DocxBackend(), TextBackend())

__all__ = ["BACKENDS", "ParseError", "parse_bytes", "parse_file", "sniff_media_type"]


def sniff_media_type(data: bytes, filename: str) -> str:
    for backend in BACKENDS:
        if backend.accepts(data, filename):
            return backend.media_type
    suffix = Path(filename).suffix or "(none)"
    raise ParseError(f"unsupported format: extension {suffix}, content starts {data[:8]!r}")


def parse_bytes(data: bytes, filename: str, document_id: str | None = None) -> ParsedDocument:
    if not data:
        raise ParseError("empty file (0 bytes)")
    media_type = sniff_media_type(data, filename)
    backend = next(b for b in BACKENDS if b.media_type == media_type)
    texts = backend.parse(data)
    if not any(t.strip() for t in texts):
        raise ParseError(f"no text found in {backend.name} document (a scan needs OCR, not yet supported)")
    return ParsedDocument(
        document_id=document_id or hashlib.sha256(data).hexdigest(),
        parser=backend.name,
        pages=[Page(number=i, text=t) for i, t in enumerate(texts, start=1)],
    )


def parse_file(path: Path) -> ParsedDocument:
    return parse_bytes(path.read_bytes(), path.name)

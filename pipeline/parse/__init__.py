"""Parse stage: bytes -> ParsedDocument, one backend class per format (as in Docling).

The format is sniffed from the bytes, not trusted from the file name; limits from the settings
keep a hostile file from exhausting the worker.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.models import Page, ParsedDocument
from pipeline.parse.base import Backend, ParseError, ParseOptions
from pipeline.parse.docx import DocxBackend
from pipeline.parse.eml import EmailBackend
from pipeline.parse.html import HtmlBackend
from pipeline.parse.image import ImageBackend
from pipeline.parse.pdf import PdfBackend
from pipeline.parse.text import TextBackend

# Order matters: formats with a content signature first, then those recognised partly by their name.
_BY_NAME: tuple[Backend, ...] = (HtmlBackend(), EmailBackend(), TextBackend())
BACKENDS: tuple[Backend, ...] = (
    PdfBackend(),
    ImageBackend("image/png", b"\x89PNG\r\n\x1a\n"),
    ImageBackend("image/jpeg", b"\xff\xd8\xff"),
    ImageBackend("image/tiff", b"II*\x00", b"MM\x00*"),
    DocxBackend(),
    *_BY_NAME,
)
SUPPORTED_SUFFIXES = {".pdf", ".docx", ".txt", ".text", ".html", ".htm", ".eml"} | {
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
}

# What unsupported content is, so the reason says more than "unsupported".
_KNOWN_CONTENT = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP, WAV or AVI)"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file (.doc/.xls): save it as .docx or PDF"),
    (b"{\\rtf", "an RTF document: save it as .docx or PDF"),
    (b"%!PS", "a PostScript file"),
)

__all__ = [
    "BACKENDS",
    "SUPPORTED_SUFFIXES",
    "ParseError",
    "ParseOptions",
    "backend_for",
    "parse_bytes",
    "parse_file",
    "sniff_media_type",
]


def backend_for(data: bytes, filename: str) -> Backend:
    suffix = Path(filename).suffix or "(none)"
    for backend in BACKENDS:
        if backend in _BY_NAME and (kind := _known_content(data)) is not None:
            # The rest go partly by the file's name: a known signature says the name is wrong.
            raise ParseError(f"unsupported format: the name says {suffix} but the content is {kind}")
        if backend.accepts(data, filename):
            return backend
    kind = _known_content(data)
    if kind is not None:
        raise ParseError(f"unsupported format: the name says {suffix} but the content is {kind}")
    raise ParseError(f"unsupported format: extension {suffix}, content starts {data[:8]!r}")


def _known_content(data: bytes) -> str | None:
    return next((kind for magic, kind in _KNOWN_CONTENT if data.startswith(magic)), None)


def sniff_media_type(data: bytes, filename: str) -> str:
    return backend_for(data, filename).media_type


def parse_bytes(
    data: bytes, filename: str, document_id: str | None = None, options: ParseOptions | None = None
) -> ParsedDocument:
    if options is None:
        from pipeline.settings import get_settings

        options = ParseOptions.from_settings(get_settings())
    if not data:
        raise ParseError("empty file (0 bytes)")
    options.check_size(len(data))
    backend = backend_for(data, filename)
    pages = backend.parse(data, options)
    if not any(_has_visible_text(page) for page in pages):
        hidden = {span.reason for page in pages for span in page.hidden}
        detail = f" (only text a reader cannot see: {', '.join(sorted(hidden))})" if hidden else ""
        raise ParseError(f"no text found in {backend.name} document{detail}")
    return ParsedDocument(
        document_id=document_id or hashlib.sha256(data).hexdigest(),
        parser=backend.name,
        pages=pages,
    )


def _has_visible_text(page: Page) -> bool:
    start = 0
    for span in sorted(page.hidden, key=lambda s: s.start):
        if page.text[start : span.start].strip():
            return True
        start = max(start, span.end)
    return bool(page.text[start:].strip())


def parse_file(path: Path) -> ParsedDocument:
    return parse_bytes(path.read_bytes(), path.name)

"""Receive files: hash, keep a copy in the content-addressed document store, register them.

The document id is the sha256 of the bytes, so the same contract dropped twice is one document.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from pipeline.models import Document
from pipeline.parse import ParseError, sniff_media_type
from pipeline.settings import Settings
from pipeline.store import add_document, session

SUPPORTED_SUFFIXES = {".pdf", ".docx", ".txt", ".text"}
_CHUNK = 1 << 20


def collect(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Files to process and files skipped. Named files are always taken; folders give their
    supported files, recursively, without hidden ones."""
    taken: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if not path.is_dir():
            taken.append(path)
            continue
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
            supported = child.suffix.lower() in SUPPORTED_SUFFIXES and not hidden
            (taken if supported else skipped).append(child)
    return taken, skipped


def _safe_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def store_bytes(source: Path, settings: Settings) -> tuple[str, Path, int]:
    """Copy into the store while hashing; returns (sha256, stored path, size)."""
    digest = hashlib.sha256()
    settings.document_store.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as reader, tempfile.NamedTemporaryFile(dir=settings.document_store, delete=False) as tmp:
        size = 0
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            tmp.write(chunk)
            size += len(chunk)
    sha = digest.hexdigest()
    target = settings.document_store / sha[:2] / f"{sha}{_safe_suffix(source.name)}"
    target.parent.mkdir(exist_ok=True)
    os.replace(tmp.name, target)
    return sha, target, size


def register(source: Path, settings: Settings, source_uri: str | None = None) -> tuple[Document, bool]:
    """The document for this file, and whether it is new. Unknown formats are registered too:
    the parse stage fails them with a reason, and the copy stays in the store for a person."""
    sha, stored, size = store_bytes(source, settings)
    with stored.open("rb") as handle:
        head = handle.read(4096)
    try:
        media_type = sniff_media_type(stored.read_bytes() if head.startswith(b"PK") else head, source.name)
    except ParseError:
        media_type = "application/octet-stream"
    document = Document(
        id=sha,
        source_uri=source_uri or source.resolve().as_uri(),
        filename=source.name,
        media_type=media_type,
        size=size,
    )
    with session(settings.resolved_database_url) as db:
        created = add_document(db, document, str(stored.resolve()))
    return document, created

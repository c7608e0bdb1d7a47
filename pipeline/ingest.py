"""Receive files: hash, keep a copy in the content-addressed document store, register them.

The document id is the sha256 of the bytes, so the same contract dropped twice is one document.
An e-mail's attachments become documents of their own, linked to the message. Every source
(folders, manifests, a watched bucket or folder, uploads) comes in through `register_file`.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from pipeline.models import Document, Status
from pipeline.parse import SUPPORTED_SUFFIXES, ParseError, ParseOptions, sniff_media_type
from pipeline.parse.eml import EmailBackend, attachments, read_message
from pipeline.settings import Settings
from pipeline.store import add_document, session, set_status

_CHUNK = 1 << 20
MAX_NAME_CHARS = 200
MAX_NESTED_MESSAGES = 5  # e-mails forwarded as attachments of attachments


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


def safe_filename(name: str) -> str:
    """A name from outside (object key, upload, attachment) fit to show and to write: its last path
    part, without control characters, not `.`/`..`, at most MAX_NAME_CHARS keeping the extension."""
    base = "".join(ch for ch in re.split(r"[/\\]", name)[-1] if ch.isprintable()).strip()
    if base.strip(".") == "":
        return "unnamed"
    if len(base) > MAX_NAME_CHARS:
        suffix = _safe_suffix(base)
        base = base[: MAX_NAME_CHARS - len(suffix)] + suffix
    return base


def _safe_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def _store(reader: BinaryIO, name: str, settings: Settings) -> tuple[str, Path, int]:
    """Copy into the store while hashing; returns (sha256, stored path, size)."""
    digest = hashlib.sha256()
    settings.document_store.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=settings.document_store, delete=False) as tmp:
        size = 0
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            tmp.write(chunk)
            size += len(chunk)
    sha = digest.hexdigest()
    target = settings.document_store / sha[:2] / f"{sha}{_safe_suffix(name)}"
    target.parent.mkdir(exist_ok=True)
    os.replace(tmp.name, target)
    return sha, target, size


def _add(
    reader: BinaryIO, name: str, source_uri: str, settings: Settings, parent_id: str | None
) -> tuple[Document, bool, Path]:
    """Store and register; a file over the size limit fails at once, never read whole by a worker."""
    sha, stored, size = _store(reader, name, settings)
    too_large: str | None = None
    try:
        ParseOptions.from_settings(settings).check_size(size)
        with stored.open("rb") as handle:
            head = handle.read(4096)
        # A ZIP's type is in its directory, at the end: sniffing a DOCX needs the whole file.
        media_type = sniff_media_type(stored.read_bytes() if head.startswith(b"PK") else head, name)
    except ParseError as exc:
        media_type = "application/octet-stream"
        too_large = str(exc) if size > settings.max_file_bytes else None
    document = Document(id=sha, source_uri=source_uri, filename=name, media_type=media_type, size=size)
    with session(settings.resolved_database_url) as db:
        created = add_document(db, document, str(stored.resolve()), parent_id)
        if created and too_large:
            set_status(db, sha, Status.FAILED, f"cannot parse: {too_large}")
    return document, created, stored


def register(
    source: Path, settings: Settings, source_uri: str | None = None, *, filename: str | None = None
) -> tuple[Document, bool]:
    """The document for this file, and whether it is new. Unknown formats are registered too:
    the parse stage fails them with a reason, and the copy stays in the store for a person."""
    with source.open("rb") as reader:
        document, created, _ = _add(
            reader, safe_filename(filename or source.name), source_uri or source.resolve().as_uri(), settings, None
        )
    return document, created


def register_file(
    source: Path, settings: Settings, source_uri: str | None = None, *, filename: str | None = None
) -> list[Document]:
    """The file's document, followed by one for each e-mail attachment in it (recursively)."""
    document, _ = register(source, settings, source_uri, filename=filename)
    if document.media_type != EmailBackend.media_type:
        return [document]
    return [document, *_attachments(document, source.read_bytes(), settings, depth=1)]


def _attachments(message: Document, data: bytes, settings: Settings, depth: int) -> list[Document]:
    if message.media_type != EmailBackend.media_type or depth > MAX_NESTED_MESSAGES:
        return []
    found: list[Document] = []
    for name, content in attachments(read_message(data)):
        uri = f"{message.source_uri}#attachment={quote(name)}"
        child, _, _ = _add(io.BytesIO(content), safe_filename(name), uri, settings, message.id)
        found += [child, *_attachments(child, content, settings, depth + 1)]
    return found

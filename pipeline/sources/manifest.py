"""Batch manifests: `contractflow run --manifest list.csv|list.jsonl`.

A CSV names each file in a `path` or `uri` column (else its first column); a JSONL file has one
`{"path": ...}`, `{"uri": ...}` or plain string per line. Entries are local paths (relative to the
manifest's folder) or s3:// URIs.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pipeline.ingest import register_file
from pipeline.models import Document
from pipeline.runner import RunError
from pipeline.settings import Settings
from pipeline.sources.s3 import client, fetch, split_uri

_COLUMNS = ("path", "uri")


def _csv_entries(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(name) for name in _COLUMNS if name in header), None)
    if column is None:  # no header: every row is an entry, first column
        return [row[0].strip() for row in rows]
    return [row[column].strip() for row in rows[1:] if len(row) > column and row[column].strip()]


def _jsonl_entries(path: Path) -> list[str]:
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RunError(f"{path.name} line {number}: not JSON ({exc.msg})") from exc
        value = item if isinstance(item, str) else next((item.get(k) for k in _COLUMNS if k in item), None)
        if not isinstance(value, str) or not value.strip():
            raise RunError(f'{path.name} line {number}: expected {{"path": ...}}, {{"uri": ...}} or a string')
        entries.append(value.strip())
    return entries


def read_manifest(path: Path) -> list[str]:
    if not path.is_file():
        raise RunError(f"no such manifest: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_entries(path)
    if suffix in {".jsonl", ".ndjson"}:
        return _jsonl_entries(path)
    raise RunError(f"manifest {path.name}: expected a .csv or .jsonl file")


def register_manifest(path: Path, settings: Settings) -> list[Document]:
    """Register every entry (all local files are checked first, so a typo costs nothing)."""
    entries = read_manifest(path)
    missing = [e for e in entries if not e.startswith("s3://") and not (path.parent / e).is_file()]
    if missing:
        raise RunError(f"{path.name} names files that do not exist: {', '.join(missing[:5])}")
    s3 = client(settings) if any(e.startswith("s3://") for e in entries) else None
    documents: list[Document] = []
    for entry in entries:
        if entry.startswith("s3://"):
            bucket, key = split_uri(entry)
            documents += fetch(s3, bucket, key, settings)
        else:
            documents += register_file(path.parent / entry, settings)
    return documents

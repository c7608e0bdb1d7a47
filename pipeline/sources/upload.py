"""Uploads over HTTP (FastAPI): `contractflow serve-upload`.

POST /documents (multipart, field `file`) registers the file and queues it like any other; the
reply carries the document id. GET /documents/{id} tells where it is.
"""

from __future__ import annotations

import shutil
import tempfile
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, UploadFile

from pipeline.ingest import register_file, safe_filename
from pipeline.runner import resubmit
from pipeline.settings import Settings
from pipeline.sources.base import Submit
from pipeline.store import DocumentRow, session


def create_app(settings: Settings, submit: Submit | None = None) -> FastAPI:
    queue = submit or partial(resubmit, settings)
    app = FastAPI(title="contractflow uploads")
    app.state.queued = set()  # what to requeue if an embedded worker dies

    @app.post("/documents", status_code=201)
    def upload(file: UploadFile) -> dict[str, Any]:
        name = safe_filename(file.filename or "upload")
        incoming = settings.home / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=incoming) as folder:
            local = Path(folder) / "upload"  # never the client's name: it may hold `../`
            with local.open("wb") as target:
                shutil.copyfileobj(file.file, target)
            documents = register_file(local, settings, f"upload:{quote(name)}", filename=name)
        ids = [document.id for document in documents]
        app.state.queued.update(ids)
        queue(ids)
        return {"id": documents[0].id, "filename": name, "attachments": [d.id for d in documents[1:]]}

    @app.get("/documents/{document_id}")
    def status(document_id: str) -> dict[str, Any]:
        with session(settings.resolved_database_url) as db:
            row = db.get(DocumentRow, document_id)
            if row is None:
                raise HTTPException(404, f"no document {document_id}")
            return {
                "id": row.id,
                "filename": row.filename,
                "status": row.status,
                "reason": row.reason,
                "parent_id": row.parent_id,
            }

    return app

"""Logging for workers and the CLI: with CONTRACTFLOW_LOG_JSON, one JSON object per line, carrying
the document id, the stage and the run id (the Celery task id of the stage run) of the step that logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pipeline.settings import Settings

_bound: ContextVar[dict[str, str] | None] = ContextVar("contractflow_log_context", default=None)


@contextlib.contextmanager
def bound(**fields: str) -> Iterator[None]:
    """Every record logged inside the block carries these fields (e.g. document_id, stage, run_id)."""
    token = _bound.set({**(_bound.get() or {}), **fields})
    try:
        yield
    finally:
        _bound.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.processName,
            "message": record.getMessage(),
            **(_bound.get() or {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(settings: Settings, level: str = "INFO") -> None:
    """With `log_json`, JSON lines on stderr for this process and, through Celery's `setup_logging`
    signal (which then leaves logging to us), for a worker and its pool processes."""
    if not settings.log_json:
        return
    from celery.signals import setup_logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    setup_logging.connect(lambda **_: None, weak=False)

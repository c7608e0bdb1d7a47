"""`contractflow run`: register files, queue them, and wait until every document is terminal.

In embedded mode the run starts its own worker process (and the local model server when no LLM
endpoint is configured) and stops them at the end; with a broker URL, separately started
`contractflow worker` processes do the work.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pipeline.flow import resume_stage
from pipeline.ingest import collect, register_file
from pipeline.models import Document, Status
from pipeline.settings import Settings
from pipeline.store import DocumentRow, ExtractionRow, PostingRow, VerdictRow, session, statuses

POLL_S = 0.2
log = logging.getLogger(__name__)


@dataclass
class Outcome:
    id: str
    file: str
    status: str
    reason: str | None
    fields: dict[str, Any] | None
    violations: list[dict[str, Any]]
    erp_reference: str | None


class RunError(Exception):
    pass


@contextlib.contextmanager
def local_model(settings: Settings) -> Iterator[None]:
    """Without a configured endpoint, the machine's local model server, up for this run.

    Started here so a missing model fails before any document is queued; the worker finds the same
    server through its state file, and restarts it if it crashes. A SIGTERM stops it as the end does.
    """
    if settings.llm_base_url is not None:
        yield
        return
    from pipeline.local_llm.catalogue import LocalModelError
    from pipeline.local_llm.server import owned_server

    with contextlib.ExitStack() as stack:
        stack.enter_context(_stop_on_sigterm())
        try:
            stack.enter_context(owned_server(settings))
        except LocalModelError as exc:
            raise RunError(str(exc)) from exc
        yield


class EmbeddedWorker:
    """A `contractflow worker` child process on the filesystem broker, restarted if it dies."""

    def __init__(self, settings: Settings) -> None:
        self.env = {**os.environ, "CONTRACTFLOW_HOME": str(settings.home.resolve())}
        # The local model serves one request at a time: a second extraction would only wait in its
        # queue and spend its own time budget there.
        self.concurrency = 1 if settings.llm_base_url is None else 2
        self.log_path = settings.home / "logs" / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pipeline", "worker", "--concurrency", str(self.concurrency)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def keep_alive(self, requeue: Callable[[], None]) -> None:
        """Restart a dead worker, then `requeue`: a killed worker loses the filesystem broker's
        in-flight message, so work is requeued from the store."""
        if self.alive():
            return
        self.restarts += 1
        if self.restarts > 3:
            raise RunError(f"the worker keeps dying; see {self.log_path}")
        self.start()
        requeue()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def resubmit(settings: Settings, ids: list[str]) -> None:
    """Queue each non-terminal document at the stage it continues with."""
    from pipeline.tasks import submit  # imports the Celery app for the configured broker

    current = _statuses(settings, ids)
    for document_id in ids:
        stage = resume_stage(Status(current[document_id]))
        if stage is not None:
            submit(document_id, stage)


def _statuses(settings: Settings, ids: list[str]) -> dict[str, str]:
    with session(settings.resolved_database_url) as db:
        return statuses(db, ids)


def _check_workers(settings: Settings, patience_s: float = 20.0) -> None:
    """Workers may still be starting: ask for a while before giving up."""
    from pipeline.celery_app import app

    deadline = time.monotonic() + patience_s
    while not app.control.ping(timeout=1.0):
        if time.monotonic() > deadline:
            raise RunError(
                f"no contractflow worker answers on {settings.broker_url}: start one with `contractflow worker`"
            )


def wait_for(
    settings: Settings,
    ids: list[str],
    on_progress: Callable[[int], None],
    worker: EmbeddedWorker | None,
) -> None:
    deadline = time.monotonic() + settings.run_timeout_s
    previous: dict[str, str] = {}
    changed_at = time.monotonic()
    while True:
        current = _statuses(settings, ids)
        done = sum(Status(s).terminal for s in current.values())
        on_progress(done)
        if done == len(ids):
            return
        if time.monotonic() > deadline:
            raise RunError(f"{len(ids) - done} documents not finished after {settings.run_timeout_s:.0f} s")
        if worker is not None:
            worker.keep_alive(lambda: resubmit(settings, ids))
        if current != previous:
            previous, changed_at = current, time.monotonic()
        elif time.monotonic() - changed_at > settings.broker_visibility_timeout_s:
            # Nothing moved for longer than Redis takes to hand a dead worker's tasks to another: a
            # task was lost (a worker killed between taking it off the queue and recording it as
            # unacknowledged). The store says where each document is; a step already done is skipped.
            log.warning("no progress for %.0f s: queuing the unfinished documents again", time.monotonic() - changed_at)
            resubmit(settings, [i for i, s in current.items() if not Status(s).terminal])
            changed_at = time.monotonic()
        time.sleep(POLL_S)


def outcomes(settings: Settings, ids: list[str]) -> list[Outcome]:
    with session(settings.resolved_database_url) as db:
        rows = {row.id: row for row in db.scalars(select(DocumentRow).where(DocumentRow.id.in_(ids)))}
        result = []
        for document_id in ids:
            row = rows[document_id]
            extraction = db.get(ExtractionRow, document_id)
            verdict = db.get(VerdictRow, document_id)
            posting = db.get(PostingRow, document_id)
            fields = extraction.payload["fields"] if extraction else None
            result.append(
                Outcome(
                    id=document_id,
                    file=row.filename,
                    status=row.status,
                    reason=row.reason,
                    fields=_plain(fields),
                    violations=verdict.payload["violations"] if verdict else [],
                    erp_reference=posting.reference if posting else None,
                )
            )
        return result


def _plain(fields: dict[str, Any] | None) -> dict[str, Any] | None:
    from pipeline.models import ContractFields

    return None if fields is None else ContractFields.model_validate(fields).plain()


@contextlib.contextmanager
def workers(settings: Settings) -> Iterator[EmbeddedWorker | None]:
    """Someone to do the work: with a broker URL the separately started workers (checked); in embedded
    mode a worker process of our own, and the local model, until the block ends."""
    if not settings.embedded_broker:
        _check_workers(settings)
        yield None
        return
    with _stop_on_sigterm(), local_model(settings):
        worker = EmbeddedWorker(settings)
        worker.start()
        try:
            yield worker
        finally:
            worker.stop()


@contextlib.contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so the worker and model server we started are stopped too,
    not left running behind a killed CLI. A command with its own SIGTERM handler (the watchers) keeps it."""
    own = signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    if own or threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(
    paths: list[Path],
    settings: Settings,
    on_registered: Callable[[list[Document], list[Path]], None],
    on_progress: Callable[[int], None],
) -> list[Outcome]:
    files, skipped = collect(paths)
    missing = [p for p in files if not p.exists()]
    if missing:
        raise RunError(f"no such file: {', '.join(map(str, missing))}")
    documents = [document for file in files for document in register_file(file, settings)]
    return process(documents, skipped, settings, on_registered, on_progress)


def process(
    documents: list[Document],
    skipped: list[Path],
    settings: Settings,
    on_registered: Callable[[list[Document], list[Path]], None],
    on_progress: Callable[[int], None],
) -> list[Outcome]:
    """Queue registered documents and wait until each is terminal."""
    documents = list({doc.id: doc for doc in documents}.values())
    on_registered(documents, skipped)
    ids = [doc.id for doc in documents]
    pending = [i for i, s in _statuses(settings, ids).items() if not Status(s).terminal]
    if not pending:
        return outcomes(settings, ids)
    with workers(settings) as worker:
        resubmit(settings, pending)
        wait_for(settings, ids, on_progress, worker)
    return outcomes(settings, ids)

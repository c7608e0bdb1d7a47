"""A watched folder: `contractflow watch ./inbox`.

A file is taken once its size and mtime have held still for watch_settle_s (a copy in progress
is left alone), then moved to `done/` or, with a `<name>.reason.txt` beside it, to `failed/` once
its document is terminal. watchdog wakes the loop on file events (a polling observer where the
system has no notifications); the loop also rescans on its own, so no event is ever needed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from pipeline.ingest import register_file
from pipeline.models import Status
from pipeline.settings import Settings
from pipeline.sources.base import Submit, Watcher
from pipeline.store import DocumentRow, session

log = logging.getLogger(__name__)


class _Wake(FileSystemEventHandler):
    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.event.set()


class FolderWatcher(Watcher):
    def __init__(self, inbox: Path, settings: Settings, submit: Submit | None = None) -> None:
        super().__init__(settings, submit)
        if not inbox.is_dir():
            raise ValueError(f"no such folder: {inbox}")
        self.inbox = inbox
        self.done, self.failed = inbox / "done", inbox / "failed"
        self.seen: dict[Path, tuple[int, int, float]] = {}  # size, mtime_ns, since when unchanged
        self.taken: dict[Path, str] = {}  # file -> its document, until moved
        self.woken = threading.Event()

    def observe(self) -> BaseObserver:
        """Start watching for file events; the caller stops the observer."""
        for name, kind in (("inotify", Observer), ("polling", PollingObserver)):
            observer = kind()
            try:
                observer.schedule(_Wake(self.woken), str(self.inbox), recursive=False)
                observer.start()
                return observer
            except OSError as exc:  # e.g. out of inotify watches
                log.warning("%s observer unavailable (%s); trying the next", name, exc)
        raise RuntimeError("unreachable: PollingObserver needs no system support")

    def files(self) -> list[Path]:
        return sorted(p for p in self.inbox.iterdir() if p.is_file() and not p.name.startswith("."))

    def step(self) -> float:
        self.woken.clear()
        now = time.monotonic()
        for path in self.files():
            if path in self.taken:
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # moved away meanwhile
            size, mtime, since = self.seen.get(path, (-1, -1, now))
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
                self.seen[path] = (stat.st_size, stat.st_mtime_ns, now)
            elif now - since >= self.settings.watch_settle_s:
                del self.seen[path]
                self.take(path)
        self.move_finished()
        return self.settings.watch_settle_s / 2 if self.seen or self.taken else self.settings.watch_interval_s

    def take(self, path: Path) -> None:
        documents = register_file(path, self.settings)
        self.taken[path] = documents[0].id
        self.queue(documents)
        log.info("took %s as %s", path.name, documents[0].id[:12])

    def move_finished(self) -> None:
        if not self.taken:
            return
        with session(self.settings.resolved_database_url) as db:
            rows = {path: db.get_one(DocumentRow, document_id) for path, document_id in self.taken.items()}
        for path, row in rows.items():
            if Status(row.status).terminal:
                self.move(path, row)

    def move(self, path: Path, row: DocumentRow) -> None:
        if not path.exists():  # somebody took it away: nothing to move
            del self.taken[path]
            return
        failed = row.status == Status.FAILED
        folder = self.failed if failed else self.done
        folder.mkdir(exist_ok=True)
        target = folder / path.name
        if target.exists():  # a file of the same name came before
            target = folder / f"{path.stem}.{row.id[:12]}{path.suffix}"
        path.replace(target)
        if failed:
            (folder / f"{target.name}.reason.txt").write_text(f"{row.reason}\ndocument: {row.id}\n", encoding="utf-8")
        del self.taken[path]

    def idle(self) -> bool:
        return not self.seen and not self.taken

    def pause(self, stop: threading.Event, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not stop.is_set() and not self.woken.is_set() and time.monotonic() < deadline:
            self.woken.wait(min(0.2, max(0.0, deadline - time.monotonic())))

    def run(self, stop: threading.Event, between: Callable[[], None] = lambda: None, once: bool = False) -> None:
        observer = self.observe()
        try:
            super().run(stop, between, once)
        finally:
            observer.unschedule_all()  # no event may arrive once the emitter stops
            observer.stop()
            observer.join(timeout=5)

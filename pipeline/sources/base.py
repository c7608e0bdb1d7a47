from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import partial

from pipeline.models import Document, Status
from pipeline.runner import resubmit
from pipeline.settings import Settings
from pipeline.store import session, statuses

log = logging.getLogger(__name__)

Submit = Callable[[list[str]], None]


class Watcher(ABC):
    """A loop that takes in new files as they come and queues their documents."""

    def __init__(self, settings: Settings, submit: Submit | None = None) -> None:
        self.settings = settings
        self.submit: Submit = submit or partial(resubmit, settings)
        self.in_flight: set[str] = set()

    def queue(self, documents: list[Document]) -> None:
        ids = [document.id for document in documents]
        self.in_flight.update(ids)
        self.submit(ids)

    def statuses(self, ids: list[str]) -> dict[str, Status]:
        with session(self.settings.resolved_database_url) as db:
            return {document_id: Status(status) for document_id, status in statuses(db, ids).items()}

    def settle(self) -> None:
        """Forget documents that reached a terminal state."""
        current = self.statuses(sorted(self.in_flight))
        self.in_flight -= {document_id for document_id, status in current.items() if status.terminal}

    @abstractmethod
    def step(self) -> float:
        """Take in what is new; returns the seconds to wait before the next step."""

    def run(self, stop: threading.Event, between: Callable[[], None] = lambda: None, once: bool = False) -> None:
        """Step until `stop` is set; with `once`, until what was there at the start is terminal."""
        while not stop.is_set():
            try:
                delay = self.step()
                self.settle()
            except Exception:  # a source that is down for a while must not end the watch
                log.exception("watch step failed; trying again")
                delay = self.settings.watch_interval_s
            between()
            if once and not self.in_flight and self.idle():
                return
            self.pause(stop, delay)

    def pause(self, stop: threading.Event, seconds: float) -> None:
        stop.wait(seconds)

    def idle(self) -> bool:
        """Nothing is waiting to be taken in (for `once`)."""
        return True

"""Prometheus metrics: what the stages, the model and the queues are doing.

`contractflow worker` serves them on CONTRACTFLOW_METRICS_PORT. Celery's prefork pool runs the
steps in child processes, so with a port set the counters live in prometheus_client's multiprocess
mode (one folder per worker under home/metrics) and the worker's main process serves their sum.
Queue depth and documents by status are read from the broker and the store at each scrape.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pipeline.models import Usage
from pipeline.settings import Settings, get_settings

_settings = get_settings()
# prometheus_client picks its storage when first imported: the folder must be chosen before that.
if _settings.metrics_port is not None and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    _folder = (_settings.home / "metrics" / str(os.getpid())).resolve()
    shutil.rmtree(_folder, ignore_errors=True)
    _folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_folder)

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server  # noqa: E402
from prometheus_client.core import GaugeMetricFamily  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402
from prometheus_client.registry import REGISTRY, Collector  # noqa: E402

log = logging.getLogger(__name__)
_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

DOCUMENTS_FINISHED = Counter(
    "contractflow_documents_finished", "Documents that reached a terminal state, by that state", ["status"]
)
STAGE_SECONDS = Histogram(
    "contractflow_stage_seconds", "Time of one stage step, by outcome", ["stage", "outcome"], buckets=_SECONDS
)
RETRIES = Counter("contractflow_retries", "Stage steps left for a later retry, by error", ["stage", "error"])
LLM_CALLS = Counter("contractflow_llm_calls", "Structured model calls, by outcome", ["model", "outcome"])
LLM_SECONDS = Histogram("contractflow_llm_seconds", "Time of one structured model call", ["model"], buckets=_SECONDS)
LLM_TOKENS = Counter("contractflow_llm_tokens", "Model tokens, by kind (prompt, completion)", ["model", "kind"])
LLM_COST = Counter("contractflow_llm_cost_usd", "Model cost from CONTRACTFLOW_LLM_PRICES", ["model"])


def step_done(stage: str, started: datetime, outcome: str) -> None:
    from pipeline.store import now

    STAGE_SECONDS.labels(stage, outcome).observe((now() - started).total_seconds())


def llm_call(model: str, outcome: str, usage: Usage, started: float) -> None:
    """One structured call (with instructor's re-asks) and the tokens it cost; `started` is monotonic."""
    LLM_SECONDS.labels(model).observe(time.monotonic() - started)
    LLM_CALLS.labels(model, outcome).inc()
    LLM_TOKENS.labels(model, "prompt").inc(usage.prompt_tokens)
    LLM_TOKENS.labels(model, "completion").inc(usage.completion_tokens)


class StateCollector(Collector):
    """Read at each scrape: tasks waiting per stage queue, and documents per status in the store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield self._queue_depth()
        yield self._documents()

    def _queue_depth(self) -> GaugeMetricFamily:
        from kombu.exceptions import ChannelError

        from pipeline.celery_app import QUEUES, app

        gauge = GaugeMetricFamily("contractflow_queue_depth", "Tasks waiting in a stage queue", labels=["queue"])
        with app.connection_for_read() as connection:
            channel = connection.default_channel
            for queue in QUEUES.values():
                try:
                    depth = channel.queue_declare(queue=queue, passive=True).message_count
                except ChannelError:  # Redis drops an empty queue's key: nothing waiting
                    depth = 0
                gauge.add_metric([queue], depth)
        return gauge

    def _documents(self) -> GaugeMetricFamily:
        from sqlalchemy import create_engine, func, select
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.pool import NullPool

        from pipeline.store import DocumentRow

        gauge = GaugeMetricFamily("contractflow_documents", "Documents in the store, by status", labels=["status"])
        # No pooled connection may outlive the scrape: Celery forks pool processes from this process,
        # and a child that inherits a live database connection shares its socket with the parent.
        engine = create_engine(self.settings.resolved_database_url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                query = select(DocumentRow.status, func.count()).group_by(DocumentRow.status)
                for status, count in connection.execute(query):
                    gauge.add_metric([status], count)
        except SQLAlchemyError as exc:  # no store yet, or it is down: the other metrics still count
            log.debug("documents by status unavailable: %s", exc)
        finally:
            engine.dispose()
        return gauge


def registry(settings: Settings) -> Any:
    """This process's metrics (the sum over its pool processes in multiprocess mode) and the state."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        combined = CollectorRegistry()
        MultiProcessCollector(combined)
    else:
        combined = REGISTRY
    combined.register(StateCollector(settings))
    return combined


def serve(settings: Settings, parent: int | None = None) -> None:
    """Serve /metrics on metrics_host:metrics_port until interrupted, or until process `parent` is gone."""
    assert settings.metrics_port is not None
    start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=registry(settings))
    while parent is None or os.getppid() == parent:
        time.sleep(1)


def serve_beside_worker() -> subprocess.Popen[bytes]:
    """`contractflow metrics serve` for this worker, in a process of its own: a server thread in the
    worker's main process can hold a lock (an import, a connection pool) at the moment Celery forks a
    pool process, which then hangs on it forever (seen here)."""
    command = [sys.executable, "-m", "pipeline", "metrics", "serve", "--parent", str(os.getpid())]
    return subprocess.Popen(command)

"""Thin Celery wrappers: each runs one step and sends the document on to the next stage's queue."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from celery import Task

from pipeline import logs
from pipeline.celery_app import QUEUES, app
from pipeline.flow import STAGES, TRANSIENT_ERRORS, Context, fail, run_step
from pipeline.settings import get_settings

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def context() -> Context:
    return Context(get_settings())


class StageTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = get_settings().task_backoff_s
    retry_backoff_max = get_settings().task_backoff_max_s
    retry_jitter = True
    max_retries = get_settings().task_max_retries

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # Only transient errors reach here, once their retries are spent: the document must still end.
        document_id = args[0]
        fail(context(), document_id, self.name.split(".")[-1], f"gave up after {self.max_retries} retries: {exc}")


def _advance(stage: str, document_id: str) -> None:
    next_stage = run_step(context(), stage, document_id)
    log.info("%s done, next: %s", stage, next_stage or "nothing (terminal)")
    if next_stage is not None:
        TASKS[next_stage].apply_async((document_id,), queue=QUEUES[next_stage])


def _stage_task(stage: str) -> Task:
    # A post step is retried until its outbox item gives up (outbox_max_attempts), not before: an ERP
    # that is down for a while must not fail the documents waiting for it.
    retries = get_settings().outbox_max_attempts if stage == "post" else get_settings().task_max_retries

    @app.task(base=StageTask, name=f"contractflow.{stage}", bind=True, max_retries=retries)
    def run(self: Task, document_id: str) -> None:
        with logs.bound(document_id=document_id, stage=stage, run_id=self.request.id):
            _advance(stage, document_id)

    return run


TASKS: dict[str, Task] = {stage: _stage_task(stage) for stage in STAGES}


def submit(document_id: str, stage: str = "parse") -> None:
    TASKS[stage].apply_async((document_id,), queue=QUEUES[stage])

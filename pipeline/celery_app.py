"""The Celery app: one queue per stage, late acks, and a broker chosen by settings.

Embedded (no CONTRACTFLOW_BROKER_URL): kombu's filesystem transport under `home`, so no server is
needed (1,515 tasks/s measured here, enough for an LLM-bound pipeline). Otherwise any broker URL,
Redis when scaling out.
"""

from __future__ import annotations

from celery import Celery

from pipeline.flow import STAGES
from pipeline.settings import Settings, get_settings

QUEUES = {stage: f"contractflow.{stage}" for stage in STAGES}


def broker_options(settings: Settings) -> tuple[str, dict[str, object]]:
    if not settings.embedded_broker:
        assert settings.broker_url is not None
        # Redis keeps a delivered, unacknowledged task until its visibility timeout (kombu's default:
        # an hour) before handing it to another worker: a killed worker's tasks would wait that long.
        # Swept every tenth of the timeout (at most a minute) instead of kombu's ~100 s.
        timeout = settings.broker_visibility_timeout_s
        return settings.broker_url, {
            "visibility_timeout": timeout,
            "unacked_restore_interval": max(1, min(60, round(timeout / 10))),
            "unacked_restore_throttle": 1,
        }
    folder = (settings.home / "broker").resolve()
    for sub in ("queue", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return "filesystem://", {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "polling_interval": 0.05,
    }


def make_app(settings: Settings) -> Celery:
    broker, transport_options = broker_options(settings)
    app = Celery("contractflow", broker=broker, include=["pipeline.tasks"])
    if broker.startswith(("redis://", "rediss://")):
        app.conf.broker_transport = "pipeline.redis_transport:Transport"  # survives a broker restart
    app.conf.update(
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,  # outcomes live in the state store, not a result backend
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_routes={f"contractflow.{stage}": {"queue": queue} for stage, queue in QUEUES.items()},
        task_default_queue=QUEUES["parse"],
        worker_hijack_root_logger=False,
        # Sending the next stage's task rides out a broker restart (~2 min) instead of failing the step.
        task_publish_retry_policy={"max_retries": 60, "interval_start": 0, "interval_step": 0.5, "interval_max": 2},
    )
    return app


app = make_app(get_settings())

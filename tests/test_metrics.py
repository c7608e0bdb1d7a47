"""Observability: a prefork worker's Prometheus endpoint after a run, its JSON logs, and Flower,
all against the real Redis and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from pipeline.settings import Settings
from pipeline.store import ExtractionRow, session
from tests.conftest import ROOT, SAMPLES, free_port
from tests.fake_openai import FakeOpenAI, answer_from_expected, load_expected
from tests.test_faults import RedisServer, broker
from tests.test_run_e2e import contractflow, environment

__all__ = ["broker"]  # a Redis of our own: tests elsewhere flush and serve the shared one

EXPECTED = load_expected(SAMPLES)
START_TIMEOUT_S = 30.0


def wait_for_http(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        assert process.poll() is None, f"{process.args} exited"
        try:
            return httpx.get(url, timeout=5).raise_for_status()
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def samples(metrics_text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a Prometheus text page."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
    }


def total(page: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return sum(v for (n, lbls), v in page.items() if n == name and set(labels.items()) <= set(lbls))


@pytest.fixture
def worker(tmp_path: Path, broker: RedisServer, postgres_url: str) -> Iterator[tuple[dict[str, str], str, Path]]:
    """A prefork worker (2 processes) serving metrics and logging JSON; (env, metrics URL, log)."""
    with FakeOpenAI(answer_from_expected(SAMPLES)) as model:
        port = free_port()
        env = environment(
            tmp_path / "home",
            model,
            CONTRACTFLOW_BROKER_URL=broker.url,
            CONTRACTFLOW_DATABASE_URL=postgres_url,
            CONTRACTFLOW_METRICS_PORT=str(port),
            CONTRACTFLOW_LOG_JSON="1",
        )
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "pipeline", "worker", "--concurrency", "2"],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}/metrics"
        try:
            wait_for_http(url, process)
            yield env, url, log
        finally:
            stop(process)


def test_metrics_count_what_a_run_did(worker: tuple[dict[str, str], str, Path], tmp_path: Path) -> None:
    env, url, log = worker
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES, inbox)
    result = contractflow(env, "run", str(inbox), "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    documents = json.loads(result.stdout)["documents"]
    by_status = {s: sum(d["status"] == s for d in documents) for s in ("posted", "escalated")}
    assert by_status["posted"] and by_status["escalated"]

    page = samples(httpx.get(url, timeout=10).text)
    for status, count in by_status.items():
        assert total(page, "contractflow_documents_finished_total", status=status) == count
        assert total(page, "contractflow_documents", status=status) == count
    assert total(page, "contractflow_stage_seconds_count", stage="parse", outcome="ok") == len(documents)
    assert total(page, "contractflow_stage_seconds_count", stage="post", outcome="ok") == by_status["posted"]
    with session(Settings(database_url=env["CONTRACTFLOW_DATABASE_URL"]).resolved_database_url) as db:
        prompt = db.scalar(select(func.sum(ExtractionRow.prompt_tokens)))
        completion = db.scalar(select(func.sum(ExtractionRow.completion_tokens)))
    assert total(page, "contractflow_llm_tokens_total", kind="prompt") == prompt > 0
    assert total(page, "contractflow_llm_tokens_total", kind="completion") == completion > 0
    assert total(page, "contractflow_llm_calls_total", outcome="ok") >= len(documents)
    assert total(page, "contractflow_retries_total") == 0
    assert total(page, "contractflow_queue_depth", queue="contractflow.extract") == 0
    assert ("contractflow_llm_cost_usd_total", (("model", "fake"),)) in page

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    ids = {d["id"] for d in documents}
    tagged = [entry for entry in lines if entry.get("document_id") in ids]
    assert {entry["document_id"] for entry in tagged} == ids
    assert all(entry["run_id"] and entry["stage"] for entry in tagged)


def test_flower_serves_the_redis_deployment(tmp_path: Path, broker: RedisServer) -> None:
    port = free_port()
    env = {"CONTRACTFLOW_BROKER_URL": broker.url, "CONTRACTFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "--app", "pipeline.celery_app:app", "flower"),
            *("--address=127.0.0.1", f"--port={port}", f"--db={tmp_path / 'flower.db'}"),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthcheck", process).text == "OK"
        assert "flower_events_total" in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        stop(process)

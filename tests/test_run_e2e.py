"""`contractflow run` through real Celery workers: embedded (filesystem broker, SQLite, a worker the
CLI starts) and scaled out (real Redis broker, real PostgreSQL, separately started workers)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MODEL_READS_ALL, ROOT, SAMPLES
from tests.fake_openai import FakeOpenAI, Reply, load_expected

EXPECTED = load_expected(SAMPLES)
RUN_TIMEOUT_S = 240


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """The samples plus a broken file, which must fail alone while the rest go on."""
    folder = tmp_path / "inbox"
    shutil.copytree(SAMPLES, folder)
    (folder / "zz_broken.pdf").write_bytes(b"%PDF-1.4\n%%EOF truncated")
    return folder


def environment(home: Path, model: FakeOpenAI, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACTFLOW_")}
    env.update(CONTRACTFLOW_HOME=str(home), CONTRACTFLOW_LLM_BASE_URL=model.base_url, CONTRACTFLOW_LLM_MODEL="fake")
    env.update(MODEL_READS_ALL, **extra)
    return env


def contractflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )


def check_outcomes(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    assert result.returncode == 0, result.stderr[-3000:]
    documents = {Path(d["file"]).stem: d for d in json.loads(result.stdout)["documents"]}
    assert set(documents) == {*EXPECTED, "zz_broken"}
    for stem, expected in EXPECTED.items():
        assert documents[stem]["status"] == expected["status"], (stem, documents[stem]["reason"])
        assert documents[stem]["fields"] == expected["fields"], stem
    broken = documents["zz_broken"]
    assert broken["status"] == "failed" and "cannot parse" in broken["reason"]
    return documents


def test_embedded_run_needs_no_server_and_reruns_do_nothing(home: Path, model: FakeOpenAI, inbox: Path) -> None:
    env = environment(home, model)
    documents = check_outcomes(contractflow(env, "run", str(inbox), "--json"))
    requests = len(model.requests)
    assert requests >= len(EXPECTED)
    posted = (home / "erp" / "contracts.jsonl").read_text().splitlines()
    assert len(posted) == sum(d["status"] == "posted" for d in documents.values())

    again = check_outcomes(contractflow(env, "run", str(inbox), "--json"))
    assert again == documents
    assert len(model.requests) == requests
    assert (home / "erp" / "contracts.jsonl").read_text().splitlines() == posted

    status = contractflow(env, "status", documents["01_msa_northwind_larkspur"]["id"][:10])
    assert status.returncode == 0 and "posted to jsonl" in status.stdout


@pytest.fixture
def workers(home: Path, model: FakeOpenAI, redis_url: str, postgres_url: str) -> Iterator[dict[str, str]]:
    """Two worker processes on the real Redis, each serving its own queues, as on two hosts."""
    env = environment(home, model, CONTRACTFLOW_BROKER_URL=redis_url, CONTRACTFLOW_DATABASE_URL=postgres_url)
    logs = home / "logs"
    logs.mkdir()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "pipeline", "worker", "--queues", queues, "--concurrency", "1"],
            env=env,
            cwd=ROOT,
            stdout=(logs / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for name, queues in (("a", "parse,validate,post"), ("b", "extract"))
    ]
    try:
        yield env
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_redis_broker_postgres_store_separate_workers(workers: dict[str, str], model: FakeOpenAI, inbox: Path) -> None:
    documents = check_outcomes(contractflow(workers, "run", str(inbox), "--json"))
    posted = [d for d in documents.values() if d["status"] == "posted"]
    assert all(d["erp_reference"] for d in posted)


def test_redis_run_without_workers_says_how_to_start_one(home: Path, model: FakeOpenAI, redis_url: str) -> None:
    env = environment(home, model, CONTRACTFLOW_BROKER_URL=redis_url)
    result = contractflow(env, "run", str(SAMPLES / "04_consulting_fixed_term.txt"))
    assert result.returncode == 2
    assert "start one with `contractflow worker`" in " ".join(result.stderr.split())


def _processes_with(home: Path) -> list[int]:
    """Processes whose environment names this home: the run's own worker children."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"CONTRACTFLOW_HOME={home}".encode() in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def test_a_terminated_run_stops_the_worker_it_started(home: Path, model: FakeOpenAI) -> None:
    model.responder = lambda _: Reply.slow(60)
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(SAMPLES / "04_consulting_fixed_term.txt")],
        env=environment(home, model),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not model.requests and time.monotonic() < deadline:
            time.sleep(0.2)
        assert model.requests, "the worker never called the model"
        assert len(_processes_with(home)) >= 2  # the CLI and its worker
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 30
        while _processes_with(home) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _processes_with(home) == []
    finally:
        run.kill()

"""Faults during a 200-document batch on real Redis, PostgreSQL and `contractflow worker` processes.

Each test breaks one thing while `contractflow run` waits for the batch: worker processes killed
with SIGKILL, the Redis broker restarted, the ERP (a real trytond) stopped for 60 s, or the model
endpoint answering 30 % of requests with 429, 500, a timeout or invalid JSON. Each then checks the
same promises: no document lost, none posted twice, every one terminal, retries and tokens within
their caps.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from pipeline.models import TERMINAL, Status
from pipeline.settings import Settings
from pipeline.store import DocumentRow, ExtractionRow, OutboxItem, PostingRow, StageRun, session
from tests.conftest import ROOT, SAMPLES, free_port
from tests.fake_openai import FakeOpenAI, Reply, answer_from_expected, prompt_text
from tests.test_run_e2e import environment
from tests.tryton_fixtures import TrytonServer, tryton, tryton_template

__all__ = ["tryton", "tryton_template"]  # fixtures used here

DOCUMENTS = 200
TEMPLATE = SAMPLES / "04_consulting_fixed_term.txt"  # a contract the scripted model answers and that posts
BATCH_TIMEOUT_S = 420.0
START_TIMEOUT_S = 20.0
# Short enough that a killed worker's tasks come back within the test, longer than any task here.
LIMITS = {
    "CONTRACTFLOW_BROKER_VISIBILITY_TIMEOUT_S": "20",
    "CONTRACTFLOW_OUTBOX_LEASE_S": "15",
    "CONTRACTFLOW_TASK_BACKOFF_S": "1",
    "CONTRACTFLOW_TASK_BACKOFF_MAX_S": "20",  # 30 outbox attempts then outlast a 60 s ERP outage
    "CONTRACTFLOW_LLM_TIMEOUT_S": "2",
    "CONTRACTFLOW_RUN_TIMEOUT_S": str(int(BATCH_TIMEOUT_S - 20)),
}


def make_batch(folder: Path, count: int = DOCUMENTS) -> dict[str, str]:
    """`count` distinct contracts (a file number heads each copy of the template); {tag: file name}."""
    folder.mkdir()
    text = TEMPLATE.read_text(encoding="utf-8")
    tags = {}
    for number in range(count):
        tag = f"CF-{number:04d}"
        (folder / f"contract_{number:04d}.txt").write_text(f"File {tag}\n\n{text}", encoding="utf-8")
        tags[tag] = f"contract_{number:04d}.txt"
    return tags


@dataclass
class RedisServer:
    """A Redis of our own with AOF on, to be restarted under the workers' feet."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--appendonly", "yes"),
                *("--save", "", "--dir", str(self.folder), "--logfile", str(self.folder / "redis.log")),
            ],
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Redis flushes its AOF and exits
            self.process.wait(timeout=30)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Workers:
    """`contractflow worker` processes, each in its own process group like a host of its own."""

    def __init__(self, env: dict[str, str], logs: Path, count: int = 2) -> None:
        self.env, self.logs = env, logs
        self.started = 0
        self.log_of: dict[int, Path] = {}  # by worker pid
        self.processes = [self._start() for _ in range(count)]

    def _start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        path = self.logs / f"worker-{self.started}.log"
        with path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "pipeline", "worker", "--concurrency", "2"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.log_of[process.pid] = path
        return process

    def kill_host(self, index: int) -> None:
        """SIGKILL a worker and its pool processes, then start a replacement (a host crash)."""
        process = self.processes[index]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        self.processes[index] = self._start()

    def alive(self) -> bool:
        return all(process.poll() is None for process in self.processes)

    def kill_child(self, index: int) -> bool:
        """SIGKILL one pool process of a running worker (it replaces the process); False if not ready yet.

        (Celery gives up on a worker whose pool process dies while it is starting.)"""
        pid = self.processes[index].pid
        if " ready." not in self.log_of[pid].read_text(errors="replace"):
            return False
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if not children:
            return False
        os.kill(int(children[0]), signal.SIGKILL)
        return True

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@dataclass
class Batch:
    """A running `contractflow run` over the batch, and what it needs to be checked."""

    env: dict[str, str]
    tags: dict[str, str]
    process: subprocess.Popen[bytes]
    out: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def settings(self) -> Settings:
        return Settings(database_url=self.env["CONTRACTFLOW_DATABASE_URL"])

    def running(self) -> bool:
        return self.process.poll() is None and time.monotonic() - self.started < BATCH_TIMEOUT_S

    def count(self, *statuses: Status) -> int:
        with session(self.settings.resolved_database_url) as db:
            return db.scalar(select(func.count()).where(DocumentRow.status.in_(statuses))) or 0

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        while not condition():
            assert self.running(), f"the batch ended or timed out before {what}"
            time.sleep(0.2)

    def finish(self) -> dict[str, dict[str, Any]]:
        try:
            self.process.wait(timeout=max(1.0, BATCH_TIMEOUT_S - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        text = self.out.read_text()
        assert self.process.returncode == 0, text[-3000:]
        return {d["file"]: d for d in json.loads(text[text.index("{") :])["documents"]}


@pytest.fixture
def batch_env(tmp_path: Path, broker: RedisServer, postgres_url: str) -> Iterator[Callable[..., Batch]]:
    """Start workers and `contractflow run` over a fresh batch; stops the workers afterwards."""
    workers: list[Workers] = []
    runs: list[subprocess.Popen[bytes]] = []

    def start(model: FakeOpenAI, **extra: str) -> Batch:
        home = tmp_path / "home"
        logs = home / "logs"
        logs.mkdir(parents=True)
        env = environment(
            home, model, CONTRACTFLOW_BROKER_URL=broker.url, CONTRACTFLOW_DATABASE_URL=postgres_url, **LIMITS
        )
        env.update(extra)
        tags = make_batch(tmp_path / "inbox")
        pool = Workers(env, logs)
        workers.append(pool)
        out = logs / "run.out"
        with out.open("wb") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", "pipeline", "run", str(tmp_path / "inbox"), "--json"],
                env=env,
                cwd=ROOT,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        runs.append(process)
        batch = Batch(env, tags, process, out)
        batch.workers = pool  # type: ignore[attr-defined]
        return batch

    try:
        yield start
    finally:
        for process in runs:
            if process.poll() is None:
                process.kill()
                process.wait()
        for pool in workers:
            pool.stop()


def check(batch: Batch, erp_keys: Callable[[Batch], list[str]], model: FakeOpenAI) -> dict[str, dict[str, Any]]:
    """No document lost or posted twice, every one terminal, retries and tokens within their caps;
    `erp_keys` reads the idempotency keys the ERP holds once the batch is done."""
    documents = batch.finish()
    keys = erp_keys(batch)
    assert set(documents) == set(batch.tags.values())  # none lost
    assert {d["status"] for d in documents.values()} <= {str(s) for s in TERMINAL}
    posted = {d["id"] for d in documents.values() if d["status"] == Status.POSTED}
    assert len(keys) == len(set(keys)), "a contract was posted twice"
    not_posted = {d["id"]: (d["status"], d["reason"]) for d in documents.values() if d["id"] in set(keys) - posted}
    assert set(keys) == posted, not_posted
    settings = Settings(**{k.removeprefix("CONTRACTFLOW_").lower(): v for k, v in LIMITS.items()})
    with session(batch.settings.resolved_database_url) as db:
        assert db.scalar(select(func.count()).select_from(PostingRow)) == len(posted)
        assert db.scalar(select(func.count()).where(OutboxItem.status == "pending")) == 0
        retries = Counter(
            (run.document_id, run.stage) for run in db.scalars(select(StageRun).where(StageRun.status == "retry"))
        )
        for (_, stage), count in retries.items():  # a post step retries until its outbox item gives up
            assert count <= (settings.outbox_max_attempts if stage == "post" else settings.task_max_retries) + 1
        for extraction in db.scalars(select(ExtractionRow)):
            assert extraction.prompt_tokens + extraction.completion_tokens <= settings.agent_max_tokens
    # Model calls per document: each stage attempt runs at most the agent's steps, each with
    # instructor's re-asks, each sent at most twice by the openai client.
    per_document = Counter(next(t for t in batch.tags if t in prompt_text(r)) for r in model.requests)
    calls_cap = (settings.task_max_retries + 1) * settings.agent_max_steps * (settings.llm_max_retries + 1) * 2
    assert max(per_document.values()) <= calls_cap
    return documents


def jsonl_keys(batch: Batch) -> list[str]:
    path = Path(batch.env["CONTRACTFLOW_HOME"]) / "erp" / "contracts.jsonl"
    return [json.loads(line)["idempotency_key"] for line in path.read_text().splitlines()]


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(answer_from_expected(SAMPLES)) as server:
        yield server


def test_workers_killed_repeatedly(batch_env: Callable[..., Batch], model: FakeOpenAI) -> None:
    batch = batch_env(model)
    workers: Workers = batch.workers  # type: ignore[attr-defined]
    rng = random.Random(9)
    kills = 0
    for round_ in range(6):  # bounded: six kills, spread over the batch
        finished = 30 * (round_ + 1)
        batch.wait_until(lambda f=finished: batch.count(*TERMINAL) >= f or not batch.running(), f"{finished} done")
        if not batch.running() or batch.count(*TERMINAL) == DOCUMENTS:
            break
        index = rng.randrange(len(workers.processes))
        if round_ % 2 == 0:
            workers.kill_host(index)
            kills += 1
        else:
            kills += workers.kill_child(index)
    assert kills >= 3, "the batch finished before the workers could be killed"
    assert workers.alive(), "a worker did not survive losing a pool process"
    documents = check(batch, jsonl_keys, model)
    failed = {d["file"]: d["reason"] for d in documents.values() if d["status"] != "posted"}
    assert failed == {}, failed


def test_broker_restarted(batch_env: Callable[..., Batch], broker: RedisServer, model: FakeOpenAI) -> None:
    batch = batch_env(model)
    for finished in (40, 120):
        batch.wait_until(lambda f=finished: batch.count(*TERMINAL) >= f, f"{finished} done")
        broker.stop()
        time.sleep(2)
        broker.start()
    documents = check(batch, jsonl_keys, model)
    failed = {d["file"]: d["reason"] for d in documents.values() if d["status"] != "posted"}
    assert failed == {}, failed


def test_erp_down_for_a_minute(batch_env: Callable[..., Batch], tryton: TrytonServer, model: FakeOpenAI) -> None:
    batch = batch_env(model, **tryton.environment())
    batch.wait_until(lambda: batch.count(Status.POSTED) >= 20, "20 posted")
    tryton.stop()
    down_until = time.monotonic() + 60
    while time.monotonic() < down_until:
        assert batch.running()
        time.sleep(1)
    tryton.start()

    def agreement_keys(_: Batch) -> list[str]:
        rows = tryton.search_read("purchase.blanket_agreement", [["reference", "!=", None]], ["reference"])
        return [row["reference"] for row in rows]

    documents = check(batch, agreement_keys, model)
    failed = {d["file"]: d["reason"] for d in documents.values() if d["status"] != "posted"}
    assert failed == {}, failed


def test_model_faults_at_thirty_percent(batch_env: Callable[..., Batch]) -> None:
    with FakeOpenAI(answer_from_expected(SAMPLES), fault_rate=0.3, fault_timeout_s=4, seed=9) as model:
        batch = batch_env(model)
        documents = check(batch, jsonl_keys, model)
    assert set(model.injected) == {"429", "500", "timeout", "invalid_json"}
    statuses = Counter(d["status"] for d in documents.values())
    assert statuses["posted"] >= DOCUMENTS * 0.9, statuses  # faults cost retries, rarely the document


def test_fake_server_capacity_and_seeded_faults() -> None:
    """The scripted server's load knobs behave as the tests above and the benchmarks assume."""
    import openai

    with FakeOpenAI(lambda _: Reply.text("ok"), capacity=1, latency=0.5) as fake:
        client = openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
        import threading

        errors: list[Exception] = []

        def call() -> None:
            try:
                client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
            except openai.RateLimitError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=call) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert len(errors) == 1 and fake.stats()["peak_in_flight"] == 1 and fake.injected["overflow"] == 1

    def draws(seed: int) -> list[str]:
        with FakeOpenAI(lambda _: Reply.text("ok"), fault_rate=0.3, faults=["429", "500"], seed=seed) as fake:
            client = openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
            outcomes = []
            for _ in range(40):
                try:
                    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
                    outcomes.append("ok")
                except openai.APIStatusError as exc:
                    outcomes.append(str(exc.status_code))
            return outcomes

    first = draws(3)
    assert first == draws(3) and {"ok", "429", "500"} <= set(first)
    assert 4 <= len(first) - first.count("ok") <= 20

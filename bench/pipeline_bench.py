"""Pipeline throughput on Redis + PostgreSQL with `contractflow worker` processes and the scripted
OpenAI-compatible server (`python -m tests.fake_openai`), each comparison measured side by side:

    .venv/bin/python -m bench.pipeline_bench [overhead] [inflight] [scaling] [curve] [--documents N]

- overhead: zero-latency model, one worker (prefork, 2 processes): documents/s (target >= 20).
- inflight: 1 s model latency, capacity 4: how busy one worker keeps the endpoint, prefork (2
  processes) vs a threads pool of 8 on the extract queue (target >= 0.8 of capacity).
- scaling: 0.5 s latency, 1 vs 2 worker processes: throughput ratio (target >= 1.8x).
- curve: zero latency, 10 -> 1,000 documents of 1 page, and 100 documents of 1, 10 and 50 pages.

Needs `redis-server` on PATH (a private one is started on a free port) and PostgreSQL on
127.0.0.1:5432 (a database per measurement, dropped after). Time runs from the first task sent to
the last document terminal; registration (hashing, storing) is not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "sample_docs" / "04_consulting_fixed_term.txt"
PG_ADMIN = os.environ.get("CONTRACTFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
FILLER = "Schedule text that no field is read from, repeated to fill a page of an ordinary contract. " * 30
TIMEOUT_S = 1800.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_documents(folder: Path, count: int, pages: int = 1) -> list[Path]:
    """Distinct contracts (a file number heads each); extra pages are filler, split by form feeds."""
    folder.mkdir(parents=True)
    text = TEMPLATE.read_text(encoding="utf-8")
    paths = []
    for number in range(count):
        path = folder / f"contract_{number:05d}.txt"
        path.write_text("\f".join([f"File CF-{number:05d}\n\n{text}", *[FILLER] * (pages - 1)]), encoding="utf-8")
        paths.append(path)
    return paths


@contextlib.contextmanager
def process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@contextlib.contextmanager
def database() -> Iterator[str]:
    name = f"cf_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Model:
    """The scripted server, started standalone; /stats says how busy it was."""

    url: str

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url.removesuffix("/v1") + "/stats", timeout=10) as response:
            return dict(json.load(response))


@contextlib.contextmanager
def model(work: Path, latency: float = 0.0, capacity: int | None = None) -> Iterator[Model]:
    port = free_port()
    command = [sys.executable, "-m", "tests.fake_openai", "--port", str(port), "--latency", str(latency)]
    if capacity:
        command += ["--capacity", str(capacity), "--overflow", "queue"]
    with process(command, dict(os.environ), work / f"model-{port}.log"):
        fake = Model(f"http://127.0.0.1:{port}/v1")
        deadline = time.monotonic() + 30
        while True:
            try:
                fake.stats()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield fake


@dataclass
class Result:
    documents: int
    seconds: float
    statuses: dict[str, int]
    utilization: float | None = None

    @property
    def per_second(self) -> float:
        return self.documents / self.seconds


def measure(
    work: Path,
    broker: str,
    fake: Model,
    paths: list[Path],
    workers: list[list[str]],
    capacity: int | None = None,
) -> Result:
    """Register `paths`, start `workers` (argument lists for `contractflow worker`), send every
    document and wait until all are terminal."""
    from pipeline.celery_app import app
    from pipeline.ingest import register
    from pipeline.models import Status
    from pipeline.settings import Settings
    from pipeline.store import session, statuses
    from pipeline.tasks import submit

    redis.Redis.from_url(broker).flushdb()
    with database() as url, contextlib.ExitStack() as stack:
        home = work / f"home-{uuid.uuid4().hex[:6]}"
        settings = Settings(home=home, database_url=url)
        ids = [register(path, settings)[0].id for path in paths]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACTFLOW_")}
        env.update(
            CONTRACTFLOW_HOME=str(home),
            CONTRACTFLOW_BROKER_URL=broker,
            CONTRACTFLOW_DATABASE_URL=url,
            CONTRACTFLOW_LLM_BASE_URL=fake.url,
            CONTRACTFLOW_LLM_MODEL="fake",
        )
        for number, arguments in enumerate(workers):
            command = [sys.executable, "-m", "pipeline", "worker", *arguments, "--loglevel", "WARNING"]
            stack.enter_context(process(command, env, home / f"worker-{number}.log"))
        while len(app.control.ping(timeout=1.0)) < len(workers):
            time.sleep(0.2)
        before = fake.stats()
        started = time.perf_counter()
        for document_id in ids:
            submit(document_id)
        while True:
            with session(url) as db:
                current = statuses(db, ids)
            if all(Status(s).terminal for s in current.values()):
                break
            if time.perf_counter() - started > TIMEOUT_S:
                raise TimeoutError(f"{sum(not Status(s).terminal for s in current.values())} documents unfinished")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        busy = fake.stats()["busy_seconds"] - before["busy_seconds"]
        counts: dict[str, int] = {}
        for status in current.values():
            counts[status] = counts.get(status, 0) + 1
        return Result(len(ids), seconds, counts, busy / (capacity * seconds) if capacity else None)


def report(name: str, result: Result) -> None:
    extra = f", endpoint busy {result.utilization:.2f} of capacity" if result.utilization is not None else ""
    print(f"{name:<46} {result.documents:>5} docs {result.seconds:7.2f} s {result.per_second:7.1f} docs/s{extra}")
    print(f"{'':<46} {result.statuses}", flush=True)


def run(args: argparse.Namespace, work: Path, broker: str) -> None:
    prefork = ["--concurrency", "2"]
    if "overhead" in args.what:
        with model(work) as fake:
            result = measure(work, broker, fake, make_documents(work / "overhead", args.documents), [prefork])
        report("overhead: zero latency, 1 worker (prefork 2)", result)
        print(f"  target >= 20 docs/s: {'met' if result.per_second >= 20 else 'MISSED'}")
    if "inflight" in args.what:
        paths = make_documents(work / "inflight", 48)
        other_stages = ["--queues", "parse,validate,post", "--concurrency", "2"]
        threads = ["--queues", "extract", "--pool", "threads", "--concurrency", "8"]
        with model(work, latency=1.0, capacity=4) as fake:
            plain = measure(work, broker, fake, paths, [prefork], capacity=4)
            pooled = measure(work, broker, fake, paths, [other_stages, threads], capacity=4)
        report("inflight: 1 s latency, capacity 4, prefork 2", plain)
        report("inflight: same, extract on a threads pool of 8", pooled)
    if "scaling" in args.what:
        paths = make_documents(work / "scaling", 64)
        with model(work, latency=0.5) as fake:
            one = measure(work, broker, fake, paths, [prefork])
            two = measure(work, broker, fake, paths, [prefork, prefork])
        report("scaling: 0.5 s latency, 1 worker (prefork 2)", one)
        report("scaling: 0.5 s latency, 2 workers (prefork 2 each)", two)
        print(f"  2 workers / 1 worker = {two.per_second / one.per_second:.2f}x (target >= 1.8x)")
    if "curve" in args.what:
        with model(work) as fake:
            for count in (10, 100, 1000):
                result = measure(work, broker, fake, make_documents(work / f"curve-{count}", count), [prefork])
                report(f"curve: {count} documents of 1 page", result)
            for pages in (1, 10, 50):
                paths = make_documents(work / f"pages-{pages}", 100, pages)
                report(f"curve: 100 documents of {pages} pages", measure(work, broker, fake, paths, [prefork]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="*", default=["overhead", "inflight", "scaling", "curve"])
    parser.add_argument("--documents", type=int, default=200, help="documents in the overhead run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cf-bench-"))
    port = free_port()
    redis_command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    broker = f"redis://127.0.0.1:{port}/0"
    os.environ["CONTRACTFLOW_BROKER_URL"] = broker  # before the Celery app is imported by `measure`
    try:
        with process(redis_command, dict(os.environ), work / "redis.log"):
            time.sleep(0.3)
            run(args, work, broker)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

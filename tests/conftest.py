"""Shared fixtures: an isolated home per test, and real PostgreSQL and Redis on loopback."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from pipeline.settings import Settings
from tests.fake_openai import FakeOpenAI, answer_from_expected

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_docs"
PG_ADMIN = os.environ.get("CONTRACTFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CONTRACTFLOW_TEST_REDIS", "redis://127.0.0.1:6379/14")


# The pipeline takes a confident proposal without asking the model (tests/test_agent.py covers
# that); every other test is about the model's path, so the model reads every contract there.
MODEL_READS_ALL = {"CONTRACTFLOW_AGENT_ACCEPT_CONFIDENCE": "2"}


@pytest.fixture(autouse=True)
def model_reads_every_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in MODEL_READS_ALL.items():
        monkeypatch.setenv(name, value)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "model: runs the real local model (slow, CPU-bound)")


SMALL_MODEL = "qwen2.5-coder-0.5b"


def free_port() -> int:
    """A loopback port nobody listens on now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def real_model() -> Path:
    """The real 0.5B model and llama-cpp-python, provisioned (both cached) rather than skipped."""
    from pipeline.local_llm import provision
    from pipeline.local_llm.catalogue import CATALOGUE

    if importlib.util.find_spec("llama_cpp") is None:
        subprocess.run(["bash", str(ROOT / "scripts" / "build_llama.sh"), sys.prefix], check=True)
    return provision.fetch(CATALOGUE[SMALL_MODEL])


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    """The scripted model server answering every sample contract with its ideal answer."""
    with FakeOpenAI(answer_from_expected(SAMPLES)) as server:
        yield server


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def settings(home: Path) -> Settings:
    return Settings(home=home)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the real PostgreSQL, dropped afterwards."""
    name = f"cf_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            # FORCE closes the connections pooled engines still hold.
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis, on a database index of its own, emptied before and after."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()

"""The embedded local model: provisioning, GGUF acceptance, the shared server's life cycle, and a
real instructor (Mode.TOOLS) request against Qwen2.5-Coder-0.5B.

Tests marked `model` provision llama-cpp-python (scripts/build_llama.sh, from the wheel cache) and
the 0.5B weights (cached fetch) through fixtures instead of skipping. Every test points
CONTRACTFLOW_MODEL_CACHE at a temp dir so it never touches the machine's shared server.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import instructor
import openai
import pytest
from pydantic import BaseModel, Field
from test_eval_loaders import kleister_split
from typer.testing import CliRunner

from pipeline.local_llm import cli, provision, server
from pipeline.local_llm.catalogue import LocalModelError, ModelSpec
from pipeline.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SMALL = "qwen2.5-coder-0.5b"

FAKE_SERVER = """
import sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
port = int(sys.argv[sys.argv.index("--port") + 1])
slow = "--slow" in sys.argv
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if slow:
            time.sleep(30)
        body = b'{"object": "list", "data": [{"id": "local"}]}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", port), H).serve_forever()
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    cache_dir = tmp_path / "models"
    cache_dir.mkdir()
    monkeypatch.setenv("CONTRACTFLOW_MODEL_CACHE", str(cache_dir))
    yield cache_dir
    server.stop_server()  # never leave a server behind


# --- provisioning -------------------------------------------------------------------------------


def _fake_wheel(index: Path, name: str, version: str, parts: dict[str, bytes]) -> None:
    pkg = name.replace("-", "_")
    with zipfile.ZipFile(index / f"{pkg}-{version}-py3-none-any.whl", "w") as zf:
        for member, data in parts.items():
            zf.writestr(f"{pkg}/data/{member}", data)
        info = f"{pkg}-{version}.dist-info"
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", "")


@pytest.fixture
def fake_catalogue(tmp_path: Path) -> tuple[ModelSpec, list[str]]:
    """A two-package model whose second wheel holds part2 and part10 (numeric, not lexical, order)."""
    index = tmp_path / "index"
    index.mkdir()
    chunks = [b"GGUF" + b"a" * 1000, b"b" * 700, b"c" * 300]
    _fake_wheel(index, "cf-fake-part1", "0.1.0", {"part01.bin": chunks[0]})
    _fake_wheel(index, "cf-fake-part2", "0.1.0", {"part10.bin": chunks[2], "part2.bin": chunks[1]})
    joined = b"".join(chunks)
    spec = ModelSpec(
        name="fake",
        filename="fake.gguf",
        packages=("cf-fake-part1==0.1.0", "cf-fake-part2==0.1.0"),
        size=len(joined),
        sha256=hashlib.sha256(joined).hexdigest(),
    )
    return spec, ["--no-index", "--find-links", str(index)]


def test_fetch_joins_in_numeric_order_and_is_idempotent(cache: Path, fake_catalogue) -> None:
    spec, pip_args = fake_catalogue
    path = provision.fetch(spec, pip_args=pip_args)
    assert path == cache / "fake.gguf"
    assert path.read_bytes()[-1000:] == b"b" * 700 + b"c" * 300
    assert sorted(p.name for p in cache.iterdir()) == ["fake.gguf", "fake.gguf.lock", "fake.gguf.sha256"]
    mtime = path.stat().st_mtime_ns
    assert provision.fetch(spec, pip_args=["--no-index"]) == path  # no download needed
    assert path.stat().st_mtime_ns == mtime


def test_fetch_refuses_packages_that_do_not_match_the_pin(cache: Path, fake_catalogue) -> None:
    spec, pip_args = fake_catalogue
    wrong = ModelSpec(name="fake", filename="fake.gguf", packages=spec.packages, size=spec.size, sha256="0" * 64)
    with pytest.raises(LocalModelError, match="refusing"):
        provision.fetch(wrong, pip_args=pip_args)
    assert sorted(p.name for p in cache.iterdir()) == ["fake.gguf.lock"]  # no partial, no temp dir


def test_corrupt_file_is_refused_and_fetch_repairs_it(
    cache: Path, fake_catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, pip_args = fake_catalogue
    path = provision.fetch(spec, pip_args=pip_args)
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF  # same size, one bit pattern changed
    path.write_bytes(bytes(data))
    with pytest.raises(LocalModelError, match="contractflow model fetch --model fake"):
        provision.verify(path, spec)
    monkeypatch.setattr(provision, "get_spec", lambda name: spec)
    with pytest.raises(LocalModelError, match="sha256"):
        provision.resolve(Settings(llm_local_model="fake"))
    provision.fetch(spec, pip_args=pip_args)
    assert provision.resolve(Settings(llm_local_model="fake")).verification == "sha256 verified"


def test_missing_model_names_the_fetch_command(cache: Path) -> None:
    with pytest.raises(LocalModelError, match=f"contractflow model fetch --model {SMALL}"):
        provision.resolve(Settings(llm_local_model=SMALL))


def test_verification_is_cached_until_the_file_changes(
    cache: Path, fake_catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, pip_args = fake_catalogue
    path = provision.fetch(spec, pip_args=pip_args)

    def no_hashing(_: Path) -> str:
        raise AssertionError("re-hashed a file whose sidecar matches")

    monkeypatch.setattr(provision, "_file_sha256", no_hashing)
    provision.verify(path, spec)
    os.utime(path, ns=(0, 0))
    with pytest.raises(AssertionError, match="re-hashed"):
        provision.verify(path, spec)


def test_user_supplied_gguf_is_accepted_unverified(tmp_path: Path) -> None:
    gguf = tmp_path / "any.gguf"
    gguf.write_bytes(b"GGUF\x03\x00\x00\x00rest")
    model = provision.resolve(Settings(llm_model_path=gguf))
    assert (model.path, model.verification) == (gguf, "unverified (user-supplied)")


@pytest.mark.parametrize("content", [b"PK\x03\x04 a zip", b""])
def test_non_gguf_path_is_refused(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(content)
    with pytest.raises(LocalModelError, match="not a GGUF"):
        provision.resolve(Settings(llm_model_path=bad))
    with pytest.raises(LocalModelError, match="Cannot read"):
        provision.resolve(Settings(llm_model_path=tmp_path / "missing.gguf"))


# --- server life cycle against a stand-in server (fast) -----------------------------------------


@pytest.fixture
def fake_server(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Replace llama_cpp.server by a tiny HTTP server answering /v1/models; the model is a fake GGUF."""
    script = tmp_path / "fake_server.py"
    script.write_text(FAKE_SERVER)
    gguf = tmp_path / "fake.gguf"
    gguf.write_bytes(b"GGUF")

    def command(settings: Settings, model: Path, port: int) -> list[str]:
        return [sys.executable, str(script), "llama_cpp.server", "--port", str(port)]

    monkeypatch.setattr(server, "server_command", command)
    monkeypatch.setattr(server, "_require_llama_cpp", lambda: None)
    monkeypatch.setattr(server, "PROBE_TIMEOUT_S", 0.5)
    return Settings(llm_model_path=gguf)


def test_state_file_is_reused_while_the_server_lives(fake_server: Settings, cache: Path) -> None:
    first, started = server.ensure_server(fake_server)
    assert started
    assert json.loads((cache / "server.json").read_text())["pid"] == first.pid
    again, started_again = server.ensure_server(fake_server)
    assert (again, started_again) == (first, False)
    assert server.endpoint(fake_server) == f"http://127.0.0.1:{first.port}/v1"


def test_dead_server_is_replaced(fake_server: Settings) -> None:
    first, _ = server.ensure_server(fake_server)
    os.kill(first.pid, signal.SIGKILL)
    second, started = server.ensure_server(fake_server)
    assert started and second.pid != first.pid
    assert server.probe(second) is server.Health.HEALTHY


def test_busy_server_is_reused_not_restarted(fake_server: Settings, cache: Path, tmp_path: Path) -> None:
    """/v1/models waits behind a running completion: a slow answer means busy, not dead."""
    port = server._free_port()
    slow = subprocess.Popen(
        [sys.executable, str(tmp_path / "fake_server.py"), "llama_cpp.server", "--port", str(port), "--slow"]
    )
    try:
        state = server.ServerState(pid=slow.pid, port=port, model=str(fake_server.llm_model_path))
        (cache / "server.json").write_text(json.dumps({"pid": slow.pid, "port": port, "model": state.model}))
        while server.probe(state) is server.Health.DEAD:  # until it listens
            time.sleep(0.05)
        assert server.probe(state) is server.Health.BUSY
        assert server.ensure_server(fake_server) == (state, False)
    finally:
        slow.kill()
        slow.wait()


def test_other_model_replaces_the_server(fake_server: Settings, tmp_path: Path) -> None:
    first, _ = server.ensure_server(fake_server)
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF")
    second, started = server.ensure_server(Settings(llm_model_path=other))
    assert started and second.model == str(other)
    assert server.probe(first) is server.Health.DEAD


def test_owned_server_stops_only_what_it_started(fake_server: Settings) -> None:
    with server.owned_server(fake_server) as url:
        state = server.read_state()
        assert state is not None and url == state.url
    assert server.read_state() is None and server.probe(state) is server.Health.DEAD
    shared, _ = server.ensure_server(fake_server)
    with server.owned_server(fake_server):
        pass
    assert server.probe(shared) is server.Health.HEALTHY


def test_failed_start_reports_the_log_tail(fake_server: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        server,
        "server_command",
        lambda settings, model, port: [
            sys.executable,
            "-c",
            "import sys; print('ggml: cannot load model'); sys.exit(3)",
        ],
    )
    with pytest.raises(LocalModelError, match=r"(?s)exited with code 3.*cannot load model"):
        server.ensure_server(fake_server)


def test_fixed_port_in_use_is_refused(fake_server: Settings) -> None:
    first, _ = server.ensure_server(fake_server)
    server._write_state(None)  # forget it: the port is now held by a "foreign" server
    try:
        with pytest.raises(LocalModelError, match=f"Port {first.port} is in use"):
            server.ensure_server(fake_server.model_copy(update={"llm_server_port": first.port}))
    finally:
        server.stop_server(first)


def test_status_command_reports_a_user_supplied_model(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv("CONTRACTFLOW_LLM_MODEL_PATH", str(gguf))
    monkeypatch.setattr(cli, "get_settings", Settings)
    result = CliRunner().invoke(cli.app, ["status"])
    assert "unverified (user-supplied)" in result.output and "server:     not running" in result.output


def test_missing_llama_cpp_names_the_setup_command(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = tmp_path / "fake.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LocalModelError, match="make setup"):
        server.endpoint(Settings(llm_model_path=gguf))


# --- the real 0.5B model (`-m model`) ------------------------------------------------------------


@pytest.fixture
def model_settings(real_model: Path, cache: Path) -> Settings:
    """The real model, seen through a private cache dir (symlink + sidecar) so the state is private."""
    for src in (real_model, real_model.with_name(real_model.name + ".sha256")):
        (cache / src.name).symlink_to(src)
    return Settings(llm_local_model=SMALL, llm_context=2048)


class Person(BaseModel):
    name: str = Field(description="The person's full name as written in the text")
    age: int


def _extract(url: str, text: str) -> Person:
    client = instructor.from_openai(
        openai.OpenAI(base_url=url, api_key="not-needed", timeout=120), mode=instructor.Mode.TOOLS
    )
    return client.chat.completions.create(
        model="local",
        response_model=Person,
        temperature=0,
        max_tokens=64,
        messages=[
            {"role": "system", "content": "Extract the person mentioned in the text."},
            {"role": "user", "content": text},
        ],
    )


@pytest.mark.model
def test_instructor_tools_against_the_real_model(model_settings: Settings) -> None:
    with server.owned_server(model_settings) as url:
        person = _extract(url, "Maria Lopez is 42 years old.")
    assert person.model_dump() == {"name": "Maria Lopez", "age": 42}


@pytest.mark.model
def test_concurrent_requests_queue_instead_of_failing(model_settings: Settings) -> None:
    url = server.endpoint(model_settings)
    people = [("Ann Lee", 31), ("Bob Stone", 57), ("Carl Wu", 24)]
    results: dict[str, Person] = {}  # the queueing is under test, not the 0.5B's name accuracy

    def ask(name: str, age: int) -> None:
        results[name] = _extract(url, f"{name} is {age} years old.")

    threads = [threading.Thread(target=ask, args=person) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {name: p.age for name, p in results.items()} == dict(people)


@pytest.mark.model
def test_crashed_server_is_restarted(model_settings: Settings) -> None:
    first, _ = server.ensure_server(model_settings)
    os.kill(first.pid, signal.SIGKILL)
    url = server.endpoint(model_settings)
    second = server.read_state()
    assert second is not None and second.pid != first.pid and url == second.url
    assert _extract(url, "Dan Ray is 60 years old.").age == 60


@pytest.mark.model
def test_concurrent_processes_share_one_server(model_settings: Settings, cache: Path) -> None:
    code = (
        "from pipeline.local_llm.server import endpoint; from pipeline.settings import Settings; "
        f"print(endpoint(Settings(llm_local_model={SMALL!r}, llm_context=2048)))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env) for _ in range(3)
    ]
    urls = {proc.communicate(timeout=180)[0].strip() for proc in procs}
    state = server.read_state()
    assert state is not None and urls == {state.url}


def _child_servers(parent: int) -> list[int]:
    """llama_cpp.server processes started by `parent` (a new session, but still its child)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = next(line for line in status.read_text().splitlines() if line.startswith("PPid:"))
        except (OSError, StopIteration):
            continue
        if int(ppid.split()[1]) == parent and server._is_llama_server(int(status.parent.name)):
            found.append(int(status.parent.name))
    return found


@pytest.mark.model
@pytest.mark.parametrize("when", ["loading", "serving"])
def test_a_terminated_eval_stops_the_server_it_started(model_settings: Settings, tmp_path: Path, when: str) -> None:
    """`timeout` or a supervisor sends SIGTERM: the model server the eval started goes with it,
    whether it was still loading the model or already answering."""
    # Documents with nothing to find keep the model busy, one call each, long after it has loaded.
    rows = [(f"{n}.pdf", "party term", "party=Acme_Inc.", ["Nothing to read here."]) for n in range(20)]
    split = kleister_split(tmp_path / "split", rows)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CONTRACTFLOW_HOME": str(tmp_path / "home"),
        "CONTRACTFLOW_LLM_LOCAL_MODEL": SMALL,
        "CONTRACTFLOW_LLM_CONTEXT": "2048",
    }
    command = [sys.executable, "-m", "pipeline", "eval", "--dataset", "kleister", str(split), "--extractor", "agent"]
    evaluation = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and evaluation.poll() is None:
            started = _child_servers(evaluation.pid)
            if started and (when == "loading" or server.read_state() is not None):
                break
            time.sleep(0.05)
        assert started and evaluation.poll() is None, "the eval never started its server"
        evaluation.send_signal(signal.SIGTERM)
        assert evaluation.wait(timeout=60) == 128 + signal.SIGTERM
        assert not any(server._pid_alive(pid) for pid in started)
        assert server.read_state() is None
    finally:
        evaluation.kill()
        evaluation.wait()
        for pid in started:  # never leave a server behind, even when the test fails
            server._stop(pid)

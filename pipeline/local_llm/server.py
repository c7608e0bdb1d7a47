"""One shared `llama_cpp.server` per machine, started on demand and reused by every process.

Why one: the machine has few cores and llama.cpp uses them all; two model processes would fight
for them and both run slower. llama_cpp.server serializes completions behind an asyncio lock, so
concurrent requests from several workers queue inside the server (we pass
`--interrupt_requests false` so a queued request never cuts a streamed one short). Clients must
therefore allow for queueing in their timeout (`llm_timeout_s`).

Who owns the server is recorded in a state file (pid, port, model) guarded by a file lock in the
model cache dir, so concurrent workers find, reuse, or restart the same one.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.local_llm.catalogue import BUILD_HINT, LocalModelError
from pipeline.local_llm.provision import model_cache_dir, resolve
from pipeline.settings import Settings

STARTUP_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 2.0
MODEL_ALIAS = "local"


@dataclass(frozen=True)
class ServerState:
    pid: int
    port: int
    model: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


class Health(Enum):
    HEALTHY = "healthy"
    BUSY = "busy"  # alive, but /v1/models waits behind a running completion (same lock)
    DEAD = "dead"


def _paths() -> tuple[Path, Path, Path]:
    base = model_cache_dir()
    base.mkdir(parents=True, exist_ok=True)
    return base / "server.json", base / "server.lock", base / "server.log"


def read_state() -> ServerState | None:
    state_file = _paths()[0]
    try:
        return ServerState(**json.loads(state_file.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _write_state(state: ServerState | None) -> None:
    state_file = _paths()[0]
    if state is None:
        state_file.unlink(missing_ok=True)
    else:
        tmp = state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state)))
        os.replace(tmp, state_file)


def _pid_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # reap our own dead child (else it looks alive)
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_llama_server(pid: int) -> bool:
    """Guard against killing an unrelated process that reused a recorded pid."""
    try:
        return b"llama_cpp.server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


# No proxies: an HTTP(S)_PROXY from the environment must not see (or break) loopback probes.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def probe(state: ServerState) -> Health:
    if not _pid_alive(state.pid):
        return Health.DEAD
    try:
        with _OPENER.open(f"{state.url}/models", timeout=PROBE_TIMEOUT_S) as resp:
            return Health.HEALTHY if resp.status == 200 else Health.DEAD
    except TimeoutError:
        return Health.BUSY
    except (urllib.error.URLError, ConnectionError) as exc:
        if isinstance(getattr(exc, "reason", None), TimeoutError):
            return Health.BUSY
        return Health.DEAD


def running_server() -> ServerState | None:
    """The recorded server if it is alive (healthy or busy), else None."""
    state = read_state()
    return state if state is not None and probe(state) is not Health.DEAD else None


def _require_llama_cpp() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalModelError(
            f"llama-cpp-python is not installed in {sys.prefix}: run `{BUILD_HINT}` "
            f"(or scripts/build_llama.sh {sys.prefix})"
        )


def _free_port(port: int = 0) -> int:
    """`port` (any free one if 0), checked free: a foreign listener would pass our health check."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise LocalModelError(f"Port {port} is in use; change CONTRACTFLOW_LLM_SERVER_PORT") from exc
        return int(sock.getsockname()[1])


def _log_tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(pid: int) -> None:
    """SIGTERM, then SIGKILL if the server has not exited within STOP_TIMEOUT_S."""
    if not _pid_alive(pid) or not _is_llama_server(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while _pid_alive(pid):
        time.sleep(0.05)


def server_command(settings: Settings, model: Path, port: int) -> list[str]:
    # No `--cache true`: llama-cpp-python already reuses the KV prefix shared with the previous
    # request, and its RAM cache copies n_tokens x n_vocab float32 logits into every saved state
    # (about 2.7 GB for a 4,500-token contract with Qwen's 152k vocabulary), which its 2 GiB size
    # limit does not count: a few contracts would exhaust RAM. See docs/LOCAL_LLM.md.
    threads = settings.llm_threads or os.cpu_count() or 1
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        MODEL_ALIAS,
        "--n_threads",
        str(threads),
        "--n_ctx",
        str(settings.llm_context),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--interrupt_requests",
        "false",
    ]


def _start(settings: Settings, model: Path, log: Path) -> ServerState:
    port = _free_port(settings.llm_server_port)
    cmd = server_command(settings, model, port)
    with log.open("wb") as out:
        # A new session: the server outlives the worker that started it and ignores its Ctrl-C.
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    state = ServerState(pid=proc.pid, port=port, model=str(model))
    try:
        _wait_until_healthy(proc, state, log)
    except BaseException:  # a timeout, or the caller interrupted or terminated while the model loads
        _stop(proc.pid)
        raise
    return state


def _wait_until_healthy(proc: subprocess.Popen[bytes], state: ServerState, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LocalModelError(
                f"llama_cpp.server exited with code {proc.returncode} while loading {state.model}; "
                f"log {log}:\n{_log_tail(log)}"
            )
        if probe(state) is Health.HEALTHY:
            return
        time.sleep(0.2)
    raise LocalModelError(
        f"llama_cpp.server did not answer within {STARTUP_TIMEOUT_S:.0f}s; log {log}:\n{_log_tail(log)}"
    )


def ensure_server(settings: Settings) -> tuple[ServerState, bool]:
    """The shared server for the configured model, and whether this call started it."""
    model = resolve(settings).path
    _require_llama_cpp()
    _, lock_file, log = _paths()
    try:
        with FileLock(str(lock_file), timeout=STARTUP_TIMEOUT_S + 2 * STOP_TIMEOUT_S):
            state = read_state()
            if state is not None:
                health = probe(state)
                if health is not Health.DEAD and state.model == str(model):
                    return state, False
                if health is not Health.DEAD:
                    _stop(state.pid)  # serving another model: one model process per machine
            state = _start(settings, model, log)
            _write_state(state)
            return state, True
    except Timeout as exc:
        raise LocalModelError(f"Timed out waiting for another process to start the server ({lock_file})") from exc


def endpoint(settings: Settings) -> str:
    """Base URL (`http://127.0.0.1:PORT/v1`) of the machine's local model server, started if needed.

    For use when `settings.llm_base_url` is unset. May block up to STARTUP_TIMEOUT_S while the model
    loads, and ~PROBE_TIMEOUT_S when the server is busy with another request.
    """
    return ensure_server(settings)[0].url


def stop_server(state: ServerState | None = None) -> bool:
    """Stop the recorded server (or `state`'s) and forget it; True if one was running."""
    _, lock_file, _ = _paths()
    with FileLock(str(lock_file), timeout=STARTUP_TIMEOUT_S + 2 * STOP_TIMEOUT_S):
        recorded = read_state()
        target = state or recorded
        if target is None:
            return False
        was_alive = _pid_alive(target.pid)
        _stop(target.pid)
        if recorded == target:
            _write_state(None)
        return was_alive


@contextlib.contextmanager
def owned_server(settings: Settings) -> Iterator[str]:
    """Yield the local endpoint; stop the server at the end only if this call started it."""
    state, started = ensure_server(settings)
    try:
        yield state.url
    finally:
        if started:
            stop_server(state)

"""A scripted OpenAI-compatible HTTP server for tests.

It is a real socket server, so the real `openai` client (retries, timeouts, error mapping) and
`instructor` run unmodified against it. A test scripts it with a responder:

    with FakeOpenAI(lambda request: Reply.tool({"name": "x"})) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        ...
        assert len(server.requests) == 1

`answer_from_expected(sample_dir)` replies to an extraction request with the ideal `answer` of the
sample contract whose quotes appear in the prompt.

Load and faults, for the fault tests and the benchmarks: `latency` (seconds per answer), `capacity`
(requests served at once; the excess gets 429, or waits with `overflow="queue"`) and `fault_rate`
(that share of requests, drawn from a seeded RNG, answers 429, 500, too late or with invalid JSON).
Standalone, serving the sample answers:

    python -m tests.fake_openai --port 8011 --latency 1 --capacity 4 --fault-rate 0.3

`GET /stats` reports what it served (requests, faults by kind, peak in flight, busy slot-seconds).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import itertools
import json
import random
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pipeline.extract import ContractDraft
from pipeline.parse import parse_file

# The LLM-facing draft the pipeline asks for; answers must use exactly its keys.
DRAFT_KEYS = tuple(ContractDraft.model_fields)


@dataclass(frozen=True)
class Reply:
    """One scripted response. Build with the classmethods; `delay` applies to any kind."""

    tool_args: dict[str, Any] | str | None = None  # a str is sent verbatim (e.g. malformed JSON)
    content: str | None = None
    status: int = 200
    error_message: str = ""
    error_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str | None = None

    @classmethod
    def tool(cls, arguments: dict[str, Any] | str, *, delay: float = 0.0) -> Reply:
        return cls(tool_args=arguments, delay=delay)

    @classmethod
    def text(cls, content: str, *, delay: float = 0.0, finish_reason: str = "stop") -> Reply:
        return cls(content=content, delay=delay, finish_reason=finish_reason)

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        *,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> Reply:
        default_type = {
            400: "invalid_request_error",
            401: "authentication_error",
            404: "not_found_error",
            429: "rate_limit_exceeded",
        }.get(status, "server_error")
        return cls(
            status=status,
            error_message=message or f"Fake server error {status}",
            error_type=error_type or default_type,
            headers=headers or {},
            delay=delay,
        )

    @classmethod
    def slow(cls, seconds: float, then: Reply | None = None) -> Reply:
        """Answer only after `seconds` (for client timeouts); by default with an empty text reply."""
        return dataclasses.replace(then or cls.text(""), delay=seconds)


Responder = Callable[[dict[str, Any]], Reply]


def scripted(replies: Iterable[Reply], *, then: Reply | None = None) -> Responder:
    """Replies in order; after the script runs out, `then` (or a 500 saying the script is exhausted)."""
    queue = iter(replies)
    lock = threading.Lock()

    def respond(_: dict[str, Any]) -> Reply:
        with lock:
            nxt = next(queue, None)
        if nxt is not None:
            return nxt
        return then or Reply.error(500, "fake_openai: scripted replies exhausted")

    return respond


def _chars(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if value is None:
        return 0
    return len(json.dumps(value))


def _tokens(chars: int) -> int:
    return max(1, round(chars / 4))  # the usual ~4 characters per token


def prompt_text(request: dict[str, Any]) -> str:
    """All message text of a chat request (string or content-part messages) joined with newlines."""
    parts: list[str] = []
    for message in request.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [p.get("text", "") for p in content if isinstance(p, dict)]
    return "\n".join(parts)


def user_text(request: dict[str, Any]) -> str:
    return prompt_text({"messages": [m for m in request.get("messages", []) if m.get("role") == "user"]})


def tool_name(request: dict[str, Any]) -> str | None:
    choice = request.get("tool_choice")
    if isinstance(choice, dict) and choice.get("function", {}).get("name"):
        return str(choice["function"]["name"])
    tools = request.get("tools") or []
    return str(tools[0]["function"]["name"]) if tools else None


FAULT_KINDS = ("429", "500", "timeout", "invalid_json")


def fault_reply(kind: str, timeout_s: float) -> Reply:
    """What an injected fault of this kind answers; `timeout` answers only after `timeout_s`."""
    if kind == "timeout":
        return Reply.slow(timeout_s)
    if kind == "invalid_json":
        return Reply.tool('{"title": {"value": "unterminated')
    return Reply.error(int(kind), f"fake_openai: injected fault {kind}")


class FakeOpenAI:
    """Serve `POST /v1/chat/completions` and `GET /v1/models` on 127.0.0.1 from a daemon thread.

    `responder` may be replaced between calls. `requests` holds every parsed chat request body in
    arrival order; `headers` the matching request headers. `latency`, `capacity`, `overflow`,
    `fault_rate`, `faults`, `fault_timeout_s` and `seed` shape load and faults (module docstring).
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        model: str = "fake-model",
        port: int = 0,
        latency: float = 0.0,
        capacity: int | None = None,
        overflow: str = "429",
        fault_rate: float = 0.0,
        faults: Iterable[str] = FAULT_KINDS,
        fault_timeout_s: float = 30.0,
        seed: int = 0,
    ) -> None:
        if overflow not in ("429", "queue"):
            raise ValueError(f"overflow must be '429' or 'queue', not {overflow!r}")
        self.responder: Responder = responder or (lambda _: Reply.text(""))
        self.model = model
        self.port = port
        self.latency = latency
        self.capacity = capacity
        self.overflow = overflow
        self.fault_rate = fault_rate
        self.faults = tuple(faults)
        self.fault_timeout_s = fault_timeout_s
        self._slots = threading.BoundedSemaphore(capacity) if capacity else None
        self._rng = random.Random(seed)
        self.injected: collections.Counter[str] = collections.Counter()  # faults by kind, and "overflow"
        self.in_flight = 0
        self.peak_in_flight = 0
        self.busy_seconds = 0.0  # summed time requests held a slot: utilization = busy / (capacity * wall)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.usages: list[dict[str, int]] = []  # the usage each completion reported
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        # Set on shutdown so handlers sleeping in a `delay` wake up instead of outliving the test.
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def start(self) -> FakeOpenAI:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        server.block_on_close = False  # never wait on a handler stuck writing to a gone client
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": len(self.requests),
                "faults": dict(self.injected),
                "in_flight": self.in_flight,
                "peak_in_flight": self.peak_in_flight,
                "busy_seconds": round(self.busy_seconds, 3),
                "capacity": self.capacity,
            }

    # -- load and faults ----------------------------------------------------------------------------

    def _take_slot(self) -> bool:
        """A capacity slot for one request; False when full and overflowing requests get 429."""
        if self._slots is not None and not self._slots.acquire(blocking=self.overflow == "queue"):
            with self._lock:
                self.injected["overflow"] += 1
            return False
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return True

    def _free_slot(self, held_since: float) -> None:
        with self._lock:
            self.in_flight -= 1
            self.busy_seconds += time.monotonic() - held_since
        if self._slots is not None:
            self._slots.release()

    def _fault(self) -> Reply | None:
        """The injected fault for this request, if the seeded draw picks one."""
        with self._lock:
            if not self.faults or self._rng.random() >= self.fault_rate:
                return None
            kind = self._rng.choice(self.faults)
            self.injected[kind] += 1
        return fault_reply(kind, self.fault_timeout_s)

    # -- response building --------------------------------------------------------------------------

    def _record(self, body: dict[str, Any], headers: dict[str, str]) -> int:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            return next(self._ids)

    def _completion(self, request: dict[str, Any], reply: Reply, number: int) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
        finish = reply.finish_reason or "stop"
        if reply.tool_args is not None:
            arguments = reply.tool_args if isinstance(reply.tool_args, str) else json.dumps(reply.tool_args)
            name = tool_name(request)
            if name is None:  # no tools offered (JSON modes): the arguments become the content
                message["content"] = arguments
            else:
                message["content"] = None
                message["tool_calls"] = [
                    {
                        "id": f"call_fake_{number}",
                        "type": "function",
                        "function": {"name": name, "arguments": arguments},
                    }
                ]
                finish = reply.finish_reason or "tool_calls"
            completion_chars = len(arguments)
        else:
            completion_chars = len(reply.content or "")
        prompt_chars = sum(_chars(m.get("content")) for m in request.get("messages", []))
        prompt_chars += _chars(request.get("tools"))
        prompt_tokens, completion_tokens = _tokens(prompt_chars), _tokens(completion_chars)
        with self._lock:
            self.usages.append({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens})
        return {
            "id": f"chatcmpl-fake-{number}",
            "object": "chat.completion",
            "created": 1_735_689_600 + number,
            "model": request.get("model") or self.model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


def _error_body(message: str, error_type: str, code: str | int | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the openai client's connection pool expects

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); nothing to tell it

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/stats":
                self._send(200, fake.stats())
            elif self.path.rstrip("/") == "/v1/models":
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": fake.model, "object": "model", "created": 1_735_689_600, "owned_by": "fake"}],
                    },
                )
            else:
                self._send(404, _error_body(f"Unknown path {self.path}", "not_found_error"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, _error_body(f"Unknown path {self.path}", "not_found_error"))
                return
            try:
                body = json.loads(raw or b"null")
            except json.JSONDecodeError as exc:
                self._send(400, _error_body(f"Invalid JSON body: {exc}", "invalid_request_error"))
                return
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                self._send(400, _error_body("'messages' is required", "invalid_request_error"))
                return
            number = fake._record(body, {k.lower(): v for k, v in self.headers.items()})
            if body.get("stream"):
                self._send(400, _error_body("fake_openai does not stream", "invalid_request_error"))
                return
            if not fake._take_slot():
                self._send(429, _error_body("fake_openai: over capacity", "rate_limit_exceeded"), {"Retry-After": "1"})
                return
            held_since = time.monotonic()
            try:
                self._answer(body, number)
            finally:
                fake._free_slot(held_since)

        def _answer(self, body: dict[str, Any], number: int) -> None:
            try:
                reply = fake._fault() or fake.responder(body)
            except Exception as exc:  # a broken responder must fail the test visibly, not hang it
                self._send(500, _error_body(f"responder raised {exc!r}", "server_error"))
                return
            delay = reply.delay + fake.latency
            if delay and fake._stopping.wait(delay):
                return  # shutting down
            if reply.status >= 400:
                self._send(reply.status, _error_body(reply.error_message, reply.error_type), reply.headers)
                return
            self._send(reply.status, fake._completion(body, reply, number), reply.headers)

    return Handler


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running server replying with empty text; tests set `.responder`. Re-export from a conftest."""
    with FakeOpenAI() as server:
        yield server


# -- answers from the sample contracts ------------------------------------------------------------


def sample_pages(path: Path) -> list[str]:
    """Page texts exactly as the pipeline's parse stage sees them."""
    return [page.text for page in parse_file(path).pages]


def sample_documents(sample_dir: Path) -> dict[str, Path]:
    """`{stem: document path}` for every PDF, DOCX and TXT file in `sample_dir`."""
    docs = {}
    for path in sorted(Path(sample_dir).iterdir()):
        if path.suffix.lower() in {".pdf", ".docx", ".txt"}:
            docs[path.stem] = path
    return docs


def _squash(text: str) -> str:
    return " ".join(text.split())


def as_corrections(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """A whole answer written as the agent's corrections: every field it has set, every field it
    leaves null rejected with "none", and its parties listed (which replaces the proposed ones)."""
    corrections = [
        {"field": "party", "value": p["name"], "role": p.get("role") or "", "page": p["page"], "quote": p["quote"]}
        for p in answer.get("parties", [])
    ]
    for key, value in answer.items():
        if key != "parties":
            corrections.append({"field": key, **(value or {"value": "none", "page": 1, "quote": ""})})
    return corrections


def in_schema_of(request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """A whole answer in the shape the request asks for: the single call's draft, the agent's
    corrections, or the agent's action (which submits at once)."""
    name = tool_name(request)
    if name == "Corrections":
        return {"corrections": as_corrections(answer)}
    if name == "AgentAction":
        return {"tool": "submit", "corrections": as_corrections(answer)}
    return answer


def empty_answer() -> dict[str, Any]:
    """The draft answer for a document the script does not know: nothing found."""
    return {key: ([] if key == "parties" else None) for key in DRAFT_KEYS}


def _quotes(answer: dict[str, Any]) -> list[str]:
    quotes = [p["quote"] for p in answer.get("parties", [])]
    quotes += [v["quote"] for k, v in answer.items() if k != "parties" and isinstance(v, dict)]
    return quotes


def load_expected(sample_dir: Path) -> dict[str, dict[str, Any]]:
    """`{stem: expected.json content}` for every sample in `sample_dir`."""
    return {
        path.name.removesuffix(".expected.json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(Path(sample_dir).glob("*.expected.json"))
    }


def match_sample(text: str, expected: dict[str, dict[str, Any]]) -> str | None:
    """The stem whose answer quotes occur most often in `text` (whitespace-insensitive), if any.

    Party quotes carry invented company names, so one hit already identifies a sample; counting all
    quotes breaks ties between contracts sharing generic phrases like a title.
    """
    haystack = _squash(text)
    best, best_score = None, 0
    for stem, data in expected.items():
        score = sum(_squash(q) in haystack for q in _quotes(data["answer"]))
        score += 2 * sum(p["name"] in haystack for p in data["answer"].get("parties", []))
        if score > best_score:
            best, best_score = stem, score
    return best


def answer_from_expected(
    sample_dir: Path,
    *,
    fallback: dict[str, Any] | None = None,
    transform: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
) -> Responder:
    """Reply to each request with the `answer` of the sample contract its user messages quote.

    Unknown documents get `fallback` (default: `empty_answer()`). `transform(stem, answer)` may edit
    the answer before it is sent (e.g. to inject a wrong value); it receives a deep copy.
    """
    expected = load_expected(sample_dir)
    if not expected:
        raise FileNotFoundError(f"no *.expected.json in {sample_dir}")

    def respond(request: dict[str, Any]) -> Reply:
        stem = match_sample(user_text(request) or prompt_text(request), expected)
        if stem is None:
            answer = json.loads(json.dumps(fallback)) if fallback is not None else empty_answer()
        else:
            answer = json.loads(json.dumps(expected[stem]["answer"]))
            answer = transform(stem, answer) if transform else answer
        return Reply.tool(in_schema_of(request, answer))

    return respond


def main(argv: list[str] | None = None) -> None:
    """Serve the sample contracts' answers on 127.0.0.1 until SIGINT or SIGTERM (benchmarks)."""
    parser = argparse.ArgumentParser(prog="python -m tests.fake_openai", description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument("--capacity", type=int, default=None, help="requests served at once")
    parser.add_argument("--overflow", choices=("429", "queue"), default="429", help="what excess requests get")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests answered with a fault")
    parser.add_argument("--faults", default=",".join(FAULT_KINDS), help="comma-separated fault kinds")
    parser.add_argument("--fault-timeout", type=float, default=30.0, help="seconds a `timeout` fault waits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=Path, default=Path(__file__).resolve().parent.parent / "sample_docs")
    args = parser.parse_args(argv)
    server = FakeOpenAI(
        answer_from_expected(args.samples),
        port=args.port,
        latency=args.latency,
        capacity=args.capacity,
        overflow=args.overflow,
        fault_rate=args.fault_rate,
        faults=[kind for kind in args.faults.split(",") if kind],
        fault_timeout_s=args.fault_timeout,
        seed=args.seed,
    ).start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(server.base_url, flush=True)  # the caller reads the address from the first line
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()

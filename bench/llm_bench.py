"""Benchmark the embedded models on this machine: load time, prefill and generation speed,
and how much a shared system prompt saves on the next request (llama.cpp prefix reuse).

    .venv/bin/python -m bench.llm_bench [--model NAME ...] [--cache]

Runs one model server at a time (its own, on a free port) and stops it before the next.
Prefill speed is wall-clock prompt_tokens / time of a max_tokens=1 request with a fresh prompt
(llama-cpp-python 0.3.36 reports a bogus ~0 ms "prompt eval time"); generation speed comes
from the server's own `llama_perf_context_print: eval time` line.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import openai

from pipeline.local_llm.catalogue import CATALOGUE
from pipeline.local_llm.provision import fetch
from pipeline.local_llm.server import _free_port, server_command
from pipeline.settings import Settings

CLAUSES = [
    "the parties to the agreement, with their full legal names including any corporate suffix",
    "the effective date, written as an ISO date, only if the agreement states one explicitly",
    "the governing law jurisdiction, as the name of the state or country whose laws govern",
    "the term of the agreement, as a duration, only when a term is stated and not a survival period",
    "the total contract value and its currency, when the agreement states an amount",
    "the renewal terms, the notice period for termination, and any automatic renewal clause",
]
SYSTEM = "You extract fields from contracts. Answer only from the text; never invent values.\n" + "\n".join(
    f"Rule {i}: report {clause}. If absent, return null for it and do not guess."
    for i, clause in enumerate(CLAUSES * 6)
)


def _document(seed: str) -> str:
    return (f"AGREEMENT {seed}. This Master Services Agreement is made between Acme Holdings, Inc. and "
            f"Globex Corporation LLC, effective March 1, 2024, governed by the laws of the State of "
            f"Delaware, for a term of two years, for a total fee of USD 120,000. ") * 3


@dataclass
class Result:
    model: str
    cache: bool
    load_s: float
    prefill_tokens: int
    prefill_tps: float
    gen_tokens: int
    gen_tps: float
    first_s: float
    second_s: float
    interleaved_s: float


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _ask(client: openai.OpenAI, system: str, user: str, max_tokens: int) -> tuple[float, int, int]:
    start = time.perf_counter()
    resp = client.chat.completions.create(
        model="local", max_tokens=max_tokens, temperature=0,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
    )
    assert resp.usage is not None
    return time.perf_counter() - start, resp.usage.prompt_tokens, resp.usage.completion_tokens


def _last_eval_tps(log: Path) -> float:
    lines = re.findall(r"\beval time =.*?([\d.]+) tokens per second", log.read_text(errors="replace"))
    return float(lines[-1])


def bench(name: str, cache: bool) -> Result:
    model = fetch(CATALOGUE[name])
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cmd = server_command(Settings(), model, port) + (["--cache", "true"] if cache else [])
    print("$", " ".join(cmd), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with log.open("wb") as out:
            started = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(url, proc)
            load_s = time.perf_counter() - started
            client = openai.OpenAI(base_url=url, api_key="not-needed", timeout=600)
            _ask(client, "Be brief.", "Say hi.", 4)  # warm-up
            fresh = f"[{uuid.uuid4()}] " + SYSTEM  # a unique first token: nothing to reuse
            wall, prompt_tokens, _ = _ask(client, fresh, _document("P"), 1)
            _, _, gen_tokens = _ask(client, "Be brief.", "Write the numbers 1 to 300, comma separated.", 128)
            gen_tps = _last_eval_tps(log)
            first_s = _ask(client, SYSTEM, _document("A"), 1)[0]
            second_s = _ask(client, SYSTEM, _document("B"), 1)[0]
            _ask(client, f"[{uuid.uuid4()}] Other instructions.", _document("C"), 1)
            interleaved_s = _ask(client, SYSTEM, _document("D"), 1)[0]
        finally:
            proc.terminate()
            proc.wait(30)
    return Result(name, cache, load_s, prompt_tokens, prompt_tokens / wall, gen_tokens, gen_tps,
                  first_s, second_s, interleaved_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", choices=sorted(CATALOGUE))
    parser.add_argument("--cache", action="store_true", help="also run with `--cache true`")
    args = parser.parse_args()
    results = [bench(m, c) for m in args.model or sorted(CATALOGUE) for c in ([False, True] if args.cache
                                                                              else [False])]
    print("\n| model | --cache | load s | prefill tok/s | gen tok/s | same system prompt: 1st / 2nd s "
          "| after an interleaved prompt s |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r.model} | {'true' if r.cache else 'false'} | {r.load_s:.1f} | {r.prefill_tps:.0f} "
              f"({r.prefill_tokens} tok) | {r.gen_tps:.1f} ({r.gen_tokens} tok) | "
              f"{r.first_s:.2f} / {r.second_s:.2f} | {r.interleaved_s:.2f} |")


if __name__ == "__main__":
    main()

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
import contextlib
import os
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
    for i, clause in enumerate(CLAUSES * 3)
)


def _document(seed: str) -> str:
    return (
        f"AGREEMENT {seed}. This Master Services Agreement is made between Acme Holdings, Inc. and "
        f"Globex Corporation LLC, effective March 1, 2024, governed by the laws of the State of "
        f"Delaware, for a term of two years, for a total fee of USD 120,000. "
    ) * 3


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
    second_evaluated: int
    interleaved_s: float
    interleaved_evaluated: int
    others_cpu: float


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
        model="local",
        max_tokens=max_tokens,
        temperature=0,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
    )
    assert resp.usage is not None
    return time.perf_counter() - start, resp.usage.prompt_tokens, resp.usage.completion_tokens


def _last_eval_tps(log: Path) -> float:
    lines = re.findall(r"\beval time =.*?([\d.]+) tokens per second", log.read_text(errors="replace"))
    return float(lines[-1])


def _last_prompt_evaluated(log: Path) -> int:
    """Prompt tokens the server actually computed for the last request (the rest came from cache)."""
    return int(re.findall(r"prompt eval time =.*?/\s*(\d+) tokens", log.read_text(errors="replace"))[-1])


def _busy_ticks(pid: int) -> tuple[int, int]:
    """(all CPUs' non-idle ticks, the server's ticks): the difference is what others took."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(fields) - fields[3] - fields[4]  # minus idle and iowait
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return total, int(stat[11]) + int(stat[12])  # utime + stime


def _other_model_processes() -> list[str]:
    """Other llama servers on this machine: they take the cores and skew every number."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if b"llama_cpp" in cmdline.read_bytes():
                found.append(cmdline.parent.name)
    return found


def bench(name: str, cache: bool) -> Result:
    model = fetch(CATALOGUE[name])
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cmd = server_command(Settings(), model, port) + (["--cache", "true"] if cache else [])
    if others := _other_model_processes():
        print(f"WARNING: other llama_cpp processes running (pids {', '.join(others)}): numbers are skewed")
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
            ticks0, run0 = _busy_ticks(proc.pid), time.perf_counter()
            _ask(client, "Be brief.", "Say hi.", 4)  # warm-up
            fresh = f"[{uuid.uuid4()}] " + SYSTEM  # a unique first token: nothing to reuse
            wall, prompt_tokens, _ = _ask(client, fresh, _document("P"), 1)
            # A raw completion that keeps counting: always the full 128 tokens, unlike a chat answer.
            gen = client.completions.create(
                model="local", prompt="1, 2, 3, 4, 5, 6, 7, 8,", max_tokens=128, temperature=0
            )
            assert gen.usage is not None
            gen_tokens, gen_tps = gen.usage.completion_tokens, _last_eval_tps(log)
            first_s = _ask(client, SYSTEM, _document("A"), 1)[0]
            second_s = _ask(client, SYSTEM, _document("B"), 1)[0]
            second_evaluated = _last_prompt_evaluated(log)
            _ask(client, f"[{uuid.uuid4()}] Other instructions.", _document("C"), 1)
            interleaved_s = _ask(client, SYSTEM, _document("D"), 1)[0]
            interleaved_evaluated = _last_prompt_evaluated(log)
            (total1, server1), hz = _busy_ticks(proc.pid), os.sysconf("SC_CLK_TCK")
            others_s = (total1 - ticks0[0] - (server1 - ticks0[1])) / hz
            others_cpu = 100 * others_s / ((time.perf_counter() - run0) * (os.cpu_count() or 1))
        finally:
            proc.terminate()
            proc.wait(30)
    return Result(
        name,
        cache,
        load_s,
        prompt_tokens,
        prompt_tokens / wall,
        gen_tokens,
        gen_tps,
        first_s,
        second_s,
        second_evaluated,
        interleaved_s,
        interleaved_evaluated,
        others_cpu,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", choices=sorted(CATALOGUE))
    parser.add_argument("--cache", action="store_true", help="also run with `--cache true`")
    args = parser.parse_args()
    results = [bench(m, c) for m in args.model or sorted(CATALOGUE) for c in ([False, True] if args.cache else [False])]
    print(
        "\n| model | --cache | load s | prefill tok/s | gen tok/s | same system prompt: 1st / 2nd request "
        "| same system prompt after an unrelated request | CPU taken by others |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.model} | {'true' if r.cache else 'false'} | {r.load_s:.1f} | {r.prefill_tps:.0f} "
            f"({r.prefill_tokens} tok) | {r.gen_tps:.1f} ({r.gen_tokens} tok) | "
            f"{r.first_s:.1f} s / {r.second_s:.1f} s ({r.second_evaluated} of {r.prefill_tokens} tok computed) | "
            f"{r.interleaved_s:.1f} s ({r.interleaved_evaluated} tok computed) | {r.others_cpu:.0f}% |"
        )


if __name__ == "__main__":
    main()

"""`contractflow watch FOLDER` as a long-running process with its embedded worker."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fake_openai import FakeOpenAI
from tests.test_run_e2e import ROOT, SAMPLES, environment

CONTRACT = (SAMPLES / "04_consulting_fixed_term.txt").read_bytes()
WAIT_S = 180


def wait_until(check: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


def test_watched_folder_takes_whole_files_and_sorts_them(tmp_path: Path, home: Path, model: FakeOpenAI) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.4 cut short")
    env = environment(home, model, CONTRACTFLOW_WATCH_SETTLE_S="2", CONTRACTFLOW_WATCH_INTERVAL_S="1")
    log = (tmp_path / "watch.log").open("w")
    watcher = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "watch", str(inbox)], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    try:
        # A copy in progress: written in pieces, never still for as long as the settle time.
        with (inbox / "consulting.txt").open("wb") as slow:
            for start in range(0, len(CONTRACT), 400):
                slow.write(CONTRACT[start : start + 400])
                slow.flush()
                time.sleep(0.2)
        wait_until(lambda: (inbox / "done" / "consulting.txt").exists(), "the contract in done/")
        wait_until(lambda: (inbox / "failed" / "broken.pdf.reason.txt").exists(), "the broken file in failed/")

        reason = (inbox / "failed" / "broken.pdf.reason.txt").read_text()
        assert reason.startswith("cannot parse: unreadable PDF")
        assert (inbox / "failed" / "broken.pdf").read_bytes() == b"%PDF-1.4 cut short"
        stored = list((home / "documents").rglob(f"{hashlib.sha256(CONTRACT).hexdigest()}*"))
        assert len(stored) == 1, "the whole file, not a part of it, is the document"
        assert sorted(p.name for p in inbox.iterdir()) == ["done", "failed"]
    finally:
        watcher.send_signal(signal.SIGTERM)
        try:
            assert watcher.wait(timeout=60) == 0
        finally:
            if watcher.poll() is None:
                watcher.kill()
            log.close()

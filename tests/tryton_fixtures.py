"""A real `trytond` on loopback for tests, on a copy of a database initialized once.

Initializing a Tryton database takes ~20-35 s here; copying the initialized SQLite file gives a
fresh one in milliseconds. The template is cached under
~/.cache/contractflow/tryton-template/<trytond version>/ and built under a file lock, so concurrent
test sessions build it once.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trytond
from filelock import FileLock
from proteus import config as proteus_config

from tests.conftest import free_port

ADMIN_PASSWORD = "admin"
DATABASE = "erp"
START_TIMEOUT_S = 60.0
INIT_TIMEOUT_S = 600.0
MODULE = "purchase_blanket_agreement"
BIN = Path(sys.executable).parent


def _config(folder: Path) -> Path:
    config = folder / "trytond.conf"
    config.write_text(f"[database]\nuri = sqlite://\npath = {folder}\n")
    return config


def build_template(target: Path) -> None:
    """trytond-admin: create the schema with the blanket agreement module and its dependencies."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / f"{DATABASE}.sqlite").touch()  # the SQLite backend opens, never creates, the file
        password = folder / "password"
        password.write_text(ADMIN_PASSWORD)
        subprocess.run(
            [
                *(BIN / "trytond-admin", "-c", _config(folder), "-d", DATABASE, "-u", MODULE),
                *("--activate-dependencies", "--all", "--email", "admin@example.com"),  # --email: no prompt
            ],
            env={**os.environ, "TRYTONPASSFILE": str(password)},
            check=True,
            capture_output=True,
            timeout=INIT_TIMEOUT_S,
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        shutil.copyfile(folder / f"{DATABASE}.sqlite", partial)
        partial.replace(target)


@pytest.fixture(scope="session")
def tryton_template() -> Path:
    folder = Path.home() / ".cache" / "contractflow" / "tryton-template" / trytond.__version__
    template = folder / f"{DATABASE}.sqlite"
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(folder / "build.lock", timeout=INIT_TIMEOUT_S):
        if not template.exists():
            build_template(template)
    return template


@dataclass
class TrytonServer:
    """One trytond process serving a fresh copy of the template; `stop()` and `start()` take it
    down and bring it back on the same port and database (the destination-down tests)."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """CONTRACTFLOW_* settings pointing the Tryton connector here."""
        return {
            "CONTRACTFLOW_CONNECTOR": "tryton",
            "CONTRACTFLOW_TRYTON_URL": self.url,
            "CONTRACTFLOW_TRYTON_DATABASE": DATABASE,
            "CONTRACTFLOW_TRYTON_PASSWORD": ADMIN_PASSWORD,
        }

    def start(self) -> None:
        log = (self.folder / "trytond.log").open("ab")
        self.process = subprocess.Popen(
            [BIN / "trytond", "-c", self.folder / "trytond.conf", "-d", DATABASE],
            env={**os.environ, "TRYTOND_WEB__LISTEN": f"127.0.0.1:{self.port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"trytond exited: {(self.folder / 'trytond.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"trytond not listening on {self.port} after {START_TIMEOUT_S} s") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def search_read(self, model: str, domain: list[Any], fields: list[str]) -> list[dict[str, Any]]:
        """Look inside the ERP with proteus's own session, independent of the connector's client."""
        with proteus_config.set_xmlrpc_session(f"{self.url}/{DATABASE}/rpc/", "admin", ADMIN_PASSWORD) as config:
            method = getattr(config.server, f"model.{model}.search_read")
            return list(method(domain, 0, None, [["id", "ASC"]], fields, config.context))


@pytest.fixture
def tryton(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    folder = tmp_path / "tryton"
    folder.mkdir()
    shutil.copyfile(tryton_template, folder / f"{DATABASE}.sqlite")
    _config(folder)
    server = TrytonServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()

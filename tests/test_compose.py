"""docker-compose.yml is a valid Compose file describing the whole distributed deployment.

There is no Docker engine here: `docker compose config` (or Debian's `docker-compose`, which
.ci/run installs) parses and validates the file without one.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

WORKERS = ("parse", "extract", "validate-post")
SERVICES = {"redis", "postgres", "s3", "tryton", "llm", "watcher", "review", "flower", *WORKERS}


def compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy is None:
        pytest.fail("neither `docker compose` nor `docker-compose` is installed (.ci/run installs docker-compose)")
    return [legacy]


def config(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*compose_command(), "--file", str(path), "config"],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_is_valid_and_complete() -> None:
    result = config(ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == SERVICES
    assert "--appendonly" in services["redis"]["command"]
    for worker in WORKERS:
        assert services[worker]["command"][0] == "worker"
        assert services[worker]["environment"]["CONTRACTFLOW_BROKER_URL"].startswith("redis://redis:")
        assert "ports" not in services[worker], "a fixed host port would stop `--scale`"


def test_compose_config_rejects_an_invalid_file(tmp_path: Path) -> None:
    broken = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    broken["services"]["parse"]["restart"] = {"policy": "sometimes"}
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    result = config(path)
    assert result.returncode != 0
    assert "restart" in result.stderr

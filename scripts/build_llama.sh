#!/usr/bin/env bash
# Build llama-cpp-python once into a wheel cache, then install it (+ the [server] extra) into a venv.
#
# Usage: scripts/build_llama.sh VENV_DIR
# llama-cpp-python is source-only on PyPI (a 4-6 min compile on 2 cores). GGML_NATIVE=OFF because
# the native build segfaults on AMX CPUs (ggml_backend_amx_mul_mat). --no-cache-dir because pip's
# own wheel cache ignores CMAKE_ARGS and could hand back a native build.
set -euo pipefail

VERSION=0.3.36
VENV=${1:?usage: $0 VENV_DIR}
CACHE=${CONTRACTFLOW_WHEEL_CACHE:-$HOME/.cache/contractflow/wheels}
PIP="$VENV/bin/python -m pip"

find_wheel() {
  compgen -G "$CACHE/llama_cpp_python-$VERSION-*.whl" | head -n 1 || true
}

mkdir -p "$CACHE"
# Serialize concurrent set-ups (parallel make, CI jobs sharing a cache) so only one compiles.
exec 9>"$CACHE/.build.lock"
flock 9
WHEEL=$(find_wheel)
if [[ -n "$WHEEL" ]]; then
  echo "build_llama: using cached $WHEEL"
else
  echo "build_llama: compiling llama-cpp-python==$VERSION into $CACHE (about 5 min)"
  CMAKE_ARGS="-DGGML_NATIVE=OFF" $PIP wheel --no-cache-dir --no-deps -w "$CACHE" "llama-cpp-python==$VERSION"
  WHEEL=$(find_wheel)
  [[ -n "$WHEEL" ]] || { echo "build_llama: no wheel produced in $CACHE" >&2; exit 1; }
fi

$PIP install "$WHEEL"
# The [server] extra's deps (fastapi, uvicorn, ...); --find-links makes pip pick the cached wheel
# instead of building the sdist again.
$PIP install "llama-cpp-python[server]==$VERSION" --find-links "$CACHE"
$VENV/bin/python -c "import llama_cpp, llama_cpp.server; print('build_llama: llama_cpp', llama_cpp.__version__, 'ok')"

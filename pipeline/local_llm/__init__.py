"""The embedded local model: pinned GGUF weights served by one shared llama_cpp.server."""

from pipeline.local_llm.catalogue import CATALOGUE, LocalModelError, ModelSpec, get_spec
from pipeline.local_llm.provision import LocalModel, fetch, resolve
from pipeline.local_llm.server import endpoint, owned_server, stop_server

__all__ = [
    "CATALOGUE",
    "LocalModel",
    "LocalModelError",
    "ModelSpec",
    "endpoint",
    "fetch",
    "get_spec",
    "owned_server",
    "resolve",
    "stop_server",
]

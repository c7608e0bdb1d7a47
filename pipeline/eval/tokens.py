"""The whole-document prompt, counted with the serving model's own tokenizer, so that an eval run
reports the agent's prompt tokens next to what one call reading the whole contract would send."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable

from pipeline import extract
from pipeline.models import ParsedDocument


def whole_document_prompt(parsed: ParsedDocument) -> str:
    """What a single call given the whole contract reads: its instructions, its answer schema and
    every page, uncut (the single call itself cuts long contracts)."""
    schema = json.dumps(extract.ContractDraft.model_json_schema())
    return f"{extract.SYSTEM_PROMPT}\n{schema}\n{extract.render_document(parsed, sys.maxsize)}"


def whole_document_counter(base_url: str, timeout: float = 60.0) -> Callable[[ParsedDocument], int] | None:
    """Counts a document's whole-document prompt with llama_cpp.server's /extras/tokenize/count; None
    for an endpoint without it (a hosted API): the eval then reports no figure rather than a guess."""
    root = base_url.rstrip("/").removesuffix("/v1")

    def count(text: str) -> int:
        request = urllib.request.Request(
            f"{root}/extras/tokenize/count",
            data=json.dumps({"input": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(json.load(response)["count"])

    try:
        count("probe")
    except (urllib.error.URLError, KeyError, ValueError):
        return None
    return lambda parsed: count(whole_document_prompt(parsed))

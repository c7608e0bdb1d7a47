"""The agent's tools. None has a side effect: they read the document, the finders, the party master
and the rules, and return short text observations. Posting is never a tool."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import Any

from pipeline.agent.candidate import Candidate
from pipeline.agent.confidence import agreeing_candidate
from pipeline.agent.finders import FINDERS
from pipeline.agent.search import Index, chunk
from pipeline.evidence import locate
from pipeline.models import Evidence, ParsedDocument

READ_LIMIT = 3000  # characters of pages returned by one read_pages call
SNIPPET = 45  # characters either side of a candidate shown to the model
MAX_CANDIDATES = 8

PartyLookup = Callable[[str], list[str]]


class ToolError(Exception):
    """A tool call the model got wrong; the message goes back to it as the observation."""


def whole_words(text: str, left: int, right: int) -> str:
    """The words of text[left:right] on one line, leaving out any word the window cuts in half."""
    left, right = max(0, left), min(len(text), right)
    words = text[left:right].split()
    if left > 0 and not text[left - 1].isspace() and not text[left].isspace() and len(words) > 1:
        words = words[1:]
    if right < len(text) and not text[right].isspace() and not text[right - 1].isspace() and len(words) > 1:
        words = words[:-1]
    return " ".join(words)


def snippet(parsed: ParsedDocument, candidate: Candidate) -> str:
    """The candidate with some words either side, verbatim but for whitespace."""
    text = parsed.pages[candidate.page - 1].text
    return whole_words(text, candidate.start - SNIPPET, candidate.end + SNIPPET)


class Toolbox:
    def __init__(self, parsed: ParsedDocument, lookup_party: PartyLookup | None = None) -> None:
        self.parsed = parsed
        self._lookup_party = lookup_party

    @cached_property
    def index(self) -> Index:
        return Index(chunk(self.parsed))

    @cached_property
    def candidates(self) -> dict[str, list[Candidate]]:
        return {kind: finder(self.parsed) for kind, finder in FINDERS.items()}

    def search_document(self, query: str) -> str:
        if not query.strip():
            raise ToolError("search_document needs keywords, e.g. 'governing law'")
        hits = self.index.search(query)
        if not hits:
            return f"no passage matches {query!r}"
        return "\n".join(f"[page {hit.page}] {' '.join(hit.text.split())}" for hit in hits)

    def read_pages(self, argument: str) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", argument)[:2]]
        if not numbers:
            raise ToolError("read_pages needs a page range such as '2-3'")
        first, last = numbers[0], numbers[-1]
        if not 1 <= first <= last <= len(self.parsed.pages):
            raise ToolError(f"pages run from 1 to {len(self.parsed.pages)}")
        text = "\n".join(f"[page {p.number}]\n{p.text}" for p in self.parsed.pages[first - 1 : last])
        cut = "" if len(text) <= READ_LIMIT else f"\n[cut at {READ_LIMIT} characters: read fewer pages]"
        return text[:READ_LIMIT] + cut

    def find_candidates(self, kind: str) -> str:
        kind = kind.strip().lower().replace(" ", "_")
        if kind not in self.candidates:
            raise ToolError(f"kind must be one of {', '.join(self.candidates)}")
        return self.describe(kind) or f"no {kind} found"

    def describe(self, kind: str, limit: int = MAX_CANDIDATES) -> str:
        lines = []
        for candidate in self.candidates[kind][:limit]:
            label = f" ({candidate.label})" if candidate.label else ""
            lines.append(f'- "{candidate.value}"{label} page {candidate.page}: {snippet(self.parsed, candidate)}')
        return "\n".join(lines)

    def vouch(self, field: str, value: Any) -> Evidence | None:
        """Verified evidence for a value from a finder that read the same value, if one did."""
        candidate = agreeing_candidate(field, value, self.candidates)
        if candidate is None:
            return None
        return locate(self.parsed, Evidence(page=candidate.page, quote=snippet(self.parsed, candidate)))

    def lookup_party(self, name: str) -> str:
        if self._lookup_party is None:
            return "no counterparty master is configured"
        matches = self._lookup_party(name)
        return "known counterparties: " + "; ".join(matches) if matches else f"no known counterparty like {name!r}"

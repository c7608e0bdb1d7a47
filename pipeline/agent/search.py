"""BM25 over page-aware chunks: the agent's `search_document` without reading the whole contract."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from pipeline.models import ParsedDocument

CHUNK_CHARS = 600
_WORD = re.compile(r"[a-z0-9]+")
K1, B = 1.5, 0.75


@dataclass(frozen=True)
class Chunk:
    page: int
    start: int
    end: int
    text: str


def chunk(parsed: ParsedDocument, size: int = CHUNK_CHARS) -> list[Chunk]:
    """Chunks of about `size` characters that end at a line break where one is near."""
    chunks = []
    for page in parsed.pages:
        text, start = page.text, 0
        while start < len(text):
            end = min(len(text), start + size)
            if end < len(text):
                cut = text.rfind("\n", start + size // 2, end)
                end = cut + 1 if cut > 0 else end
            if text[start:end].strip():
                chunks.append(Chunk(page=page.number, start=start, end=end, text=text[start:end]))
            start = end
    return chunks


def _terms(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Index:
    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self.counts = [Counter(_terms(c.text)) for c in chunks]
        self.lengths = [sum(c.values()) for c in self.counts]
        self.average = sum(self.lengths) / max(1, len(self.lengths))
        frequency = Counter(term for counts in self.counts for term in counts)
        total = len(chunks)
        self.idf = {t: math.log(1 + (total - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}

    def search(self, query: str, top: int = 3) -> list[Chunk]:
        terms = set(_terms(query))
        scores = []
        for i, counts in enumerate(self.counts):
            score = 0.0
            for term in terms & counts.keys():
                tf = counts[term]
                score += self.idf[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * self.lengths[i] / self.average))
            if score > 0:
                scores.append((score, i))
        return [self.chunks[i] for _, i in sorted(scores, reverse=True)[:top]]

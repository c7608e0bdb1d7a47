"""Check a quote against the page it cites, tolerant of whitespace, line-break hyphenation,
typographic quotes and case, and locate it by character offsets in that page's text."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.models import Evidence, ParsedDocument

_FOLD = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u00a0": " "}
)
_HYPHEN_BREAK = re.compile(r"[-\u00ad]\s*\n\s*")


@lru_cache(maxsize=64)  # a page is folded once, not once per quote checked against it
def _fold(text: str) -> tuple[str, list[int]]:
    """Canonical text plus, for each of its characters, the index it came from in `text`."""
    chars: list[str] = []
    origin: list[int] = []
    i = 0
    while i < len(text):
        if hyphen := _HYPHEN_BREAK.match(text, i):
            i = hyphen.end()  # "agree-\nment" reads "agreement"
            continue
        ch = text[i]
        if ch.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                origin.append(i)
        else:
            chars.append(ch.translate(_FOLD).lower())
            origin.append(i)
        i += 1
    return "".join(chars), origin


def _find(page_text: str, quote: str) -> tuple[int, int] | None:
    needle, _ = _fold(quote)
    needle = needle.strip()
    if not needle:
        return None
    haystack, origin = _fold(page_text)
    at = haystack.find(needle)
    if at < 0:
        return None
    return origin[at], origin[at + len(needle) - 1] + 1


def locate(parsed: ParsedDocument, evidence: Evidence) -> Evidence | None:
    """The evidence with its offsets set, on the cited page or, failing that, the page that holds it."""
    cited = parsed.page(evidence.page)
    candidates = ([cited] if cited else []) + [p for p in parsed.pages if p is not cited]
    for page in candidates:
        if span := _find(page.text, evidence.quote):
            return Evidence(page=page.number, quote=evidence.quote, start=span[0], end=span[1])
    return None

"""What every finder returns: a value as written, where it stands, and a verbatim quote around it."""

from __future__ import annotations

from dataclasses import dataclass

CONTEXT = 90  # characters either side kept as the candidate's quote


@dataclass(frozen=True)
class Candidate:
    kind: str
    value: str  # as written
    page: int
    start: int
    end: int
    quote: str  # the value with some context, verbatim from the page
    label: str = ""  # what the context suggests, e.g. "effective", "governing law"


def window(text: str, start: int, end: int) -> tuple[int, int]:
    """A quote around a match: up to CONTEXT characters either side, cut at word boundaries."""
    left = max(0, start - CONTEXT)
    right = min(len(text), end + CONTEXT)
    while left > 0 and not text[left - 1].isspace() and left < start:
        left += 1
    while right < len(text) and not text[right].isspace() and right > end:
        right -= 1
    return left, right

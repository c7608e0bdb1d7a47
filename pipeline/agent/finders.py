"""Deterministic finders: candidate values with their page, quote and offsets, found by patterns.

They cost no tokens, give the model a short list to choose from instead of a whole contract, and
give confidence a second opinion to agree with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pipeline.models import ParsedDocument
from pipeline.normalize import DATE_PATTERN, DURATION_PATTERN, MONEY_PATTERN, parse_duration

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


_LAW = re.compile(
    r"(?:governed\s+by|constru\w+\s+(?:and\s+\w+\s+)?in\s+accordance\s+with|subject\s+to)"
    r"[^.;]{0,80}?\blaws?\s+of\s+(?:the\s+)?(?:(?:State|Commonwealth|Province)\s+of\s+)?"
    r"(?P<place>[A-Z][A-Za-z.]*(?:[ \-](?:of\s+)?[A-Z][A-Za-z.]*){0,3})",
    re.S,
)
_SUFFIX = (
    r"(?:Inc|Incorporated|Corp|Corporation|Company|Co|LLC|L\.L\.C|Ltd|Limited|LP|L\.P|LLP|PLC|plc|GmbH|AG"
    r"|S\.A|N\.V|B\.V|Pte|Pty|S\.p\.A|SE|AB|Holdings|Group|Trust|Bank|N\.A)\.?"
)
_NAME_WORD = r"[\w&'\u2019.\-]*,?\s+"
_ORG = re.compile(rf"\b(?:[A-Z0-9]{_NAME_WORD}){{0,6}}?(?:[A-Z]{_NAME_WORD}){{0,2}}{_SUFFIX}(?=[\s,;:)(\u201c\"]|$)")
_DEFINED = re.compile(r"\(\s*(?:the\s+)?[\"“”']([A-Z][\w .&-]{1,40})[\"“”']\s*\)")
_BETWEEN = re.compile(r"\b(?:by\s+and\s+)?between\b|\bPARTIES\b", re.I)

DATE_LABELS = (
    ("effective", r"effective|commenc"),
    ("agreement", r"dated|entered\s+into|made\s+(?:and\s+entered\s+)?(?:as\s+of|this|on)|as\s+of|day\s+of"),
    ("expiration", r"expir|terminat|until|end\s+on|through"),
    ("signature", r"date:|signed|signature|by:|name:|title:"),
)
DURATION_LABELS = (
    ("notice", r"notice|prior\s+to|before\s+the"),
    ("renewal", r"renew|extend|successive|additional"),
    ("term", r"term|period\s+of|remain\s+in\s+(?:full\s+)?(?:force|effect)|continue|expire|survive"),
)


def _label(before: str, after: str, table: tuple[tuple[str, str], ...]) -> str:
    """The first label in `table` whose words stand just before or just after the value."""
    near = before[-60:].lower() + " | " + after[:25].lower()
    return next((name for name, pattern in table if re.search(pattern, near)), "")


def _window(text: str, start: int, end: int) -> tuple[int, int]:
    """A quote around a match: up to CONTEXT characters either side, cut at word boundaries."""
    left = max(0, start - CONTEXT)
    right = min(len(text), end + CONTEXT)
    while left > 0 and not text[left - 1].isspace() and left < start:
        left += 1
    while right < len(text) and not text[right].isspace() and right > end:
        right -= 1
    return left, right


def _candidates(
    parsed: ParsedDocument, kind: str, pattern: re.Pattern[str], label: Callable[[str, str], str] | None = None
) -> Iterator[Candidate]:
    for page in parsed.pages:
        for match in pattern.finditer(page.text):
            value = match.group("place") if "place" in pattern.groupindex else match.group(0)
            left, right = _window(page.text, match.start(), match.end())
            before = page.text[max(0, match.start() - 80) : match.start()]
            yield Candidate(
                kind=kind,
                value=" ".join(value.split()).rstrip(".,"),
                page=page.number,
                start=match.start(),
                end=match.end(),
                quote=page.text[left:right],
                label=label(before, page.text[match.end() : match.end() + 40]) if label else "",
            )


def find_dates(parsed: ParsedDocument) -> list[Candidate]:
    return list(_candidates(parsed, "date", DATE_PATTERN, lambda before, after: _label(before, after, DATE_LABELS)))


def find_durations(parsed: ParsedDocument) -> list[Candidate]:
    def label(before: str, after: str) -> str:
        return _label(before, after, DURATION_LABELS)

    return [c for c in _candidates(parsed, "duration", DURATION_PATTERN, label) if _plausible_duration(c.value)]


def _plausible_duration(value: str) -> bool:
    parsed = parse_duration(value)
    return parsed is not None and parsed.amount is not None and 0 < parsed.amount < 1000


def find_amounts(parsed: ParsedDocument) -> list[Candidate]:
    return list(_candidates(parsed, "amount", MONEY_PATTERN))


def find_governing_law(parsed: ParsedDocument) -> list[Candidate]:
    return [
        c
        for c in _candidates(parsed, "governing_law", _LAW, lambda before, after: "governing law")
        if c.value.lower() not in {"any", "such", "this", "the"}
    ]


def find_parties(parsed: ParsedDocument) -> list[Candidate]:
    """Organisation names in the preamble (after "between") and in signature blocks, with roles
    from defined terms such as ("Supplier")."""
    found: dict[str, Candidate] = {}
    for page in parsed.pages[:1] + parsed.pages[-2:]:
        text = page.text
        anchor = _BETWEEN.search(text)
        regions = [(anchor.start(), min(len(text), anchor.start() + 1200))] if anchor and page.number == 1 else []
        regions.append((max(0, len(text) - 1500), len(text)) if page.number > 1 else (0, min(len(text), 1500)))
        for left, right in regions:
            for match in _ORG.finditer(text, left, right):
                name = " ".join(match.group(0).split()).strip(" ,")
                if len(name.split()) < 2 or name.lower().startswith(("the ", "this ", "such ", "each ", "whereas")):
                    continue  # a bare suffix ("Corp.") or a phrase, not a name
                role = _DEFINED.search(text, match.end(), min(len(text), match.end() + 200))
                w_left, w_right = _window(text, match.start(), match.end())
                key = re.sub(r"\W", "", name.lower())
                if key not in found:
                    found[key] = Candidate(
                        kind="party",
                        value=name,
                        page=page.number,
                        start=match.start(),
                        end=match.end(),
                        quote=text[w_left:w_right],
                        label=role.group(1) if role else "",
                    )
    return list(found.values())


FINDERS: dict[str, Callable[[ParsedDocument], list[Candidate]]] = {
    "dates": find_dates,
    "durations": find_durations,
    "amounts": find_amounts,
    "governing_law": find_governing_law,
    "parties": find_parties,
}

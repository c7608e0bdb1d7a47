"""Deterministic finders: candidate values with their page, quote and offsets, found by patterns.

They cost no tokens, give the model a short list to choose from instead of a whole contract, and
give confidence a second opinion to agree with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from pipeline.agent.candidate import Candidate, window
from pipeline.agent.parties import find_parties
from pipeline.models import ParsedDocument
from pipeline.normalize import DATE_PATTERN, DURATION_PATTERN, MONEY_PATTERN, parse_duration
from pipeline.places import PLACE_PATTERN

# "the laws of [the State of] X", "the laws and public policies of X", in any case.
_LAWS_OF = re.compile(
    r"\blaws?\b(?:\s+and\s+[\w ]{1,30}?)?\s+of\s+(?:the\s+)?(?:(?:state|commonwealth|province|republic)\s+of\s+)?",
    re.I,
)
_GOVERNING = re.compile(r"govern|constru|interpret|enforc|applicable\s+law|choice\s+of\s+law", re.I)
# "a corporation organized under the laws of Delaware" says where a party was formed, not which law governs.
_FORMATION = re.compile(r"organi[sz]ed|incorporated|existing|formed|registered|chartered|duly", re.I)

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


def _candidates(
    parsed: ParsedDocument, kind: str, pattern: re.Pattern[str], label: Callable[[str, str], str] | None = None
) -> Iterator[Candidate]:
    for page in parsed.pages:
        for match in pattern.finditer(page.text):
            left, right = window(page.text, match.start(), match.end())
            before = page.text[max(0, match.start() - 80) : match.start()]
            yield Candidate(
                kind=kind,
                value=" ".join(match.group(0).split()).rstrip(".,"),
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
    """Known places right after "laws of", labelled "governing law" when the sentence speaks of
    governing or construing; places of incorporation are left out. Governing-law clauses first."""
    found: list[Candidate] = []
    for page in parsed.pages:
        text = page.text
        for match in _LAWS_OF.finditer(text):
            place = PLACE_PATTERN.match(text, match.end())
            before = text[max(0, match.start() - 200) : match.start()]
            sentence = before[max(before.rfind(". "), 0) :]
            if place is None or _FORMATION.search(before[-60:]):
                continue
            left, right = window(text, match.start(), place.end())
            found.append(
                Candidate(
                    kind="governing_law",
                    value=" ".join(place.group(0).split()),
                    page=page.number,
                    start=place.start(),
                    end=place.end(),
                    quote=text[left:right],
                    label="governing law" if _GOVERNING.search(sentence) else "",
                )
            )
    return sorted(found, key=lambda c: c.label != "governing law")


FINDERS: dict[str, Callable[[ParsedDocument], list[Candidate]]] = {
    "dates": find_dates,
    "durations": find_durations,
    "amounts": find_amounts,
    "governing_law": find_governing_law,
    "parties": find_parties,
}

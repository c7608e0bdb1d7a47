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
# The verb may follow the place: "The laws of the State of Nevada (...) shall govern", "... applies".
_GOVERNS = re.compile(r"[^.;]{0,120}?\b(?:governs?|appl(?:y|ies))\b", re.I)
# "governed by Kansas law": the place before the word "law".
_PLACE_LAW = re.compile(
    rf"\b(?:by|under|with)\s+(?:the\s+)?(?:(?:internal|substantive|domestic)\s+)?(?=(?:{PLACE_PATTERN.pattern})\s+laws?\b)",
    re.I,
)
# "a corporation organized under the laws of Delaware" says where a party was formed, not which law governs.
_FORMATION = re.compile(r"\b(?:organi[sz]ed|incorporated|existing|formed|registered|chartered|duly)\b", re.I)

BEFORE_CHARS = 150  # the text before a value its label is read from: the last clause or so
# "commencing on" is said of periods within an agreement (a restriction period), not of its start.
DATE_LABELS = (
    # An EDGAR copy's page footer "Source: ACME CORP, 10-K, 2/21/2014" dates the filing, not the contract.
    ("filing", r"source:[^\n|]*\s\|"),
    ("effective", r"effective"),
    (  # also the closing "have executed this Agreement this 16th day of May"; "Dated:" is a signature's
        "agreement",
        r"\bdated\b(?!\s*:)|entered\s+into|made\s+(?:and\s+entered\s+)?(?:as\s+of|this|on)|as\s+of|day\s+of"
        r"|execut\w*\s+(?:this\s+\w+\s+)?(?:as\s+of|this|on)\b",
    ),
    # Before the value only: "begin on May 1, 2019 and end on" says when the next date is.
    ("expiration", r"(?:expir|terminat|until|end\s+on|through)[^|]*\|"),
    ("signature", r"dated?:|\bdate\s*\||\bsigned|signature|by:|name:|title:"),  # "|" is the value: "Date 1/2/03"
)
DURATION_LABELS = (
    ("notice", r"notice|prior\s+to|before\s+the"),
    ("renewal", r"renew|extend|successive|additional"),
    ("term", r"term|period\s+of|remain\s+in\s+(?:full\s+)?(?:force|effect)|continue|expire|survive"),
)


# The documents a contract refers to by their date: "the Rights Agreement, dated as of ...".
_DOCUMENT = re.compile(r"\b(?:agreement|plan|amendment|letter|contract)s?\b", re.I)
_QUOTED = re.compile(r"[\u201c\"][^\u201d\"]*[\u201d\"]")
# The word that says which document: "this Agreement" is the one being read, any other another one.
_DETERMINERS = frozenset(
    "this the that a an certain prior existing attached said such your its our their his her".split()  # noqa: SIM905
)
_SENTENCE_START = re.compile(r"\.\s+(?=[A-Z])")  # not "Inc. and"
DOCUMENT_REACH = 90  # characters from a document's name to its date: "the X Agreement between A and B dated"
DETERMINER_REACH = 8  # words back from a document's name to the word that says which one it is


def _refers_elsewhere(before: str) -> bool:
    """Whether the date just after `before` is that of another document ("the Offer Letter Agreement
    dated", "that certain Plan effective"), not of this agreement. Quoted words are defined terms
    ("the \u201cAgreement\u201d"), which name this one."""
    starts = [m.end() for m in _SENTENCE_START.finditer(before)]
    sentence = _QUOTED.sub(" ", before[starts[-1] if starts else 0 :])
    names = list(_DOCUMENT.finditer(sentence))
    if not names or len(sentence) - names[-1].end() > DOCUMENT_REACH:
        return False
    words = sentence[: names[-1].start()].lower().split()
    if not starts:
        words = words[1:]  # the window may begin inside a word
    return next((w for w in reversed(words[-DETERMINER_REACH:]) if w in _DETERMINERS), "this") != "this"


def _date_label(before: str, after: str) -> str:
    label = _label(before, after, DATE_LABELS)
    return "other agreement" if label in ("effective", "agreement") and _refers_elsewhere(before) else label


def _label(before: str, after: str, table: tuple[tuple[str, str], ...]) -> str:
    """The first label in `table` whose words stand just before or just after the value (written "|")."""
    near = before[-60:].lower() + " | " + after[:25].lower()
    return next((name for name, pattern in table if re.search(pattern, near)), "")


def _candidates(
    parsed: ParsedDocument, kind: str, pattern: re.Pattern[str], label: Callable[[str, str], str] | None = None
) -> Iterator[Candidate]:
    for page in parsed.pages:
        for match in pattern.finditer(page.text):
            left, right = window(page.text, match.start(), match.end())
            before = page.text[max(0, match.start() - BEFORE_CHARS) : match.start()]
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
    return list(_candidates(parsed, "date", DATE_PATTERN, _date_label))


def find_durations(parsed: ParsedDocument) -> list[Candidate]:
    def label(before: str, after: str) -> str:
        return _label(before, after, DURATION_LABELS)

    return [c for c in _candidates(parsed, "duration", DURATION_PATTERN, label) if _plausible_duration(c.value)]


def _plausible_duration(value: str) -> bool:
    parsed = parse_duration(value)
    return parsed is not None and (parsed.perpetual or (parsed.amount is not None and 0 < parsed.amount < 1000))


def find_amounts(parsed: ParsedDocument) -> list[Candidate]:
    return list(_candidates(parsed, "amount", MONEY_PATTERN))


def find_governing_law(parsed: ParsedDocument) -> list[Candidate]:
    """Known places right after "laws of", labelled "governing law" when the sentence speaks of
    governing or construing; places of incorporation are left out. Governing-law clauses first."""
    found: list[Candidate] = []
    for page in parsed.pages:
        text = page.text
        for match in sorted([*_LAWS_OF.finditer(text), *_PLACE_LAW.finditer(text)], key=lambda m: m.start()):
            place = PLACE_PATTERN.match(text, match.end())
            before = text[max(0, match.start() - 200) : match.start()]
            sentence = before[max(before.rfind(". "), 0) :]
            if place is None or _FORMATION.search(before[-60:]):
                continue
            governs = _GOVERNING.search(sentence) or _GOVERNS.match(text, place.end())
            left, right = window(text, match.start(), place.end())
            found.append(
                Candidate(
                    kind="governing_law",
                    value=" ".join(place.group(0).split()),
                    page=page.number,
                    start=place.start(),
                    end=place.end(),
                    quote=text[left:right],
                    label="governing law" if governs else "",
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

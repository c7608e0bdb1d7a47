"""A first answer built from the finders alone, for the model to check and correct.

Small models are far better at confirming or fixing a proposed value next to its quote than at
mapping a list of candidates onto fields themselves; the proposal also costs no tokens to make.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from pipeline.agent.candidate import Candidate
from pipeline.agent.finders import DATE_LABELS
from pipeline.agent.tools import Toolbox, snippet
from pipeline.normalize import parse_date, parse_duration

_FEE_WORDS = re.compile(r"fee|price|value|total|consideration|payable|pay|amount", re.I)
_AUTO_RENEW = re.compile(r"automatically\s+(?:be\s+)?(?:renew|extend)\w*", re.I)
# A term is how long the agreement lasts: a duration said of the agreement, not of a covenant in it.
_AGREEMENT_TERM = re.compile(
    r"^(?!.*(?:solicit|compet|hire|employ|standstill|acqui)).*(?:agreement|\bNDA\b)", re.I | re.S
)
# How a sentence says the agreement ends or lasts: "shall expire", "remain in full force", "cease".
_LASTS = re.compile(r"expir|terminat|cease|continu|remain|in\s+effect|effective|force|surviv", re.I)
# A period counted from a later event ("two years following termination", "the fifth anniversary of
# disclosure") is a survival or tail period; a term runs from the agreement's own date.
_FROM_EVENT = re.compile(
    r"\W*(?:(?:from|after|following|of)\s+(?:and\s+after\s+)?)(?:the\s+|such\s+|any\s+)?(?:date\s+of\s+(?:the\s+)?)?"
    r"(?:[\w\u2019']+\s+){0,3}?(?:terminat|expir|disclos|receipt|occurr|cessation|end\b|last\b|order\b|discussion)",
    re.I,
)
# So is one added after the term: "during the Term and for five (5) years thereafter", not "commence on
# May 1 and continue for twenty (20) years thereafter".
_TAIL_BEFORE = re.compile(r"\band\s+for\s+(?:a\s+(?:further\s+)?period\s+of\s+)?$", re.I)
_TAIL_AFTER = re.compile(r"\W*thereafter", re.I)
# A notice that stops a renewal is given before a term ends or renews, not before a meeting, a
# price change or a cure period.
_ENDS_OR_RENEWS = re.compile(
    r"renew|extend|extension|expir|end\s+of\s+(?:the\s+|such\s+|any\s+)?(?:then[\s\-]+current\s+|initial\s+|renewal\s+)?term",
    re.I,
)
_CURE = re.compile(r"\bcure|breach|default", re.I)
# An agreement "shall continue until terminated" has no fixed term; duties and rights that outlive it
# ("confidentiality obligations shall continue indefinitely", "a license in perpetuity") are not its term.
_OUTLIVES = re.compile(r"obligation|confiden|surviv|licen|right|(?:entire|complete)\s+agreement", re.I)
# "… for fifteen Contract Years, and thereafter until terminated": open-ended only after a first term.
_AFTER_A_TERM = re.compile(r"\bthereafter\b", re.I)
# A renewal is a further term, in months or years: "renews for successive one-year terms", not "extend
# the deadline by sixty (60) days" or "shall not extend beyond thirty (30) months".
_RENEWS = re.compile(r"renew|successive|additional\s+(?:[\w\-()]+\s+){0,4}?(?:term|period)", re.I)
# Contracts last months or years; periods in days or weeks are deadlines (notice, cure, return).
_TERM_UNITS = ("month", "year")
# A sentence ends at a period before the next sentence's capital, not after an initial or "Inc".
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\bInc)(?<!\bNo)(?<!\bCo)\.\s+(?=[A-Z0-9(\u201c\"])")
_TITLE = re.compile(r"^[A-Z][A-Z0-9 ,.&'\-]{6,80}$")

_MADE = re.compile(dict(DATE_LABELS)["agreement"], re.I)
MADE_REACH = 60  # characters before a date its "made as of" stands in (as finders.DATE_LABELS reads)
LETTER_HEAD_CHARS = 600  # a letter's date stands above its address and salutation
ADDRESS_CHARS = 1000  # how far past the first organisation named a letter still names its parties
SIGNATURE_CHARS = 2500  # the end of a contract, where its parties sign

# Field -> (finder kind, labels that qualify, in order of preference); "" means unlabelled.
BY_LABEL: dict[str, tuple[str, tuple[str, ...]]] = {
    "effective_date": ("dates", ("effective",)),
    "agreement_date": ("dates", ("agreement",)),
    "expiration_date": ("dates", ("expiration",)),
    "governing_law": ("governing_law", ("governing law",)),
}


def _cited(toolbox: Toolbox, candidate: Candidate) -> dict[str, Any]:
    return {"value": candidate.value, "page": candidate.page, "quote": snippet(toolbox.parsed, candidate)}


def _first(candidates: list[Candidate], labels: tuple[str, ...]) -> Candidate | None:
    for label in labels:
        for candidate in candidates:
            if candidate.label == label:
                return candidate
    return None


def _sentence_start(text: str, at: int) -> int:
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, at)]
    return starts[-1] if starts else 0


def _sentence(toolbox: Toolbox, candidate: Candidate) -> str:
    text = toolbox.parsed.pages[candidate.page - 1].text
    end = _SENTENCE_END.search(text, candidate.end)
    return text[_sentence_start(text, candidate.start) : end.start() if end else len(text)]


def _is_term(toolbox: Toolbox, candidate: Candidate) -> bool:
    duration = parse_duration(candidate.value)
    if duration is None or duration.unit not in _TERM_UNITS:
        return False
    text = toolbox.parsed.pages[candidate.page - 1].text
    before, after = text[max(0, candidate.start - 40) : candidate.start], text[candidate.end : candidate.end + 80]
    tail = bool(_TAIL_BEFORE.search(before) and _TAIL_AFTER.match(after)) or bool(_FROM_EVENT.match(after))
    return bool(_AGREEMENT_TERM.search(_sentence(toolbox, candidate))) and not tail


def _term(toolbox: Toolbox, durations: list[Candidate]) -> Candidate | None:
    """A duration said of the agreement: its lasting until terminated, which its term clause says
    once (a period elsewhere is a notice, a payment or a condition); else one labelled a term in a
    sentence on how the agreement ends or lasts, then one in such a sentence, then one labelled a term."""

    def tier(candidate: Candidate) -> int:
        lasts = candidate.label in ("term", "") and bool(_LASTS.search(_sentence(toolbox, candidate)))
        return 0 if lasts and candidate.label == "term" else 1 if lasts else 2 if candidate.label == "term" else 3

    if open_ended := next((c for c in durations if _is_open_ended_term(toolbox, c)), None):
        return open_ended
    ranked = sorted((tier(c), n) for n, c in enumerate(durations) if _is_term(toolbox, c))
    return durations[ranked[0][1]] if ranked and ranked[0][0] < 3 else None


def _is_open_ended_term(toolbox: Toolbox, candidate: Candidate) -> bool:
    """A term labelled so that has no end: "this Agreement shall remain in effect until terminated"."""
    duration = parse_duration(candidate.value)
    if duration is None or not duration.perpetual or candidate.label != "term":
        return False
    sentence, text = _sentence(toolbox, candidate), toolbox.parsed.pages[candidate.page - 1].text
    before = text[_sentence_start(text, candidate.start) : candidate.start]
    said_of_agreement = _AGREEMENT_TERM.search(sentence) and _LASTS.search(sentence)
    return bool(said_of_agreement) and not _OUTLIVES.search(sentence) and not _AFTER_A_TERM.search(before)


def _renews(toolbox: Toolbox, candidate: Candidate) -> bool:
    duration = parse_duration(candidate.value)
    in_units = duration is not None and duration.unit in _TERM_UNITS
    return in_units and bool(_RENEWS.search(_sentence(toolbox, candidate)))


def _stops_renewal(toolbox: Toolbox, candidate: Candidate) -> bool:
    duration = parse_duration(candidate.value)
    sentence = _sentence(toolbox, candidate)
    finite = duration is not None and duration.amount is not None
    return finite and bool(_ENDS_OR_RENEWS.search(sentence)) and not _CURE.search(sentence)


# Durations whose label is not enough: the sentence must say what the period is of.
BY_SENTENCE: dict[str, tuple[str, Callable[[Toolbox, Candidate], bool]]] = {
    "renewal_term": ("renewal", _renews),
    "notice_period_to_terminate_renewal": ("notice", _stops_renewal),
}


def _date_made(toolbox: Toolbox, dates: list[Candidate]) -> Candidate | None:
    """Without an "agreement" date: the effective date the agreement says it is made on ("made as
    of July 11, 2006 (the “Effective Date”)"), else the date heading a letter (the first date, if
    unlabelled and at the top of one of the first pages), else the last date the signature blocks
    give: an agreement is made when its last party signs."""
    for candidate in dates:
        before = toolbox.parsed.pages[candidate.page - 1].text[max(0, candidate.start - MADE_REACH) : candidate.start]
        if candidate.label == "effective" and _MADE.search(before):
            return candidate
    if dates and not dates[0].label and dates[0].page <= 2 and dates[0].start < LETTER_HEAD_CHARS:
        return dates[0]
    signed = [(day, c) for c in dates if c.label == "signature" and (day := parse_date(c.value))]
    return max(signed, key=lambda pair: pair[0])[1] if signed else None


def _addressed(organisations: Iterable[Candidate]) -> list[Candidate]:
    """The organisations of a letter's address and first paragraph, where its parties are named;
    those named further on are advisers, affiliates or the subject of the deal."""
    found = list(organisations)
    return [c for c in found if (c.page, c.start) <= (found[0].page, found[0].start + ADDRESS_CHARS)]


def _signing(toolbox: Toolbox, organisations: list[Candidate]) -> list[Candidate]:
    """Of the organisations a letter opens with, those that sign it, when at least two do; the
    others named there (an adviser, a parent, the company a deal is about) are not parties."""
    signatures = _plain("\n".join(page.text for page in toolbox.parsed.pages)[-SIGNATURE_CHARS:])
    signing = [c for c in organisations if " ".join(_plain(c.value).split()[:2]) in signatures]
    return signing if len(signing) >= 2 else organisations[:2]


def _plain(text: str) -> str:
    """Lower case, single spaces, no commas: "ACME, INC." and "Acme Inc." read alike."""
    return " ".join(text.lower().replace(",", " ").split())


def propose(toolbox: Toolbox) -> dict[str, Any]:
    found = toolbox.candidates
    draft: dict[str, Any] = {}
    for field, (kind, labels) in BY_LABEL.items():
        if candidate := _first(found[kind], labels):
            draft[field] = _cited(toolbox, candidate)
    if term := _term(toolbox, found["durations"]):
        draft["term"] = _cited(toolbox, term)
    for page in toolbox.parsed.pages:
        if match := _AUTO_RENEW.search(page.text):
            draft["auto_renewal"] = {"value": "yes", "page": page.number, "quote": match.group(0)}
            break
    for field, (label, said_of) in BY_SENTENCE.items():
        if candidate := next((c for c in found["durations"] if c.label == label and said_of(toolbox, c)), None):
            draft[field] = _cited(toolbox, candidate)
    if not draft.keys() & {"renewal_term", "auto_renewal"}:
        draft.pop("notice_period_to_terminate_renewal", None)  # no renewal, no notice that stops one
    if "agreement_date" not in draft and (made := _date_made(toolbox, found["dates"])):
        draft["agreement_date"] = _cited(toolbox, made)
    fee = next((c for c in found["amounts"] if _FEE_WORDS.search(c.quote)), None)
    if fee is not None:
        draft["total_value"] = _cited(toolbox, fee)
    # The preamble's parties; without a preamble sentence, organisation names in the opening. A
    # person signing for themselves is a party the preamble may leave out (an employee's letter).
    preamble = [c for c in found["parties"] if c.kind == "party"]
    opening = _signing(toolbox, _addressed(c for c in found["parties"] if c.kind == "organisation")[:3])
    individuals = [c for c in found["parties"] if c.kind == "individual"]
    draft["parties"] = [
        {"name": c.value, "role": c.label or "party", "page": c.page, "quote": snippet(toolbox.parsed, c)}
        for c in (preamble or opening) + (individuals[:1] if len(preamble) < 2 else [])
    ]
    first_page = toolbox.parsed.pages[0].text
    title = next((line.strip() for line in first_page.splitlines()[:8] if _TITLE.match(line.strip())), None)
    if title:
        draft["title"] = {"value": title.title(), "page": 1, "quote": title}
    return draft

"""A first answer built from the finders alone, for the model to check and correct.

Small models are far better at confirming or fixing a proposed value next to its quote than at
mapping a list of candidates onto fields themselves; the proposal also costs no tokens to make.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.agent.candidate import Candidate
from pipeline.agent.tools import Toolbox, snippet

_FEE_WORDS = re.compile(r"fee|price|value|total|consideration|payable|pay|amount", re.I)
_AUTO_RENEW = re.compile(r"automatically\s+(?:be\s+)?(?:renew|extend)\w*", re.I)
# A term is how long the agreement lasts: a duration said of the agreement, not of a covenant in it.
_AGREEMENT_TERM = re.compile(r"^(?!.*(?:solicit|compet|hire|employ|standstill|acqui)).*agreement", re.I | re.S)
_TITLE = re.compile(r"^[A-Z][A-Z0-9 ,.&'\-]{6,80}$")

# Field -> (finder kind, labels that qualify, in order of preference); "" means unlabelled.
BY_LABEL: dict[str, tuple[str, tuple[str, ...]]] = {
    "effective_date": ("dates", ("effective", "agreement")),
    "agreement_date": ("dates", ("agreement",)),
    "expiration_date": ("dates", ("expiration",)),
    "term": ("durations", ("term",)),
    "renewal_term": ("durations", ("renewal",)),
    "notice_period_to_terminate_renewal": ("durations", ("notice",)),
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


def _sentence(toolbox: Toolbox, candidate: Candidate) -> str:
    text = toolbox.parsed.pages[candidate.page - 1].text
    end = text.find(". ", candidate.end)
    return text[text.rfind(". ", 0, candidate.start) + 1 : end if end >= 0 else len(text)]


def _date_made(dates: list[Candidate]) -> Candidate | None:
    """Without an "agreement" date: the date heading a letter (the first date, if unlabelled and
    on the first pages), else the date the signature blocks give."""
    if dates and not dates[0].label and dates[0].page <= 2:
        return dates[0]
    return next((c for c in dates if c.label == "signature"), None)


def propose(toolbox: Toolbox) -> dict[str, Any]:
    found = toolbox.candidates
    draft: dict[str, Any] = {}
    for field, (kind, labels) in BY_LABEL.items():
        candidates = [c for c in found[kind] if field != "term" or _AGREEMENT_TERM.search(_sentence(toolbox, c))]
        if candidate := _first(candidates, labels):
            draft[field] = _cited(toolbox, candidate)
    if "agreement_date" not in draft and (signed := _date_made(found["dates"])):
        draft["agreement_date"] = _cited(toolbox, signed)
    fee = next((c for c in found["amounts"] if _FEE_WORDS.search(c.quote)), None)
    if fee is not None:
        draft["total_value"] = _cited(toolbox, fee)
    # The preamble's parties; without a preamble sentence, organisation names in the opening. A
    # person signing for themselves is a party the preamble may leave out (an employee's letter).
    preamble = [c for c in found["parties"] if c.kind == "party"]
    opening = [c for c in found["parties"] if c.kind == "organisation"]
    individuals = [c for c in found["parties"] if c.kind == "individual"]
    draft["parties"] = [
        {"name": c.value, "role": c.label or "party", "page": c.page, "quote": snippet(toolbox.parsed, c)}
        for c in (preamble or opening[:3]) + (individuals[:1] if len(preamble) < 2 else [])
    ]
    first_page = toolbox.parsed.pages[0].text
    title = next((line.strip() for line in first_page.splitlines()[:8] if _TITLE.match(line.strip())), None)
    if title:
        draft["title"] = {"value": title.title(), "page": 1, "quote": title}
    for page in toolbox.parsed.pages:
        if match := _AUTO_RENEW.search(page.text):
            draft["auto_renewal"] = {"value": "yes", "page": page.number, "quote": match.group(0)}
            break
    return draft

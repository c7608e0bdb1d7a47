"""A first answer built from the finders alone, for the model to check and correct.

Small models are far better at confirming or fixing a proposed value next to its quote than at
mapping a list of candidates onto fields themselves; the proposal also costs no tokens to make.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.agent.finders import Candidate
from pipeline.agent.tools import Toolbox, snippet

_FEE_WORDS = re.compile(r"fee|price|value|total|consideration|payable|pay|amount", re.I)
_AUTO_RENEW = re.compile(r"automatically\s+(?:be\s+)?(?:renew|extend)\w*", re.I)
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


def propose(toolbox: Toolbox) -> dict[str, Any]:
    found = toolbox.candidates
    draft: dict[str, Any] = {}
    for field, (kind, labels) in BY_LABEL.items():
        if candidate := _first(found[kind], labels):
            draft[field] = _cited(toolbox, candidate)
    fee = next((c for c in found["amounts"] if _FEE_WORDS.search(c.quote)), None)
    if fee is not None:
        draft["total_value"] = _cited(toolbox, fee)
    preamble = [c for c in found["parties"] if c.page == 1][:3]
    draft["parties"] = [
        {"name": c.value, "role": c.label or "party", "page": c.page, "quote": snippet(toolbox.parsed, c)}
        for c in preamble
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

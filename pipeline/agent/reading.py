"""What the model is shown: the preamble while a field it states is open, the finders' proposal of
the fields not settled in a line per value, the rules the proposal breaks, and passages that hold what
the proposal lacks or a check rejected; never a passage twice, never the whole contract.

Tokens are the agent's cost: a passage is shown only if it holds something of the field's kind (a
date for a date, a duration for a term), cut to a window around it; proposed values carry short
quotes; settled fields are only named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pipeline.agent.tools import Toolbox, whole_words
from pipeline.models import Violation
from pipeline.normalize import DATE_PATTERN, DURATION_PATTERN, MONEY_PATTERN

PREAMBLE_CHARS = 1000
PASSAGE_CHARS = 360
QUOTE_MARGIN = 25  # characters either side of a proposed value in its quote


@dataclass(frozen=True)
class Clue:
    query: str  # keywords of the passage that states the field
    cue: re.Pattern[str]  # what that passage must hold to be worth its tokens


CLUES = {
    # The preamble is always shown; the other place parties are named is the signature blocks.
    "parties": Clue("by name title signature witness whereof", re.compile(r"\bname:|\bby:|/s/|signature", re.I)),
    "effective_date": Clue("effective date dated as of made entered into", DATE_PATTERN),
    "agreement_date": Clue("dated as of made entered into this day of", DATE_PATTERN),
    "governing_law": Clue("governed by the laws of the state", re.compile(r"laws?\s+of", re.I)),
    "term": Clue("term of this agreement shall continue years", DURATION_PATTERN),
    "expiration_date": Clue("agreement expires terminates on date", DATE_PATTERN),
    "renewal_term": Clue("renew successive periods", re.compile(r"renew", re.I)),
    "total_value": Clue("total fees price payable amount", MONEY_PATTERN),
    "payment_terms": Clue(
        "payment due within days of invoice", re.compile(r"within\s+\S+(?:\s+\(\d+\))?\s+days", re.I)
    ),
}
# Fields a contract states in its preamble: the first reading shows it while one of them is open.
PREAMBLE_FIELDS = frozenset({"parties", "effective_date", "agreement_date", "title", "contract_type"})
# Fields the first reading looks for beyond the preamble when the finders did not propose them.
OPENING_FIELDS = ("governing_law", "term", "expiration_date", "renewal_term", "total_value", "payment_terms")


@dataclass
class Reading:
    """The text shown to the model so far in one document's conversation."""

    toolbox: Toolbox
    shown: set[tuple[int, int]] = field(default_factory=set)  # (page, chunk start)
    preamble_page: int = 1
    preamble_start: int = 0

    def __post_init__(self) -> None:
        named = next((c for c in self.toolbox.candidates["parties"] if c.kind == "party"), None)
        if named is not None and named.start >= PREAMBLE_CHARS // 2:
            # Start a little before the first party named, at a word boundary.
            text = self.toolbox.parsed.pages[named.page - 1].text
            self.preamble_page, self.preamble_start = named.page, text.rfind(" ", 0, named.start - 200) + 1
        elif named is not None:
            self.preamble_page = named.page

    def _preamble(self) -> str:
        """The preamble, marked as shown: no passage repeats it."""
        end = self.preamble_start + PREAMBLE_CHARS
        self.shown |= {
            (c.page, c.start)
            for c in self.toolbox.index.chunks
            if c.page == self.preamble_page and c.start < end and c.end > self.preamble_start
        }
        text = self.toolbox.parsed.pages[self.preamble_page - 1].text
        return f"[page {self.preamble_page}]\n{text[self.preamble_start : end].strip()}"

    def _passage(self, name: str) -> str | None:
        clue = CLUES.get(name, Clue(name.replace("_", " "), re.compile(".")))
        for hit in self.toolbox.index.search(clue.query, top=3):
            if (hit.page, hit.start) not in self.shown and (match := clue.cue.search(hit.text)):
                self.shown.add((hit.page, hit.start))
                at, half = match.start(), PASSAGE_CHARS // 2
                return f"[page {hit.page}] {whole_words(hit.text, at - half, at + half)}"
        return None

    def passages(self, names: list[str]) -> str:
        """A passage not shown yet for each field named, if one holds something of its kind."""
        return "\n".join(p for name in dict.fromkeys(names) if (p := self._passage(name)))

    def excerpt(self, names: list[str]) -> str:
        """The preamble if it states one of the fields named, and a passage for each of them."""
        preamble = self._preamble() if PREAMBLE_FIELDS & set(names) else ""
        return "\n".join(filter(None, [preamble, self.passages(names)]))

    def proposal(self, proposed: dict[str, Any]) -> str:
        """One line per proposed value with a short verbatim quote the model can cite back."""
        lines = []
        for name, value in proposed.items():
            for item in value if isinstance(value, list) else [value]:
                text = item.get("value") or item.get("name")
                role = f", role: {item['role']}" if item.get("role", "party") != "party" else ""
                label = "party" if name == "parties" else name
                quote = " ".join(item["quote"].split())
                at = quote.find(text)
                short = whole_words(quote, at - QUOTE_MARGIN, at + len(text) + QUOTE_MARGIN) if at >= 0 else quote
                lines.append(f'- {label}: "{text}"{role}, page {item["page"]}: "{short}"')
        return "\n".join(lines) or "(nothing found)"

    def opening(self, proposed: dict[str, Any], settled: set[str], violations: list[Violation]) -> str:
        """The first observation: the preamble, the finders' proposal of the fields not settled, the
        rules it breaks, and passages likely to hold what it lacks or what those rules question."""
        questioned = [name for v in violations for name in v.fields]
        unsettled = {name: value for name, value in proposed.items() if name not in settled}
        # The preamble only while a field it states is open: otherwise not worth its tokens.
        preamble = self._preamble() if PREAMBLE_FIELDS & {*unsettled, *questioned} else ""
        more = self.passages(questioned + [name for name in OPENING_FIELDS if name not in proposed])
        shown = "\n".join(filter(None, [preamble, more])) or "(nothing more to show)"
        open_ = self.proposal(unsettled)
        checked = f"\nAlready checked, not to be corrected: {', '.join(sorted(settled))}." if settled else ""
        broken = "".join(f"\nFails rule {v.rule_id}: {v.message}" for v in violations)
        return (
            f'<document pages="{len(self.toolbox.parsed.pages)}">\n{shown}\n</document>\n'
            "<result>\nProposed by patterns (may be wrong or incomplete):\n"
            f"{open_}{checked}{broken}\n</result>\n"
            'Submit corrections: fix what is wrong, add what is missing, reject with "none" what the contract '
            "does not support. Leave out what is right; an empty list accepts the proposal."
        )

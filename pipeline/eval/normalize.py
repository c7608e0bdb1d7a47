"""Canonical forms both sides are compared in: dates, durations and party names.

Dates are "YYYY-MM-DD" with "?" for parts a label leaves unknown; durations are "N days",
"N months" or "perpetual" (weeks become days and years months, so "1 year" == "12 months");
party names are case-, punctuation- and legal-suffix-insensitive keys.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from pipeline.models import Duration


def iso(value: date) -> str:
    return value.isoformat()


def date_matches(gold: str, predicted: str) -> bool:
    """Equal on every part the gold value knows ("?" matches any character)."""
    return len(gold) == len(predicted) and all(g in ("?", p) for g, p in zip(gold, predicted, strict=True))


def duration_key(duration: Duration) -> str | None:
    if duration.perpetual:
        return "perpetual"
    if duration.amount is None or duration.unit is None:
        return None
    if duration.unit in ("day", "week"):
        return f"{duration.amount * (7 if duration.unit == 'week' else 1)} days"
    return f"{duration.amount * (12 if duration.unit == 'year' else 1)} months"


_SUFFIXES = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "lc", "llp", "lp", "ltd", "limited",
    "plc", "pllc", "pc", "gmbh", "ag", "sa", "nv", "bv", "pte", "pty", "spa", "srl", "sarl", "ltda", "kk",
})  # fmt: skip


def party_key(name: str) -> str:
    """ "The Boxlot Company" == "Boxlot Co." == "BOXLOT": casefolded, accents, "&" as "and",
    punctuation, a leading "the" and trailing legal-form suffixes dropped (but never the whole name);
    annotators often type "Laboratorios" for "Laboratórios"."""
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().replace("&", " and ")
    words = re.sub(r"[^\w ]", " ", re.sub(r"[.'\u2019]", "", text)).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and (words[-1] in _SUFFIXES or words[-1] == "and"):  # "Moelis & Co."
        words.pop()
    return " ".join(words)

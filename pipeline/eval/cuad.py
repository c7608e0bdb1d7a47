"""CUAD: `master_clauses.csv` (one row per contract, an `-Answer` column per category) and `pdf/`.

Seven categories are scored. Both sides are reduced to canonical strings (see `normalize` and
`places`); the label-side parsing rules below are documented in docs/EVAL.md.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

from pipeline.eval.dataset import Sample, unique
from pipeline.eval.normalize import date_matches, duration_key, iso, party_key
from pipeline.models import ContractFields, Duration, DurationUnit, FieldValue
from pipeline.places import jurisdiction_name

COLUMNS = {
    "Parties": "Parties-Answer",
    "Agreement Date": "Agreement Date-Answer",
    "Effective Date": "Effective Date-Answer",
    "Expiration Date": "Expiration Date-Answer",
    "Governing Law": "Governing Law-Answer",
    "Renewal Term": "Renewal Term-Answer",
    "Notice Period To Terminate Renewal": "Notice Period To Terminate Renewal- Answer",  # sic: the space
}
WILDCARD = "*"  # a label written "[]": a value is there but the annotator left it unknown

_QUOTE = "\"'\u201c\u201d\u2018\u2019"
# Where the name ends: a parenthesis holding a quoted defined term, or a bare double quote.
_DEFINITION = re.compile(rf"\((?=[^)]*[{_QUOTE}])|[\"\u201c\u201d]")
_TAIL = re.compile(
    r"\s*\(*\s*\b(?:d/b/a|f/k/a|a/k/a|doing business as|formerly known as|on behalf of|together with"
    r"|including its|and its affiliates|and all of its|operating with)\b.*",
    re.I | re.S,
)
# A segment that only defines the group ("X and Y (the "Parties")") names no new party.
_GROUP = re.compile(rf"collectively|[{_QUOTE}]\s*(?:a\s+)?part(?:y|ies)\.?\s*[{_QUOTE}]", re.I)


def _segments(answer: str) -> list[str]:
    """Split on ";" outside parentheses ("("VNE"; collectively with VNI)" stays whole)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(answer):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == ";" and depth <= 0:
            parts.append(answer[start:i])
            start, depth = i + 1, 0
    return [*parts, answer[start:]]


def gold_parties(answer: str) -> list[str]:
    names = []
    for segment in _segments(answer):
        found = _DEFINITION.search(segment)
        name = segment[: found.start()] if found else segment
        grouping = re.search(r" and |\bparties\b", name, re.I)
        if found and grouping and _GROUP.search(segment[found.start() :]):
            continue
        if key := party_key(_TAIL.sub("", name)):  # empty for "[]" and "[ * * * ]" (redacted)
            names.append(key)
    return unique(names)


def gold_date(answer: str) -> str | None:
    """ "7/11/06" -> "2006-07-11"; "[]" parts stay unknown ("03/[]/1999" -> "1999-03-??")."""
    text = answer.strip()
    if text.lower() == "perpetual":
        return "perpetual"
    parts = re.fullmatch(r"([\d\[\]]+)/([\d\[\]]+)/([\d\[\]]+)", text)
    if parts is None:
        return None
    month, day, year = (int(p) if p.isdigit() else None for p in parts.groups())
    if month and day and month > 12 >= day:  # day first ("31/01/2025")
        month, day = day, month
    if year is not None and year < 100:  # two-digit years: 00-49 are 20xx, 50-99 are 19xx
        year += 2000 if year < 50 else 1900
    return (
        (f"{year:04d}" if year else "????") + (f"-{month:02d}" if month else "-??") + (f"-{day:02d}" if day else "-??")
    )


_AMOUNT_UNIT = re.compile(r"(\d+)\)?\s*(day|week|month|year)s?\b", re.I)
_UNITS: dict[str, DurationUnit] = {"day": "day", "week": "week", "month": "month", "year": "year"}


def gold_duration(answer: str) -> str | None:
    """ "successive 1 year" -> "12 months", "4 years, 6 months" -> "54 months", "60) days" -> "60 days"."""
    text = answer.strip().lower()
    if text == "[]":
        return WILDCARD
    if "perpetu" in text:
        return "perpetual"
    keys = [duration_key(Duration(amount=int(n), unit=_UNITS[u.lower()])) for n, u in _AMOUNT_UNIT.findall(text)]
    units = {k.split()[1] for k in keys if k}
    if len(units) != 1:
        return None
    return f"{sum(int(k.split()[0]) for k in keys if k)} {units.pop()}"


def _split(answer: str) -> list[str]:
    return [part.strip() for part in answer.split(";") if part.strip()]


def gold_values(category: str, answer: str) -> list[str]:
    if category == "Parties":
        return gold_parties(answer)
    if category == "Governing Law":
        return unique([name for part in _split(answer) if (name := jurisdiction_name(part))])
    parse = gold_date if category.endswith("Date") else gold_duration
    value = parse(answer) if answer.strip() else None
    return [value] if value else []


def _date(field: FieldValue[date] | None) -> list[str]:
    return [iso(field.value)] if field else []


def _duration(field: FieldValue[Duration] | None) -> list[str]:
    key = duration_key(field.value) if field else None
    return [key] if key else []


def _expiration(fields: ContractFields) -> list[str]:
    # CUAD labels the date the initial term ends, computing it from start + term when not written.
    if fields.expiration_date:
        return _date(fields.expiration_date)
    term = fields.term.value if fields.term else None
    start = fields.effective_date or fields.agreement_date
    if term is None:
        return []
    if term.perpetual:
        return ["perpetual"]
    if start is None or term.amount is None or term.unit is None:
        return []
    n = term.amount
    step = {"day": relativedelta(days=n), "week": relativedelta(weeks=n), "month": relativedelta(months=n)}
    return [iso(start.value + step.get(term.unit, relativedelta(years=n)))]


def to_cuad(fields: ContractFields) -> dict[str, list[str]]:
    law = fields.governing_law.value if fields.governing_law else ""
    return {
        "Parties": unique([party_key(p.value.name) for p in fields.parties if p.value.name.strip()]),
        "Agreement Date": _date(fields.agreement_date),
        "Effective Date": _date(fields.effective_date),
        "Expiration Date": _expiration(fields),
        "Governing Law": unique([name for part in _split(law) if (name := jurisdiction_name(part))]),
        "Renewal Term": _duration(fields.renewal_term),
        "Notice Period To Terminate Renewal": _duration(fields.notice_period_to_terminate_renewal),
    }


def file_key(name: str) -> str:
    """CSV names differ from disk names by "&"/"'" written "_", spaces, case and Unicode form."""
    text = re.sub(r"\.pdf$", "", unicodedata.normalize("NFKC", name).casefold().strip())
    return " ".join(re.sub(r"[&'\u2019]", "_", text).split())


class Cuad:
    name = "cuad"
    fields: tuple[str, ...] = tuple(COLUMNS)
    source_fields: tuple[str, ...] = (
        "parties", "agreement_date", "effective_date", "expiration_date", "term", "governing_law",
        "renewal_term", "notice_period_to_terminate_renewal",
    )  # fmt: skip

    def load(self, directory: Path) -> list[Sample]:
        on_disk = {file_key(path.name): path for path in (directory / "pdf").iterdir()}
        with (directory / "master_clauses.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        samples = []
        for row in rows:
            path = on_disk.get(file_key(row["Filename"]))
            if path is None:
                raise FileNotFoundError(f"{row['Filename']!r} is listed but not in {directory / 'pdf'}")
            gold = {category: gold_values(category, row[column]) for category, column in COLUMNS.items()}
            samples.append(Sample(name=row["Filename"], path=path, gold=gold, fields=self.fields))
        return samples

    def predict(self, fields: ContractFields, sample: Sample) -> dict[str, list[str]]:
        return to_cuad(fields)

    def match(self, gold: str, predicted: str) -> bool:
        return gold == WILDCARD or date_matches(gold, predicted)

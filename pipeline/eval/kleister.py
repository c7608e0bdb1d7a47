"""Kleister-NDA: `in.tsv.xz` (file name, keys to predict), `expected.tsv` (gold), `documents/`.

Gold lines are space-separated `key=value` pairs, values with spaces and colons written `_`.
The adapter below writes `ContractFields` the way the gold is normalized (checked on the train
split): parties as written but with commas dropped, "&" as "and", "Inc"/"Ltd"/"Corp" with a period
("Incorporated" as "Inc.", "Limited" as "Ltd.": the gold never spells them out),
"L.L.C." as "LLC" and "L.P." as "LP"; term in the document's own unit (`18_months`, `1_year`).
"""

from __future__ import annotations

import lzma
import re
from pathlib import Path

from pipeline.eval.dataset import Sample, unique
from pipeline.models import ContractFields, Duration
from pipeline.places import jurisdiction_name

KEYS = ("effective_date", "jurisdiction", "party", "term")
_SUFFIX_FORMS = {"INC": "Inc.", "LTD": "Ltd.", "CORP": "Corp.", "CO": "Co.", "L.L.C.": "LLC", "L.L.C": "LLC",
                 "L.P.": "LP", "L.P": "LP", "INCORPORATED": "Inc.", "LIMITED": "Ltd."}  # fmt: skip


def _value(text: str) -> str:
    return "_".join(text.replace(":", " ").split())


def _party(name: str) -> str:
    words = name.replace("&", " and ").replace(",", " ").split()
    if words:
        words[-1] = _SUFFIX_FORMS.get(words[-1].upper(), words[-1])
    return _value(" ".join(words))


def _term(duration: Duration) -> str | None:
    # A perpetual NDA has no term value in the gold (the key is a decoy there).
    if duration.perpetual or duration.amount is None or duration.unit is None:
        return None
    return f"{duration.amount}_{duration.unit}{'' if duration.amount == 1 else 's'}"


def to_kleister(fields: ContractFields) -> dict[str, list[str]]:
    """The one mapping ContractFields -> Kleister keys; a key with no value gets an empty list."""
    out: dict[str, list[str]] = {key: [] for key in KEYS}
    # Kleister's effective_date is when the NDA binds: the effective date, else the date it was made.
    if when := fields.effective_date or fields.agreement_date:
        out["effective_date"] = [when.value.isoformat()]
    if fields.governing_law and (place := jurisdiction_name(fields.governing_law.value)):
        out["jurisdiction"] = [_value(place)]
    out["party"] = unique([_party(p.value.name) for p in fields.parties if p.value.name.strip()])
    if fields.term and (term := _term(fields.term.value)):
        out["term"] = [term]
    return out


def parse_expected(line: str) -> dict[str, list[str]]:
    gold: dict[str, list[str]] = {key: [] for key in KEYS}
    for pair in line.split():
        key, _, value = pair.partition("=")
        gold.setdefault(key, []).append(value)
    return gold


class Kleister:
    name = "kleister"
    fields: tuple[str, ...] = KEYS
    source_fields: tuple[str, ...] = ("effective_date", "agreement_date", "governing_law", "parties", "term")

    def load(self, directory: Path) -> list[Sample]:
        # TSV without quoting (the README's rule): plain splits, never the csv module's quotes.
        with lzma.open(directory / "in.tsv.xz", "rt", encoding="utf-8") as handle:
            inputs = [line.split("\t", 2)[:2] for line in handle.read().splitlines() if line]
        expected = (directory / "expected.tsv").read_text(encoding="utf-8").splitlines()
        if len(expected) != len(inputs):
            raise ValueError(f"{directory}: {len(inputs)} inputs but {len(expected)} expected lines")
        return [
            Sample(
                name=filename,
                path=directory / "documents" / filename,
                gold=parse_expected(gold),
                fields=tuple(re.split(r"\s+", keys.strip())),
            )
            for (filename, keys), gold in zip(inputs, expected, strict=True)
        ]

    def predict(self, fields: ContractFields, sample: Sample) -> dict[str, list[str]]:
        # The split says which keys to answer per document; answering others costs precision.
        return {key: values if key in sample.fields else [] for key, values in to_kleister(fields).items()}

    def match(self, gold: str, predicted: str) -> bool:
        return gold.upper() == predicted.upper()  # the official "u" (upper-case) flag

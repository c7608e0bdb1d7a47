"""Per-field confidence from signals we can measure, mapped to a probability by a logistic model
whose weights are fitted on the shared dev splits (`bench/calibrate.py`, docs/EVAL.md)."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

from pipeline import normalize
from pipeline.agent.candidate import Candidate

WEIGHTS_FILE = Path(__file__).with_name("calibration.json")
SIGNALS = (
    "finder_agrees",
    "finder_labelled",
    "rules_ok",
    "first_submission",
    "in_preamble",
    "model_confirmed",
    "second_read_agrees",
    "second_read_differs",
    # Which kind of field: some are read far more reliably than others (docs/EVAL.md).
    "is_party",
    "is_date",
    "is_duration",
)
FAMILY = {"parties": "is_party", "dates": "is_date", "durations": "is_duration"}
# Finder kind that can confirm each field's value.
FINDER_KIND = {
    "agreement_date": "dates",
    "effective_date": "dates",
    "expiration_date": "dates",
    "term": "durations",
    "renewal_term": "durations",
    "notice_period_to_terminate_renewal": "durations",
    "total_value": "amounts",
    "governing_law": "governing_law",
    "parties": "parties",
}


def name_key(name: str) -> str:
    """A party name by its letters and digits: "ACME, Inc." and "Acme Inc" are one name."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


_NORMALIZE = {
    "dates": normalize.parse_date,
    "durations": normalize.parse_duration,
    "amounts": normalize.parse_money,
    "governing_law": lambda text: (normalize.parse_jurisdiction(text) or "").casefold(),
    "parties": name_key,
}


@functools.cache  # read once per process: every document's confidence needs it
def load_weights(path: Path = WEIGHTS_FILE) -> dict[str, float]:
    return {k: float(v) for k, v in json.loads(path.read_text())["weights"].items()}


def agreeing_candidate(field: str, value: Any, candidates: dict[str, list[Candidate]]) -> Candidate | None:
    """A finder's candidate that reads as the same value, if any."""
    kind = FINDER_KIND.get(field)
    if kind is None:
        return None
    normal = _NORMALIZE[kind]
    mine = normal(value.name) if field == "parties" else value
    if kind == "governing_law":
        mine = str(value).casefold()
    return next((c for c in candidates[kind] if normal(c.value) == mine), None)


def probability(signals: dict[str, bool], weights: dict[str, float]) -> float:
    z = weights["bias"] + sum(weights[name] for name in SIGNALS if signals.get(name))
    return round(1 / (1 + math.exp(-z)), 4)

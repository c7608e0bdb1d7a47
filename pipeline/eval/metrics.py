"""Pair-counting F1 as GEval's MultiLabel-F1 computes it (Kleister's official metric).

Per document and field: gold and predicted values are multisets, matched one-to-one (maximum
bipartite matching, as GEval does, so a wildcard gold value cannot be used twice). Counts are
summed over documents (micro), then per field and over all fields. Like GEval, a ratio with a zero
denominator is 1.0 (no predictions: precision 1.0; no gold: recall 1.0), and F1 with p + r = 0 is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

Match = Callable[[str, str], bool]


@dataclass(frozen=True)
class Counts:
    matched: int = 0
    gold: int = 0
    predicted: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.matched + other.matched, self.gold + other.gold, self.predicted + other.predicted)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def max_match(gold: Sequence[str], predicted: Sequence[str], match: Match) -> int:
    """Size of a maximum one-to-one matching between gold and predicted values (Kuhn's algorithm)."""
    owner: dict[int, int] = {}  # predicted index -> gold index

    def assign(g: int, seen: set[int]) -> bool:
        for p, value in enumerate(predicted):
            if p in seen or not match(gold[g], value):
                continue
            seen.add(p)
            if p not in owner or assign(owner[p], seen):
                owner[p] = g
                return True
        return False

    return sum(assign(g, set()) for g in range(len(gold)))


def count(gold: Sequence[str], predicted: Sequence[str], match: Match) -> Counts:
    return Counts(max_match(gold, predicted, match), len(gold), len(predicted))


def summarize(per_field: Mapping[str, Iterable[Counts]]) -> dict[str, object]:
    """Per-field precision/recall/F1/support, micro F1 over all pairs and macro F1 over fields."""
    totals = {name: sum(counts, Counts()) for name, counts in per_field.items()}
    overall = sum(totals.values(), Counts())
    fields = {
        name: {
            "precision": c.precision,
            "recall": c.recall,
            "f1": c.f1,
            "support": c.gold,
            "predicted": c.predicted,
            "matched": c.matched,
        }
        for name, c in totals.items()
    }
    macro = sum(c.f1 for c in totals.values()) / len(totals) if totals else 0.0
    return {
        "fields": fields,
        "micro_precision": overall.precision,
        "micro_recall": overall.recall,
        "micro_f1": overall.f1,
        "macro_f1": macro,
    }

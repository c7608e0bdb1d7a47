"""Fit the agent's confidence model on eval reports and write pipeline/agent/calibration.json.

    contractflow eval --dataset kleister DIR --out reports/kleister      # with the agent
    .venv/bin/python bench/calibrate.py --dataset kleister reports/kleister [--dataset cuad reports/cuad] \
        [--holdout kleister reports/kleister-held] --write

Each predicted value is one example: its signals (pipeline/agent/confidence.py) and whether the
dataset's own metric counts it right. A logistic model over the signals is fitted by gradient
descent (L2-regularized); AUROC of the confidence, right vs wrong, is printed before and after.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
from pathlib import Path

from pipeline.agent.confidence import SIGNALS, WEIGHTS_FILE, probability
from pipeline.eval.cli import DATASETS
from pipeline.eval.dataset import Dataset, Sample
from pipeline.models import ContractFields, Extraction, FieldValue

Example = tuple[dict[str, bool], float, bool]  # signals, confidence given, right


def _values(fields: ContractFields, names: tuple[str, ...]) -> list[tuple[str, FieldValue[object]]]:
    found: list[tuple[str, FieldValue[object]]] = []
    for name in names:
        item = getattr(fields, name)
        found.extend((name, v) for v in (item if isinstance(item, list) else [item] if item is not None else []))
    return found


def examples(dataset: Dataset, reports: Path) -> list[Example]:
    out: list[Example] = []
    for path in sorted(reports.glob("*.json")):
        report = json.loads(path.read_text())
        if report["extraction"] is None:
            continue
        extraction = Extraction.model_validate(report["extraction"])
        sample = Sample(name=report["file"], path=path, gold=report["gold"], fields=tuple(report["fields"]))
        for name, value in _values(extraction.fields, dataset.source_fields):
            alone = ContractFields.model_validate({name: [value] if name == "parties" else value})
            predicted = dataset.predict(alone, sample)
            right = any(
                dataset.match(g, p)
                for key, values in predicted.items()
                for p in values
                for g in sample.gold.get(key, [])
            )
            out.append((value.signals, value.confidence, right))
    return out


def auroc(scores: list[float], labels: list[bool]) -> float | None:
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def fit(data: list[Example], steps: int = 4000, rate: float = 0.5, l2: float = 0.01) -> dict[str, float]:
    weights = dict.fromkeys(("bias", *SIGNALS), 0.0)
    for _ in range(steps):
        gradient = dict.fromkeys(weights, 0.0)
        for signals, _, right in data:
            z = weights["bias"] + sum(weights[s] for s in SIGNALS if signals.get(s))
            error = 1 / (1 + math.exp(-z)) - right
            gradient["bias"] += error
            for s in SIGNALS:
                gradient[s] += error * bool(signals.get(s))
        for key in weights:
            weights[key] -= rate * (gradient[key] / len(data) + (l2 * weights[key] if key != "bias" else 0))
    return {k: round(v, 4) for k, v in weights.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", action="append", required=True, choices=sorted(DATASETS))
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--holdout", nargs=2, action="append", default=[], metavar=("DATASET", "REPORTS"),
                        help="score the fitted weights on reports kept out of the fit")  # fmt: skip
    parser.add_argument("--write", action="store_true", help=f"write the weights to {WEIGHTS_FILE}")
    args = parser.parse_args()
    data = [
        e for name, folder in zip(args.dataset, args.reports, strict=True) for e in examples(DATASETS[name], folder)
    ]
    labels = [right for _, _, right in data]
    weights = fit(data)
    summary: dict[str, object] = {
        "examples": len(data),
        "right": sum(labels),
        "auroc_before": auroc([c for _, c, _ in data], labels),
        "auroc_after": auroc([probability(signals, weights) for signals, _, _ in data], labels),
        "weights": weights,
    }
    for name, folder in args.holdout:
        held = examples(DATASETS[name], Path(folder))
        held_labels = [right for _, _, right in held]
        summary[f"holdout {folder}"] = {
            "examples": len(held),
            "right": sum(held_labels),
            "auroc_before": auroc([c for _, c, _ in held], held_labels),
            "auroc_fitted": auroc([probability(signals, weights) for signals, _, _ in held], held_labels),
        }
    print(json.dumps(summary, indent=2))
    if args.write:
        source = f"fitted {datetime.date.today()} by bench/calibrate.py on {len(data)} values from " + ", ".join(
            f"{n} ({p})" for n, p in zip(args.dataset, args.reports, strict=True)
        )
        WEIGHTS_FILE.write_text(json.dumps({"source": source, **summary}, indent=2) + "\n")


if __name__ == "__main__":
    main()

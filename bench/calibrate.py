"""Fit the agent's confidence model on eval reports and write pipeline/agent/calibration.json.

    contractflow eval --dataset kleister DIR --out reports/kleister      # with the agent
    .venv/bin/python bench/calibrate.py --dataset kleister reports/kleister [--dataset cuad reports/cuad] \
        [--holdout kleister reports/kleister-held] --write

Each predicted value is one example: its signals (pipeline/agent/confidence.py) and whether the
dataset's own metric counts it right. A logistic model over the signals is fitted by Newton's
method (L2-regularized); AUROC of the confidence, right vs wrong, is printed before and after.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

import numpy as np

from pipeline.agent.confidence import SIGNALS, WEIGHTS_FILE, load_weights, probability
from pipeline.eval.cli import DATASETS
from pipeline.eval.dataset import Dataset, Sample
from pipeline.models import ContractFields, Extraction, FieldValue

Example = tuple[dict[str, bool], float, bool]  # signals, confidence given, right
# L2 penalty per example: chosen by 5-fold cross-validation (by document) on Kleister docs 0-169,
# log loss 0.305 at 0.01, 0.293 at 0.001, 0.291 at 0.0003 and below (docs/EVAL.md).
L2 = 0.0003


def _values(fields: ContractFields, names: tuple[str, ...]) -> list[tuple[str, FieldValue[object]]]:
    return [(name, value) for name in names for value in fields.values_of(name)]


def documents(dataset: Dataset, reports: Path) -> list[list[Example]]:
    """The examples of each document, in the order of its report."""
    return [examples(dataset, path) for path in sorted(reports.glob("*.json"))]


def examples(dataset: Dataset, reports: Path) -> list[Example]:
    """The examples of one report, or of every report in a folder."""
    out: list[Example] = []
    for path in sorted(reports.glob("*.json")) if reports.is_dir() else [reports]:
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


def unseen(data: list[Example]) -> set[str]:
    """Signals no example carries: nothing to fit them on."""
    return {s for s in SIGNALS if not any(signals.get(s) for signals, _, _ in data)}


def fit(
    data: list[Example], prior: dict[str, float], l2: float = L2, steps: int = 50, only: set[str] | None = None
) -> dict[str, float]:
    """Logistic weights by Newton's method (converged, unlike a fixed number of gradient steps), for
    the signals the examples show; a signal none of them carries (e.g. `model_confirmed` in reports of
    the finders alone) keeps its prior weight instead of decaying to 0. The bias is not penalised.

    `only` fits just those signals, the bias and the rest held at their prior weights: a signal only
    some values can carry (a second read) is fitted on reports that have it without refitting the
    weights fitted on many more values."""
    free_bias = only is None
    kept = unseen(data) | (set(SIGNALS) - only if only is not None else set())
    fitted = [s for s in SIGNALS if s not in kept]
    names = ["bias"] * free_bias + fitted
    held = kept | ({"bias"} - set(names))
    x = np.array([[1.0] * free_bias + [float(bool(signals.get(s))) for s in fitted] for signals, _, _ in data])
    y = np.array([float(right) for _, _, right in data])
    offset = np.array([sum(prior[s] for s in held if s == "bias" or signals.get(s)) for signals, _, _ in data])
    penalty = np.diag([0.0] * free_bias + [l2 * len(data)] * len(fitted))
    w = np.zeros(len(names))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + offset)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(len(names))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return {name: round(float(v), 4) for name, v in zip(names, w, strict=True)} | {s: prior[s] for s in held}


def cross_validated(
    docs: list[list[Example]], prior: dict[str, float], only: set[str] | None, folds: int
) -> float | None:
    """AUROC of out-of-fold confidences: each document scored by weights fitted without its fold
    (folds by document, so a contract's values never inform their own score)."""
    scores: list[float] = []
    labels: list[bool] = []
    for k in range(folds):
        weights = fit([e for i, doc in enumerate(docs) if i % folds != k for e in doc], prior, only=only)
        held = [e for i, doc in enumerate(docs) if i % folds == k for e in doc]
        scores += [probability(signals, weights) for signals, _, _ in held]
        labels += [right for _, _, right in held]
    return auroc(scores, labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", action="append", required=True, choices=sorted(DATASETS))
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--holdout", nargs=2, action="append", default=[], metavar=("DATASET", "REPORTS"),
                        help="score the fitted weights on reports kept out of the fit")  # fmt: skip
    parser.add_argument("--only", help="comma-separated signals to fit; the bias and the rest keep their weights")
    parser.add_argument("--folds", type=int, default=0, help="also report AUROC cross-validated by document")
    parser.add_argument("--write", action="store_true", help=f"write the weights to {WEIGHTS_FILE}")
    args = parser.parse_args()
    folders = zip(args.dataset, args.reports, strict=True)
    docs = [doc for name, folder in folders for doc in documents(DATASETS[name], folder)]
    data = [e for doc in docs for e in doc]
    labels = [right for _, _, right in data]
    only = set(args.only.split(",")) if args.only else None
    if only is not None and (unknown := only - set(SIGNALS)):
        parser.error(f"unknown signals: {', '.join(sorted(unknown))}")
    weights = fit(data, prior=load_weights(), only=only)
    summary: dict[str, object] = {
        "examples": len(data),
        "right": sum(labels),
        "auroc_before": auroc([c for _, c, _ in data], labels),
        "auroc_after": auroc([probability(signals, weights) for signals, _, _ in data], labels),
        "weights": weights,
    }
    if args.folds:
        summary[f"auroc_cross_validated_{args.folds}_folds"] = cross_validated(docs, load_weights(), only, args.folds)
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
        if kept := unseen(data):
            source += f"; no value carried {', '.join(sorted(kept))}: prior weight kept"
        WEIGHTS_FILE.write_text(json.dumps({"source": source, **summary}, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Checks across the contracts of one run, compiled with the field rules into one pandera schema.

A run's records become a frame with one row per (contract, party), so "same counterparty" and
"total per counterparty" are plain group-bys. The error-severity field rules that read a single
field become column checks: a posted record that fails one was validated under other rules (a
worker with an older rule set), which the run summary should say.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

import pandas as pd
import pandera.pandas as pa

from pipeline.models import ContractFields
from pipeline.rules import (
    CHECKS,
    SPECS,
    Rule,
    RuleSet,
    Spec,
    fold,
    lint_rules,
    load_rules,
    read_rule_files,
    reads_other_fields,
    value_at,
)
from pipeline.settings import get_settings


class RunRecord(Protocol):
    """What the run summary has per document (`pipeline.runner.Outcome` is one)."""

    id: str
    file: str
    fields: dict[str, Any] | None


@dataclass(frozen=True)
class BatchRule:
    id: str
    check: str
    severity: Literal["error", "warning"]
    fields: tuple[str, ...]
    params: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class BatchViolation:
    rule_id: str
    severity: str
    message: str
    document_ids: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.severity} {self.rule_id}: {self.message}"


BATCH_SPECS: dict[str, Spec] = {
    "duplicate": Spec(),
    "sum_max": Spec(needs=(("group_by",), ("max",))),
}


def lint_all(directory: Path) -> list[Any]:
    """Problems in both the per-contract rules and the batch rules of a folder."""
    return lint_rules(directory, {"rules": SPECS, "batch": BATCH_SPECS})


def load_batch_rules(directory: Path) -> tuple[BatchRule, ...]:
    rules = []
    for file in read_rule_files(directory):
        for entry in file.entries("batch"):
            field = entry["field"]
            rules.append(
                BatchRule(
                    id=entry["id"],
                    check=entry["check"],
                    severity=entry.get("severity", "error"),
                    fields=tuple(field) if isinstance(field, list) else (field,),
                    params={
                        k: v for k, v in entry.items() if k not in {"id", "check", "severity", "field", "description"}
                    },
                    description=entry.get("description", ""),
                )
            )
    return tuple(rules)


def _key(value: Any) -> Any:
    return fold(value) if isinstance(value, str) else value


def _party_rows(record: RunRecord, paths: set[str]) -> list[dict[str, Any]]:
    fields = _typed(record.fields or {})
    names = value_at(fields, "parties.name") or [None]
    base = {path: value_at(fields, path) for path in paths if not path.startswith("parties.")}
    base |= {"document_id": record.id, "file": record.file, "_fields": fields}
    return [base | {"parties.name": name} for name in names]


def _typed(plain: dict[str, Any]) -> ContractFields:
    """Typed fields back from a record's plain values (dates, amounts), for the same checks as validation."""
    wrapped: dict[str, Any] = {k: {"value": v} for k, v in plain.items() if v is not None and k != "parties"}
    wrapped["parties"] = [{"value": party} for party in plain.get("parties", [])]
    return ContractFields.model_validate(wrapped)


def _by_key(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per contract and key (the folded values of `columns`), without rows missing a part."""
    keys = frame[columns].map(_key)
    complete = keys.notna().all(axis=1)
    if not complete.any():
        return frame.iloc[0:0].assign(_key=None)
    keyed = frame[complete].assign(_key=[tuple(row) for row in keys[complete].itertuples(index=False)])
    return keyed.drop_duplicates(subset=["document_id", "_key"])


def _duplicate_groups(rule: BatchRule, frame: pd.DataFrame) -> list[pd.DataFrame]:
    keyed = _by_key(frame, list(rule.fields))
    groups: dict[frozenset[str], pd.DataFrame] = {}
    for _, group in keyed.groupby("_key"):
        # Two contracts that share both parties clash on each: one finding.
        if group["document_id"].nunique() > 1:
            groups.setdefault(frozenset(group["document_id"]), group)
    return list(groups.values())


def _total(rule: BatchRule, group: pd.DataFrame) -> Decimal:
    return sum(group[rule.fields[0]], Decimal(0))


def _over_limit_groups(rule: BatchRule, frame: pd.DataFrame) -> list[pd.DataFrame]:
    keyed = _by_key(frame[frame[rule.fields[0]].notna()], list(rule.params["group_by"]))
    limit = Decimal(str(rule.params["max"]))
    return [group for _, group in keyed.groupby("_key") if _total(rule, group) > limit]


def _message(rule: BatchRule, group: pd.DataFrame) -> str:
    files = ", ".join(sorted(set(group["file"])))
    first = group.iloc[0]
    if rule.check == "duplicate":
        return f"{files} agree on " + ", ".join(f"{path} {first[path]}" for path in rule.fields)
    what = " ".join(str(first[path]) for path in rule.params["group_by"])
    return f"{what}: {rule.fields[0]} adds up to {_total(rule, group)} over {files}, above {rule.params['max']}"


# Each batch check finds the groups of rows that break it.
BATCH_CHECKS: dict[str, Callable[[BatchRule, pd.DataFrame], list[pd.DataFrame]]] = {
    "duplicate": _duplicate_groups,
    "sum_max": _over_limit_groups,
}


def _frame_check(rule: BatchRule) -> pa.Check:
    def passes(frame: pd.DataFrame) -> pd.Series:
        offending = {d for group in BATCH_CHECKS[rule.check](rule, frame) for d in group["document_id"]}
        return ~frame["document_id"].isin(offending)

    return pa.Check(passes, name=rule.id)


def _column_check(rule: Rule, rules: RuleSet) -> pa.Check:
    empty = ContractFields()  # single-field checks never read the other fields
    return pa.Check(
        lambda value: CHECKS[rule.check](value, rule, rules, empty) is None,
        element_wise=True,
        ignore_na=False,
        name=rule.id,
    )


def compile_schema(rules: RuleSet, batch: Sequence[BatchRule]) -> pa.DataFrameSchema:
    """Error-severity single-field rules as column checks, batch rules as frame checks."""
    columns: dict[str, list[pa.Check]] = {}
    for rule in rules.rules:
        if rule.severity == "error" and not reads_other_fields(rule) and not rule.field.startswith("parties"):
            columns.setdefault(rule.field, []).append(_column_check(rule, rules))
    return pa.DataFrameSchema(
        {path: pa.Column(object, checks, nullable=True, required=False) for path, checks in columns.items()},
        checks=[_frame_check(rule) for rule in batch],
    )


def check_batch(records: Sequence[RunRecord], directory: Path | None = None) -> list[BatchViolation]:
    """Violations across a run's records (those with fields), for a rule folder (default: settings)."""
    directory = directory or get_settings().rules_dir
    rules, batch = load_rules(directory), load_batch_rules(directory)
    paths = {rule.field for rule in rules.rules}
    paths |= {path for rule in batch for path in (*rule.fields, *rule.params.get("group_by", ()))}
    rows = [row for record in records if record.fields is not None for row in _party_rows(record, paths)]
    if not rows:
        return []
    frame = pd.DataFrame(rows, dtype=object)
    try:
        compile_schema(rules, batch).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        failed = exc.failure_cases.dropna(subset=["index"])
        return _violations(rules, batch, frame, failed)
    return []


def _violations(
    rules: RuleSet, batch: Sequence[BatchRule], frame: pd.DataFrame, failed: pd.DataFrame
) -> list[BatchViolation]:
    """One violation per offending group of a batch rule, and per failing contract of a field rule."""
    names = set(failed["check"])
    violations = [
        BatchViolation(rule.id, rule.severity, _message(rule, group), tuple(sorted(set(group["document_id"]))))
        for rule in batch
        if rule.id in names
        for group in BATCH_CHECKS[rule.check](rule, frame)
    ]
    for rule in rules.rules:
        rows = frame.loc[sorted(set(failed.loc[failed["check"] == rule.id, "index"]))].drop_duplicates("document_id")
        for _, row in rows.iterrows():
            message = CHECKS[rule.check](row[rule.field], rule, rules, row["_fields"])
            violations.append(
                BatchViolation(rule.id, rule.severity, f"{row['file']}: {message}", (row["document_id"],))
            )
    return violations

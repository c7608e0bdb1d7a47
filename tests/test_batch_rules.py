"""Checks across a run, through the pandera schema compiled from rules/ (batch.yaml and field rules)."""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.batch_rules import check_batch, compile_schema, load_batch_rules
from pipeline.rules import load_rules
from tests.conftest import ROOT, SAMPLES
from tests.fake_openai import load_expected

EXPECTED = load_expected(SAMPLES)
RULES = ROOT / "rules"


@dataclass
class Record:
    id: str
    file: str
    fields: dict[str, Any] | None


def posted_samples() -> list[Record]:
    return [
        Record(stem, f"{stem}.pdf", copy.deepcopy(e["fields"]))
        for stem, e in EXPECTED.items()
        if e["status"] == "posted"
    ]


def test_rules_compile_to_one_pandera_schema() -> None:
    schema = compile_schema(load_rules(RULES), load_batch_rules(RULES))
    assert "effective_date" in schema.columns and "total_value.amount" in schema.columns
    assert {check.name for check in schema.checks} == {"duplicate-contract", "counterparty-total-over-limit"}
    # Warnings are already attached to each record; cross-field rules need the whole contract.
    assert "expiration_date" not in schema.columns and "payment_terms" not in schema.columns


def test_the_posted_samples_make_a_clean_batch() -> None:
    assert check_batch(posted_samples(), RULES) == []


def test_same_counterparty_date_and_value_twice_is_one_duplicate_finding() -> None:
    records = posted_samples()
    again = Record("copy", "copy-of-01.pdf", copy.deepcopy(records[0].fields))
    again.fields["title"] = "Master Services Agreement (signed copy)"  # not a key field
    violations = check_batch([*records, again, Record("failed", "broken.pdf", None)], RULES)
    assert [(v.rule_id, v.severity, v.document_ids) for v in violations] == [
        ("duplicate-contract", "error", tuple(sorted([records[0].id, "copy"])))
    ]
    assert "copy-of-01.pdf" in violations[0].message and "effective_date 2025-03-01" in violations[0].message


def test_a_different_value_is_not_a_duplicate() -> None:
    records = posted_samples()
    other = Record("other", "other.pdf", copy.deepcopy(records[0].fields))
    other.fields["total_value"]["amount"] = "1.00"
    assert check_batch([*records, other], RULES) == []


def test_total_per_counterparty_over_the_limit_names_the_counterparty() -> None:
    base = next(r for r in posted_samples() if r.id.startswith("05_"))
    second = Record("second", "second-lease.pdf", copy.deepcopy(base.fields))
    second.fields["effective_date"] = "2025-07-01"  # another contract, not a duplicate
    violations = check_batch([base, second], RULES)
    assert {v.rule_id for v in violations} == {"counterparty-total-over-limit"}
    assert len(violations) == 2  # each of the two parties is over
    assert any(
        m.startswith("Ironbridge Fabrication Co. USD: total_value.amount adds up to 4900000.00")
        for m in [v.message for v in violations]
    )


def test_a_posted_record_breaking_a_field_rule_is_reported(tmp_path: Path) -> None:
    """E.g. posted by a worker that still had an older rule set."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    with (rules / "contract.yaml").open("a") as handle:
        handle.write("\n  - id: eur-only\n    check: in_list\n    field: total_value.currency\n    values: [EUR]\n")
    violations = check_batch(posted_samples(), rules)
    assert {v.rule_id for v in violations} == {"eur-only"}
    assert all(v.message.endswith("not in the allowed values") for v in violations)
    not_eur = [r for r in posted_samples() if (r.fields["total_value"] or {"currency": "EUR"})["currency"] != "EUR"]
    assert sorted(v.document_ids[0] for v in violations) == sorted(r.id for r in not_eur) and not_eur


@pytest.mark.parametrize("records", [[], [Record("x", "x.pdf", None)]])
def test_nothing_to_check(records: list[Record]) -> None:
    assert check_batch(records, RULES) == []

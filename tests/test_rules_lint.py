"""`contractflow rules check`: every problem an analyst can make, reported with file, line and rule id."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.batch_rules import lint_all
from pipeline.cli import app
from tests.conftest import ROOT

BROKEN = """\
rules:
  - id: ok
    check: required
    field: title

  - id: typo-check
    check: requierd
    field: title

  - id: typo-field
    check: required
    field: efective_date

  - id: no-list
    check: in_list
    field: governing_law
    list: missing.csv

  - id: bad-regex
    check: pattern
    field: payment_terms
    pattern: "Net (\\\\d+"

  - id: bad-severity
    check: required
    field: title
    severity: fatal

  - id: ok
    check: required
    field: effective_date

  - id: no-other
    check: after
    field: expiration_date
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", folder)
    (folder / "broken.yaml").write_text(BROKEN)
    return folder


def test_each_problem_points_at_file_line_and_rule(rules_dir: Path) -> None:
    found = [str(problem) for problem in lint_all(rules_dir)]
    where = f"{rules_dir / 'broken.yaml'}"
    assert found == [
        f"{where}:7: rule 'typo-check': unknown check 'requierd' (known: " + found[0].split("(known: ")[1],
        f"{where}:12: rule 'typo-field': unknown field path 'efective_date' (known: " + found[1].split("(known: ")[1],
        f"{where}:17: rule 'no-list': missing list file 'missing.csv' in {rules_dir}",
        f"{where}:22: rule 'bad-regex': bad regex 'Net (\\\\d+': missing ), unterminated subpattern at position 4",
        f"{where}:27: rule 'bad-severity': bad severity 'fatal' (use error or warning)",
        f"{where}:29: rule 'ok': duplicate id, first in broken.yaml:2",
        f"{where}:34: rule 'no-other': check 'after' needs 'other'",
    ]
    assert "effective_date" in found[1] and "required" in found[0]


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("rules:\n  - id: a\n    check: [required\n")
    [problem] = lint_all(tmp_path)
    assert problem.line == 4 and "not valid YAML" in problem.message


def test_batch_rules_are_linted_too(tmp_path: Path) -> None:
    (tmp_path / "batch.yaml").write_text(
        "batch:\n  - id: totals\n    check: sum_max\n    field: total_value.amount\n    group_by: [counterparty]\n"
    )
    messages = [f"{p.line} {p.message}" for p in lint_all(tmp_path)]
    assert messages[0].startswith("5 unknown field path 'counterparty'")
    assert messages[1] == "3 check 'sum_max' needs 'max'"


def test_cli_exits_1_on_problems_and_0_on_the_shipped_rules(rules_dir: Path) -> None:
    bad = CliRunner().invoke(app, ["rules", "check", str(rules_dir)])
    assert bad.exit_code == 1
    assert "broken.yaml:7: rule 'typo-check': unknown check" in bad.stdout
    good = CliRunner().invoke(app, ["rules", "check", str(ROOT / "rules")])
    assert good.exit_code == 0, good.stdout

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.models import ContractFields, Duration, FieldValue, Money, Party
from pipeline.rules import RuleFileError, RuleSet, evaluate, load_rules

RULES = load_rules(Path(__file__).resolve().parent.parent / "rules")


def fields(**overrides: object) -> ContractFields:
    base: dict[str, object] = {
        "parties": [
            FieldValue[Party](value=Party(name="Northwind Analytics, Inc.")),
            FieldValue[Party](value=Party(name="Larkspur Data Systems LLC")),
        ],
        "effective_date": FieldValue[date](value=date(2025, 1, 1)),
        "expiration_date": FieldValue[date](value=date(2026, 1, 1)),
        "governing_law": FieldValue[str](value="New York"),
        "total_value": FieldValue[Money](value=Money(amount=Decimal("1000"), currency="USD")),
        "payment_terms": FieldValue[str](value="Net 30"),
    }
    base.update(overrides)
    return ContractFields.model_validate(base)


def rule_ids(contract: ContractFields, rules: RuleSet = RULES) -> set[str]:
    return {v.rule_id for v in evaluate(contract, rules)}


def test_clean_contract_passes_every_rule() -> None:
    assert rule_ids(fields()) == set()
    assert len(RULES.rules) >= 5 and len(RULES.version) == 12


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"parties": [FieldValue[Party](value=Party(name="Northwind Analytics Inc"))]}, "parties-min-two"),
        (
            {"parties": [FieldValue[Party](value=Party(name=n)) for n in ("Northwind Analytics Inc.", "Acme Corp.")]},
            "counterparty-approved",
        ),
        ({"effective_date": FieldValue[date](value=date(1985, 1, 1))}, "effective-date-plausible"),
        ({"total_value": FieldValue[Money](value=Money(amount=Decimal(0), currency="USD"))}, "value-positive"),
        ({"payment_terms": FieldValue[str](value="upon delivery")}, "payment-terms-standard"),
        ({"contract_type": FieldValue[str](value="Joint Venture")}, "contract-type-known"),
        ({"effective_date": None}, "effective-date-required"),
        ({"expiration_date": FieldValue[date](value=date(2024, 1, 1))}, "expiration-after-effective"),
        ({"total_value": FieldValue[Money](value=Money(amount=Decimal(1), currency="XYZ"))}, "currency-iso4217"),
        ({"governing_law": FieldValue[str](value="Cayman Islands")}, "governing-law-allowed"),
        ({"total_value": None}, "value-with-payment-terms"),
        (
            {"total_value": FieldValue[Money](value=Money(amount=Decimal(2_000_000), currency="USD"))},
            "value-over-approval-limit",
        ),
        (
            {
                "renewal_term": FieldValue[Duration](value=Duration(amount=1, unit="month")),
                "notice_period_to_terminate_renewal": FieldValue[Duration](value=Duration(amount=60, unit="day")),
            },
            "notice-shorter-than-renewal",
        ),
    ],
)
def test_each_rule_fires_on_its_case(overrides: dict[str, object], rule: str) -> None:
    assert rule_ids(fields(**overrides)) == {rule}


def test_the_agreement_date_serves_as_start_date_when_no_effective_date_is_stated() -> None:
    made = FieldValue[date](value=date(2025, 1, 2))
    assert rule_ids(fields(effective_date=None, agreement_date=made)) == set()
    (violation,) = evaluate(fields(effective_date=None, agreement_date=None), RULES)
    assert violation.message == "effective_date is missing, and so is agreement_date"
    assert violation.fields == ["effective_date", "agreement_date"]


def test_place_with_country_suffix_is_allowed() -> None:
    assert rule_ids(fields(governing_law=FieldValue[str](value="Ontario, Canada"))) == set()


def test_severity_is_data() -> None:
    violations = evaluate(
        fields(total_value=FieldValue[Money](value=Money(amount=Decimal("5e6"), currency="USD"))), RULES
    )
    assert [v.severity for v in violations] == ["warning"]


def test_unknown_check_is_refused_with_file_line_and_rule(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("rules:\n  - id: typo\n    check: requierd\n    field: title\n")
    with pytest.raises(RuleFileError, match=r"bad.yaml:3: rule 'typo': unknown check 'requierd'"):
        load_rules(tmp_path)


def test_names_compare_without_case_punctuation_or_a_leading_the() -> None:
    parties = [
        FieldValue[Party](value=Party(name=n)) for n in ("the NORTHWIND analytics inc", "Larkspur Data Systems, LLC")
    ]
    assert rule_ids(fields(parties=parties)) == set()


def test_type_pattern_and_inline_list_checks_from_a_rule_file(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "rules:\n"
        "  - {id: title-is-date, check: type, field: title, type: date, severity: warning}\n"
        "  - {id: law-code, check: pattern, field: governing_law, pattern: '[A-Z]{2}'}\n"
        "  - {id: usd-only, check: in_list, field: total_value.currency, values: [usd]}\n"
        "  - {id: recent, check: range, field: effective_date, min: 2025-06-01, max: 2030-01-01}\n"
    )
    rules = load_rules(tmp_path)
    contract = fields(title=FieldValue[str](value="MSA"))
    assert {v.rule_id: v.severity for v in evaluate(contract, rules)} == {
        "title-is-date": "warning",
        "law-code": "error",
        "recent": "error",
    }
    assert rule_ids(fields(governing_law=FieldValue[str](value="NY"), effective_date=None), rules) == set()


def test_version_changes_with_a_list_file(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parent.parent / "rules"
    for path in source.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    before = load_rules(tmp_path).version
    with (tmp_path / "jurisdictions.csv").open("a") as handle:
        handle.write("Cayman Islands,country\n")
    after = load_rules(tmp_path)
    assert after.version != before
    assert rule_ids(fields(governing_law=FieldValue[str](value="Cayman Islands")), after) == set()

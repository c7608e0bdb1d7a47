"""Hand-computed scores and the normalization rules of docs/EVAL.md."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.eval.cuad import WILDCARD, Cuad, gold_date, gold_duration, gold_parties, gold_values, to_cuad
from pipeline.eval.dataset import Sample
from pipeline.eval.kleister import Kleister, parse_expected, to_kleister
from pipeline.eval.metrics import Counts, count, max_match, summarize
from pipeline.eval.normalize import duration_key, party_key
from pipeline.models import ContractFields, Duration, FieldValue, Party
from pipeline.places import jurisdiction_name

KLEISTER = Kleister()


def kleister_counts(gold_line: str, predicted: dict[str, list[str]]) -> Counts:
    gold = parse_expected(gold_line)
    return sum((count(gold[k], predicted.get(k, []), KLEISTER.match) for k in gold), Counts())


def test_kleister_micro_f1_with_repeated_keys_and_a_decoy() -> None:
    # Doc 1: date right, one of two parties (case-insensitive), a term for a decoy key (no gold term).
    first = kleister_counts(
        "effective_date=2020-01-01 party=Acme_Inc. party=Bolt_LLC",
        {"effective_date": ["2020-01-01"], "party": ["ACME_INC.", "Crane_Co."], "term": ["2_years"]},
    )
    # Doc 2: the gold repeats a party; one prediction can match only one of the copies.
    second = kleister_counts("jurisdiction=New_York party=Xeno_Corp. party=Xeno_Corp.", {
        "jurisdiction": ["new_york"], "party": ["Xeno_Corp."],
    })  # fmt: skip
    assert first == Counts(matched=2, gold=3, predicted=4)
    assert second == Counts(matched=2, gold=3, predicted=2)
    total = first + second
    assert (total.precision, total.recall) == (4 / 6, 4 / 6)
    assert total.f1 == pytest.approx(2 / 3)


def test_geval_zero_denominators() -> None:
    assert Counts(0, 0, 0).f1 == 1.0  # nothing expected, nothing given
    assert (Counts(0, 2, 0).precision, Counts(0, 2, 0).f1) == (1.0, 0.0)  # silence is not rewarded
    assert Counts(0, 0, 1).f1 == 0.0  # a value for a decoy key


def test_a_wildcard_matches_once() -> None:
    assert max_match(["*", "a"], ["a"], Cuad().match) == 1
    assert max_match(["*", "a"], ["a", "b"], Cuad().match) == 2


def test_summarize_micro_and_macro() -> None:
    result = summarize({"x": [Counts(1, 1, 1)], "y": [Counts(0, 1, 1), Counts(0, 0, 0)]})
    assert result["micro_f1"] == pytest.approx(0.5)
    assert result["macro_f1"] == pytest.approx(0.5)  # (1.0 + 0.0) / 2
    assert result["fields"]["y"]["support"] == 1  # type: ignore[index]


def test_kleister_adapter_writes_the_gold_forms() -> None:
    fields = ContractFields(
        agreement_date=FieldValue[date](value=date(2011, 7, 13)),  # no effective date: the date it was made
        governing_law=FieldValue[str](value="the laws of the State of New York"),
        parties=[
            FieldValue[Party](value=Party(name="Leonard Green & Partners, L.P.")),
            FieldValue[Party](value=Party(name="Kite Pharma, Inc")),
            FieldValue[Party](value=Party(name="KITE PHARMA, INC")),  # a repeat is one prediction
        ],
        term=FieldValue[Duration](value=Duration(amount=1, unit="year")),
    )
    assert to_kleister(fields) == {
        "effective_date": ["2011-07-13"],
        "jurisdiction": ["New_York"],
        "party": ["Leonard_Green_and_Partners_LP", "Kite_Pharma_Inc."],
        "term": ["1_year"],
    }
    perpetual = ContractFields(term=FieldValue[Duration](value=Duration(perpetual=True)))
    assert to_kleister(perpetual)["term"] == []


def test_kleister_answers_only_the_keys_the_split_asks_for() -> None:
    fields = ContractFields(
        governing_law=FieldValue[str](value="Oregon"), parties=[FieldValue[Party](value=Party(name="Nike, Inc."))]
    )
    sample = Sample(name="a.pdf", path=None, gold={}, fields=("jurisdiction",))  # type: ignore[arg-type]
    assert KLEISTER.predict(fields, sample) == {
        "effective_date": [], "jurisdiction": ["Oregon"], "party": [], "term": [],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("7/11/06", "2006-07-11"),
        ("12/21/35", "2035-12-21"),
        ("6/21/99", "1999-06-21"),
        ("03/[]/1999", "1999-03-??"),
        ("[]/[]/2020", "2020-??-??"),
        ("12/01/[]", "????-12-01"),
        ("[]/[]/[][]", "????-??-??"),
        ("31/01/2025", "2025-01-31"),  # day first
        ("perpetual", "perpetual"),
        ("soon", None),
    ],
)
def test_cuad_dates(label: str, expected: str | None) -> None:
    assert gold_date(label) == expected


def test_cuad_unknown_date_parts_compare_on_known_parts() -> None:
    match = Cuad().match
    assert match("2020-??-??", "2020-06-01")
    assert not match("2020-??-??", "2019-06-01")
    assert match("????-??-??", "1999-01-01")
    assert not match("2020-??-??", "perpetual")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("successive 1 year", "12 months"),
        ("12 Months", "12 months"),
        ("3 successive 1 year", "12 months"),
        ("four successive 10 years", "120 months"),
        ("4 years, 6 months", "54 months"),
        ("60) days", "60 days"),
        ("6 weeks", "42 days"),
        ("perpetual", "perpetual"),
        ("[]", WILDCARD),
        ("", None),
    ],
)
def test_cuad_durations(label: str, expected: str | None) -> None:
    assert gold_duration(label) == expected


def test_predicted_durations_share_the_canonical_units() -> None:
    assert duration_key(Duration(amount=1, unit="year")) == "12 months"
    assert duration_key(Duration(amount=2, unit="week")) == "14 days"
    assert duration_key(Duration(perpetual=True)) == "perpetual"


def test_party_names_ignore_case_punctuation_and_legal_suffixes() -> None:
    assert party_key("The Boxlot Company") == party_key("BOXLOT CO.") == "boxlot"
    assert party_key("Empirical Ventures, Inc") == party_key("Empirical Ventures Corporation")
    assert party_key("AT&T Mobility LLC") == "at and t mobility"
    assert party_key("Company") == "company"  # never stripped to nothing
    assert party_key("Eurofarma Laborat\u00f3rios S.A.") == party_key("EUROFARMA LABORATORIOS")  # accents dropped


def test_cuad_parties_drop_role_definitions_and_group_names() -> None:
    label = (
        'Commnet Wireless, LLC ("Vendor"); AT&T Mobility LLC ("AT&T") ("Party" or in the plural as the "Parties"); '
        "CytoDyn and Vyera (\u201cParty\u201d and collectively as the \u201cParties.\u201d); "
        'Bunker One (USA) Inc. ("Bunker One"); Sekisui Diagnostics, LLC and its Affiliates ("Sekisui"); [] ("Licensee")'
    )
    assert gold_parties(label) == ["commnet wireless", "at and t mobility", "bunker one usa", "sekisui diagnostics"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the laws of the State of New York, USA", "New York"),
        ("Ontario, Canada", "Ontario"),
        ("People's Republic of China", "China"),
        ("England and Wales", "England"),
        ("Arkansas", "Arkansas"),
        ("Commonwealth of Massachusetts", "Massachusetts"),
        ("Republic of Narnia", "Narnia"),
    ],
)
def test_governing_law_names(text: str, expected: str) -> None:
    assert jurisdiction_name(text) == expected


def test_cuad_governing_law_label_with_several_places() -> None:
    assert gold_values("Governing Law", "Texas; Singapore; Belgium") == ["Texas", "Singapore", "Belgium"]


def test_cuad_expiration_from_start_and_term() -> None:
    start = FieldValue[date](value=date(2014, 2, 10))
    five_years = FieldValue[Duration](value=Duration(amount=5, unit="year"))
    assert to_cuad(ContractFields(effective_date=start, term=five_years))["Expiration Date"] == ["2019-02-10"]
    perpetual = FieldValue[Duration](value=Duration(perpetual=True))
    assert to_cuad(ContractFields(term=perpetual))["Expiration Date"] == ["perpetual"]

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipeline.models import Duration
from pipeline.normalize import (
    parse_bool,
    parse_date,
    parse_duration,
    parse_jurisdiction,
    parse_money,
    says_nothing,
    supports,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 1, 2025", date(2025, 3, 1)),
        ("1st day of March, 2025", date(2025, 3, 1)),
        ("the 15th day of January 2024", date(2024, 1, 15)),
        ("2025-03-01", date(2025, 3, 1)),
        ("6th of February, 1999", date(1999, 2, 6)),
        ("December 11,2014", date(2014, 12, 11)),
        ("March 2025", None),  # no day: unknown, not the 1st
        ("sometime soon", None),
        ("January 1, 1066", None),
    ],
)
def test_dates(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thirty-six (36) months", Duration(amount=36, unit="month")),
        ("an initial term of three years", Duration(amount=3, unit="year")),
        ("successive one (1) year periods", Duration(amount=1, unit="year")),
        ("ninety (90) days prior", Duration(amount=90, unit="day")),
        ("in perpetuity", Duration(perpetual=True)),
        ("until terminated", Duration(perpetual=True)),  # no fixed end
        ("two (2) years or until terminated", Duration(amount=2, unit="year")),
        ("until then", None),
    ],
)
def test_durations(text: str, expected: Duration | None) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("USD 120,000.00", "120000.00", "USD"),
        ("$120,000", "120000.00", "USD"),
        ("EUR 45,500", "45500.00", "EUR"),
        ("2.5 million dollars", "2500000.00", "USD"),
        ("C$ 10,000", "10000.00", "CAD"),
    ],
)
def test_money(text: str, amount: str, currency: str) -> None:
    money = parse_money(text)
    assert money is not None
    assert (money.amount, money.currency) == (Decimal(amount), currency)


def test_money_needs_a_currency() -> None:
    assert parse_money("120,000") is None


def test_jurisdiction_and_bool() -> None:
    assert parse_jurisdiction("the laws of the State of New York") == "New York"
    assert parse_jurisdiction("Commonwealth of Massachusetts") == "Massachusetts"
    assert parse_bool("yes") is True
    assert parse_bool("no") is False
    assert parse_bool("maybe") is None


@pytest.mark.parametrize(
    ("text", "nothing"), [("not stated", True), ("N/A", True), ("no", True), ("", True), ("Net 30", False)]
)
def test_placeholders_a_model_writes_for_null(text: str, nothing: bool) -> None:
    assert says_nothing(text) is nothing


def test_an_open_ended_term_is_stated_by_its_clause() -> None:
    assert supports("the term continues in perpetuity, unless terminated", "perpetual", parse_duration)
    assert supports("shall remain in effect until terminated by either Party", "perpetual", parse_duration)
    assert not supports("a perpetual, irrevocable license", "perpetual", parse_duration)

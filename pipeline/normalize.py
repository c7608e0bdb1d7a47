"""Turn values as written in a contract into typed values; each returns None when it cannot.

Deterministic on purpose: the model copies text, code decides what it means.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from dateutil import parser as dateparser

from pipeline.models import Duration, DurationUnit, Money
from pipeline.places import jurisdiction_name

_ORDINAL_DAY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+day\s+of\s+", re.I)
_ORDINAL_SUFFIX = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.I)
_SENTINEL = datetime(1, 1, 1)


def parse_date(text: str) -> date | None:
    cleaned = _ORDINAL_SUFFIX.sub(r"\1", _ORDINAL_DAY.sub(r"\1 ", text)).strip(" .,").replace(",", ", ")
    try:
        # Two defaults reveal a part the text does not give: it differs between the two parses.
        first = dateparser.parse(cleaned, default=_SENTINEL, fuzzy=True)
        second = dateparser.parse(cleaned, default=datetime(2, 2, 2), fuzzy=True)
    except (ValueError, OverflowError):
        return None
    if first != second or not 1900 <= first.year <= 2200:
        return None
    return first.date()


NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "a": 1, "an": 1,
}  # fmt: skip
_UNIT = r"(day|week|month|year)s?"
_DIGITS_UNIT = re.compile(r"\(?(\d{1,4})\)?\s*(?:-\s*)?(?:calendar\s+|business\s+)?" + _UNIT, re.I)
_WORDS_UNIT = re.compile(r"\b((?:[a-z]+[\s-]){0,2}?[a-z]+)[\s-]+(?:calendar\s+|business\s+)?" + _UNIT, re.I)
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10,
}  # fmt: skip
_ORDINAL = rf"(?:{'|'.join(ORDINAL_WORDS)}|\d{{1,2}}(?:st|nd|rd|th))(?:\s*\(\d{{1,2}}(?:st|nd|rd|th)?\))?"
# "until the second (2nd) anniversary of the date hereof": a term of two years.
_ANNIVERSARY = re.compile(rf"\b({_ORDINAL})\s+anniversary\b", re.I)
_PERPETUAL = re.compile(r"\b(perpetu|indefinite|in perpetuity|no fixed term)", re.I)
# How a contract says it lasts with no fixed end: "shall continue in effect until terminated".
_OPEN_ENDED = re.compile(
    r"\b(?:in\s+perpetuity|indefinitely|for\s+an\s+indefinite\s+(?:term|period)|until\s+(?:terminated|termination)\b)",
    re.I,
)


def _words_to_int(words: str) -> int | None:
    total = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word not in NUMBER_WORDS:
            total = 0  # words before the number ("an initial") reset the count
            continue
        total = total * 100 if word == "hundred" and total else total + NUMBER_WORDS[word]
    return total or None


def parse_duration(text: str) -> Duration | None:
    if _PERPETUAL.search(text):
        return Duration(perpetual=True)
    unit: DurationUnit
    if match := _DIGITS_UNIT.search(text):
        unit = match.group(2).lower()  # type: ignore[assignment]
        return Duration(amount=int(match.group(1)), unit=unit)
    if (match := _WORDS_UNIT.search(text)) and (amount := _words_to_int(match.group(1))):
        unit = match.group(2).lower()  # type: ignore[assignment]
        return Duration(amount=amount, unit=unit)
    if match := _ANNIVERSARY.search(text):
        ordinal = match.group(1).lower()
        return Duration(amount=ORDINAL_WORDS.get(ordinal) or int(re.sub(r"\D", "", ordinal)), unit="year")
    if _OPEN_ENDED.search(text):  # after the counts: "two years or until terminated" is two years
        return Duration(perpetual=True)
    return None


_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}
_CURRENCY_WORDS = {"dollar": "USD", "euro": "EUR", "pound": "GBP", "yen": "JPY", "franc": "CHF"}
_CODE = re.compile(r"\b([A-Z]{3})\b")
_AMOUNT = re.compile(r"(\d{1,3}(?:[,\s]\d{3})+|\d+)(\.\d+)?\s*(million|thousand|billion|m|k)?\b", re.I)
_SCALE = {"thousand": 1000, "k": 1000, "million": 10**6, "m": 10**6, "billion": 10**9}
_PREFIXED_DOLLAR = re.compile(r"\b(US|C|A|CA|AU|NZ|HK|S)\$")
_DOLLAR_CODES = {"US": "USD", "C": "CAD", "CA": "CAD", "A": "AUD", "AU": "AUD", "NZ": "NZD", "HK": "HKD", "S": "SGD"}


def _currency(text: str) -> str | None:
    if match := _PREFIXED_DOLLAR.search(text):
        return _DOLLAR_CODES[match.group(1)]
    if match := _CODE.search(text):
        return match.group(1)
    for symbol, code in _SYMBOLS.items():
        if symbol in text:
            return code
    lowered = text.lower()
    return next((code for word, code in _CURRENCY_WORDS.items() if word in lowered), None)


def parse_money(text: str) -> Money | None:
    match = _AMOUNT.search(text)
    currency = _currency(text)
    if match is None or currency is None:
        return None
    try:
        amount = Decimal(re.sub(r"[,\s]", "", match.group(1)) + (match.group(2) or ""))
    except InvalidOperation:
        return None
    if scale := match.group(3):
        amount *= _SCALE[scale.lower()]
    return Money(amount=amount.quantize(Decimal("0.01")), currency=currency)


def parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in {"yes", "true", "y"} or lowered.startswith("automatic"):
        return True
    if lowered in {"no", "false", "n", "none"} or lowered.startswith("not "):
        return False
    return None


def parse_jurisdiction(text: str) -> str | None:
    """One canonical name for the most specific known place ("the laws of the State of New York" ->
    "New York"), so rules' allow-lists and the ERP see one spelling."""
    return jurisdiction_name(text)


_NOTHING = re.compile(
    r"(?:no|n/?a|none|null|nil|unknown|not\s+(?:stated|specified|mentioned|applicable|found|given))\.?", re.I
)


def says_nothing(text: str) -> bool:
    """Small models write "not stated" (or "no") where the schema wants null: an absent value.
    Not for yes/no fields, where "no" is the value."""
    return not text.strip() or bool(_NOTHING.fullmatch(text.strip()))


def clean_text(text: str) -> str | None:
    return " ".join(text.split()) or None


# Where values stand in running text: finders search with these, and the support check below.
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
DATE_PATTERN = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:\s?(?:st|nd|rd|th))?(?:\s*,\s*|\s+)\d{{4}}"  # "April 6th , 2005", "May 9 th,2014"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:day\s+of\s+|of\s+)?{_MONTH}\s*,?\s+\d{{4}}"  # "6th (day) of May , 2011"
    r"|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}([/.-])\d{1,2}\1\d{2,4})\b",  # "3/26/01", "3.26.01", "5-11-09"
    re.I,
)
_WORD = "|".join(w for w in NUMBER_WORDS if len(w) > 2)
_NUMBER = rf"(?:\d{{1,4}}|(?:{_WORD})(?:[\s-](?:{_WORD}))?)(?:\s*\(\d{{1,4}}\))?"
DURATION_PATTERN = re.compile(
    rf"\b{_NUMBER}[\s-]+(?:calendar\s+|business\s+)?(?:day|week|month|year)s?\b|{_ANNIVERSARY.pattern}"
    rf"|{_OPEN_ENDED.pattern}",
    re.I,
)
MONEY_PATTERN = re.compile(
    r"(?:(?:US|C|A|CA|AU)?\$|€|£|\b(?:USD|EUR|GBP|CAD|AUD|CHF|JPY)\b)\s?\d{1,3}(?:[,.\s]\d{3})*(?:\.\d{2})?"
    r"(?:\s(?:million|thousand|billion))?"
    r"|\b\d{1,3}(?:,\d{3})+(?:\.\d{2})?\s?(?:USD|EUR|GBP|CAD|dollars|euros)\b",
    re.I,
)
_TYPED: dict[Callable[[str], object], re.Pattern[str]] = {
    parse_date: DATE_PATTERN,
    parse_duration: DURATION_PATTERN,
    parse_money: MONEY_PATTERN,
}
_TOKEN = re.compile(r"[a-z0-9]+")


def supports(quote: str, value: str, parse: Callable[[str], object]) -> bool:
    """Whether the quote states the value: a quote about something else is no evidence for it.

    Typed values must appear in the quote with the same meaning ("March 1, 2025" for 2025-03-01);
    text values need most of their words in it.
    """
    if (pattern := _TYPED.get(parse)) is not None:
        wanted = parse(value)
        return any(parse(match.group(0)) == wanted for match in pattern.finditer(quote))
    if parse is parse_bool:
        return True  # "yes"/"no" is a reading of the clause, not words in it
    words = set(_TOKEN.findall(value.lower()))
    return not words or len(words & set(_TOKEN.findall(quote.lower()))) >= 0.6 * len(words)

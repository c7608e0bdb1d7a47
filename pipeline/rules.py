"""Business rules as data: YAML files in the rules folder, checked against extracted fields.

Each rule names a check from CHECKS; a field path may reach into a value (`total_value.currency`).
The rule set's version is a hash of every file it reads, recorded with each verdict.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml

from pipeline.models import ContractFields, Duration, FieldValue, Violation


@dataclass(frozen=True)
class Rule:
    id: str
    check: str
    field: str
    severity: Literal["error", "warning"]
    description: str = ""
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    lists: dict[str, frozenset[str]]
    version: str


class RuleFileError(Exception):
    pass


def _value(fields: ContractFields, path: str) -> Any:
    name, _, attribute = path.partition(".")
    item = getattr(fields, name)
    if isinstance(item, list):
        return [entry.value for entry in item] or None
    if item is None:
        return None
    value = item.value if isinstance(item, FieldValue) else item
    return getattr(value, attribute) if attribute else value


def _fold(name: str) -> str:
    return " ".join(name.casefold().removeprefix("the ").split())


def _required(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    return f"{rule.field} is missing" if value is None else None


def _min_count(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    count = len(value or [])
    return f"{rule.field} has {count}, needs at least {rule.params['min']}" if count < rule.params["min"] else None


def _in_list(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    if value is None:
        return None
    allowed = rules.lists[rule.params["list"]]
    # "Ontario, Canada" is allowed when "Ontario" is: a place may carry its country after a comma.
    if _fold(str(value)) in allowed or _fold(str(value).split(",")[0]) in allowed:
        return None
    return f"{rule.field} {value!r} is not in {rule.params['list']}"


def _after(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    other = _value(fields, rule.params["other"])
    if value is None or other is None or value > other:
        return None
    return f"{rule.field} {value} is not after {rule.params['other']} {other}"


def _requires(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    if value is None and _value(fields, rule.params["when"]) is not None:
        return f"{rule.field} is missing although {rule.params['when']} is given"
    return None


def _max(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    limit = Decimal(str(rule.params["max"]))
    return f"{rule.field} {value} is above {limit}" if value is not None and value > limit else None


def _shorter_than(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    other = _value(fields, rule.params["other"])
    if not isinstance(value, Duration) or not isinstance(other, Duration):
        return None
    mine, theirs = value.days(), other.days()
    if mine is None or theirs is None or mine < theirs:
        return None
    return f"{rule.field} ({value}) is not shorter than {rule.params['other']} ({other})"


CHECKS: dict[str, Callable[[Any, Rule, RuleSet, ContractFields], str | None]] = {
    "required": _required,
    "min_count": _min_count,
    "in_list": _in_list,
    "after": _after,
    "requires": _requires,
    "max": _max,
    "shorter_than": _shorter_than,
}
_RULE_KEYS = {"id", "check", "field", "severity", "description"}


def _load_list(path: Path) -> frozenset[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return frozenset(_fold(row[0]) for row in list(csv.reader(handle))[1:] if row)


def load_rules(directory: Path) -> RuleSet:
    digest = hashlib.sha256()
    rules: list[Rule] = []
    lists: dict[str, frozenset[str]] = {}
    for path in sorted(directory.glob("*.yaml")):
        raw = path.read_bytes()
        digest.update(path.name.encode() + raw)
        for entry in (yaml.safe_load(raw) or {}).get("rules", []):
            if entry.get("check") not in CHECKS:
                raise RuleFileError(f"{path}: rule {entry.get('id')!r} has unknown check {entry.get('check')!r}")
            params = {k: v for k, v in entry.items() if k not in _RULE_KEYS}
            if "list" in params and params["list"] not in lists:
                list_path = directory / params["list"]
                digest.update(list_path.name.encode() + list_path.read_bytes())
                lists[params["list"]] = _load_list(list_path)
            rules.append(
                Rule(
                    id=entry["id"],
                    check=entry["check"],
                    field=entry["field"],
                    severity=entry.get("severity", "error"),
                    description=entry.get("description", ""),
                    params=params,
                )
            )
    return RuleSet(rules=tuple(rules), lists=lists, version=digest.hexdigest()[:12])


def evaluate(fields: ContractFields, rules: RuleSet) -> list[Violation]:
    violations = []
    for rule in rules.rules:
        message = CHECKS[rule.check](_value(fields, rule.field), rule, rules, fields)
        if message is not None:
            related = [rule.field.split(".")[0]] + [
                str(rule.params[k]).split(".")[0] for k in ("other", "when") if k in rule.params
            ]
            violations.append(Violation(rule_id=rule.id, severity=rule.severity, fields=related, message=message))
    return violations

"""Business rules as data: YAML files in the rules folder, checked against extracted fields.

Each rule names a check from CHECKS; a field path may reach into a value (`total_value.currency`,
`parties.name`). Reference lists (CSV) and inline `values` are allow-lists. The rule set's version
is a hash of every file it reads, recorded with each verdict. `lint_rules` finds what an analyst
got wrong, with file, line and rule id; `load_rules` refuses a rule set with any such problem.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel

from pipeline.models import ContractFields, Duration, FieldValue, Money, Party, Violation

SEVERITIES = ("error", "warning")


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


@dataclass(frozen=True)
class RuleProblem:
    path: Path
    line: int
    rule_id: str | None
    message: str

    def __str__(self) -> str:
        rule = f"rule {self.rule_id!r}: " if self.rule_id else ""
        return f"{self.path}:{self.line}: {rule}{self.message}"


def _field_paths() -> tuple[str, ...]:
    """Every field path a rule may name: each field, and the parts of structured values."""
    paths: list[str] = []
    for name, info in ContractFields.model_fields.items():
        wrapper = get_args(info.annotation)[0]  # FieldValue[X], from list[...] or `... | None`
        inner = wrapper.model_fields["value"].annotation
        paths.append(name)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            paths += [f"{name}.{attribute}" for attribute in inner.model_fields]
    return tuple(paths)


FIELD_PATHS = _field_paths()
TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "date": (date,),
    "number": (int, float, Decimal),
    "boolean": (bool,),
    "duration": (Duration,),
    "money": (Money,),
    "party": (Party,),
}


def value_at(fields: ContractFields, path: str) -> Any:
    """The value at a field path; for parties a list (`parties.name`: every party's name), None if empty."""
    name, _, attribute = path.partition(".")
    item = getattr(fields, name)
    if isinstance(item, list):
        return [getattr(entry.value, attribute) if attribute else entry.value for entry in item] or None
    if item is None:
        return None
    value = item.value if isinstance(item, FieldValue) else item
    return getattr(value, attribute) if attribute else value


def fold(name: str) -> str:
    """How names compare: case, a leading "the", punctuation and spacing do not matter."""
    return " ".join(re.sub(r"[.,]", " ", name.casefold().removeprefix("the ")).split())


def _each(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _required(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    if value is not None:
        return None
    if (other := rule.params.get("or")) is None:
        return f"{rule.field} is missing"
    return None if value_at(fields, other) is not None else f"{rule.field} is missing, and so is {other}"


def _min_count(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    count = len(value or [])
    return f"{rule.field} has {count}, needs at least {rule.params['min']}" if count < rule.params["min"] else None


def _allowed(rule: Rule, rules: RuleSet) -> frozenset[str]:
    if "values" in rule.params:
        return frozenset(fold(str(v)) for v in rule.params["values"])
    return rules.lists[rule.params["list"]]


def _in_list(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    if value is None:
        return None
    allowed = _allowed(rule, rules)
    # "Ontario, Canada" is allowed when "Ontario" is: a place may carry its country after a comma.
    outside = [v for v in _each(value) if fold(str(v)) not in allowed and fold(str(v).split(",")[0]) not in allowed]
    if not outside:
        return None
    source = rule.params.get("list", "the allowed values")
    return f"{rule.field} {', '.join(repr(v) for v in outside)} not in {source}"


def _is(value: Any, type_name: str) -> bool:
    if isinstance(value, bool):  # bool is an int to Python, never a number to an analyst
        return type_name == "boolean"
    return isinstance(value, TYPES[type_name])


def _type(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    wrong = [v for v in _each(value) if v is not None and not _is(v, rule.params["type"])]
    return f"{rule.field} {wrong[0]!r} is not a {rule.params['type']}" if wrong else None


def _bound(limit: Any) -> Any:
    return limit if isinstance(limit, date) else Decimal(str(limit))


def _range(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    low, high = rule.params.get("min"), rule.params.get("max")
    for item in _each(value):
        if item is None:
            continue
        if low is not None and item < _bound(low):
            return f"{rule.field} {item} is below {low}"
        if high is not None and item > _bound(high):
            return f"{rule.field} {item} is above {high}"
    return None


def _pattern(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    wrong = [v for v in _each(value) if v is not None and not re.fullmatch(rule.params["pattern"], str(v))]
    return f"{rule.field} {wrong[0]!r} does not match {rule.params['pattern']!r}" if wrong else None


def _after(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    other = value_at(fields, rule.params["other"])
    if value is None or other is None or value > other:
        return None
    return f"{rule.field} {value} is not after {rule.params['other']} {other}"


def _requires(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    if value is None and value_at(fields, rule.params["when"]) is not None:
        return f"{rule.field} is missing although {rule.params['when']} is given"
    return None


def _shorter_than(value: Any, rule: Rule, rules: RuleSet, fields: ContractFields) -> str | None:
    other = value_at(fields, rule.params["other"])
    if not isinstance(value, Duration) or not isinstance(other, Duration):
        return None
    mine, theirs = value.days(), other.days()
    if mine is None or theirs is None or mine < theirs:
        return None
    return f"{rule.field} ({value}) is not shorter than {rule.params['other']} ({other})"


@dataclass(frozen=True)
class Spec:
    """What a check needs: each tuple in `needs` is a set of alternatives, one of which must be given."""

    needs: tuple[tuple[str, ...], ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def keys(self) -> set[str]:
        return {key for group in self.needs for key in group} | set(self.optional)


CHECKS: dict[str, Callable[[Any, Rule, RuleSet, ContractFields], str | None]] = {
    "required": _required,
    "type": _type,
    "range": _range,
    "max": _range,
    "pattern": _pattern,
    "min_count": _min_count,
    "in_list": _in_list,
    "after": _after,
    "requires": _requires,
    "shorter_than": _shorter_than,
}
SPECS: dict[str, Spec] = {
    "required": Spec(optional=("or",)),
    "type": Spec(needs=(("type",),)),
    "range": Spec(needs=(("min", "max"),), optional=("min", "max")),
    "max": Spec(needs=(("max",),)),
    "pattern": Spec(needs=(("pattern",),)),
    "min_count": Spec(needs=(("min",),)),
    "in_list": Spec(needs=(("list", "values"),), optional=("column",)),
    "after": Spec(needs=(("other",),)),
    "requires": Spec(needs=(("when",),)),
    "shorter_than": Spec(needs=(("other",),)),
}
# Checks that read another field besides their own: the others look at one value at a time.
CROSS_FIELD = frozenset({"after", "requires", "shorter_than"})
OTHER_FIELD_PARAMS = ("other", "when", "or")
_RULE_KEYS = {"id", "check", "field", "severity", "description"}
# Parameters that name field paths (a string or a list of them).
PATH_PARAMS = ("field", *OTHER_FIELD_PARAMS, "group_by")


class _Marked(dict[str, Any]):
    """A YAML mapping that remembers the line it starts on and the line of each key."""

    line: int
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_marked(loader: _LineLoader, node: yaml.MappingNode) -> _Marked:
    mapping = _Marked({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {str(key.value): key.start_mark.line + 1 for key, _ in node.value}
    return mapping


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_marked)


@dataclass
class RuleFile:
    path: Path
    raw: bytes
    data: Any
    problems: list[RuleProblem]

    def entries(self, section: str) -> list[Any]:
        return self.data.get(section) or [] if isinstance(self.data, dict) else []


def read_rule_files(directory: Path) -> list[RuleFile]:
    files = []
    for path in sorted(directory.glob("*.yaml")):
        raw = path.read_bytes()
        try:
            files.append(
                RuleFile(path, raw, yaml.load(raw, Loader=_LineLoader) or {}, [])
            )  # _LineLoader is a SafeLoader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            files.append(RuleFile(path, raw, {}, [RuleProblem(path, line, None, f"not valid YAML: {exc}")]))
    return files


def _path_problem(path: Any) -> str | None:
    for item in _each(path):
        if not isinstance(item, str) or item not in FIELD_PATHS:
            return f"unknown field path {item!r} (known: {', '.join(FIELD_PATHS)})"
    return None


def _lint_entry(entry: dict[str, Any], specs: dict[str, Spec], directory: Path) -> list[tuple[str, str]]:
    """Problems of one rule, each as (the key it concerns, message)."""
    problems: list[tuple[str, str]] = []
    check = entry.get("check")
    problems += [(key, f"missing {key!r}") for key in ("id", "check", "field") if key not in entry]
    if check is not None and check not in specs:
        problems.append(("check", f"unknown check {check!r} (known: {', '.join(specs)})"))
    if entry.get("severity", "error") not in SEVERITIES:
        problems.append(("severity", f"bad severity {entry['severity']!r} (use error or warning)"))
    for key in PATH_PARAMS:
        if key in entry and (message := _path_problem(entry[key])):
            problems.append((key, message))
    spec = specs.get(str(check))
    if spec is not None:
        for group in spec.needs:
            if not any(key in entry for key in group):
                problems.append(("check", f"check {check!r} needs {' or '.join(map(repr, group))}"))
        problems += [(key, f"unknown key {key!r} for check {check!r}") for key in set(entry) - _RULE_KEYS - spec.keys]
    if "list" in entry and not (directory / str(entry["list"])).is_file():
        problems.append(("list", f"missing list file {entry['list']!r} in {directory}"))
    if "pattern" in entry:
        try:
            re.compile(str(entry["pattern"]))
        except re.error as exc:
            problems.append(("pattern", f"bad regex {entry['pattern']!r}: {exc}"))
    if "type" in entry and entry["type"] not in TYPES:
        problems.append(("type", f"unknown type {entry['type']!r} (known: {', '.join(TYPES)})"))
    for key in ("min", "max"):
        if key in entry and not isinstance(entry[key], int | float | date):
            problems.append((key, f"{key} must be a number or a date (YYYY-MM-DD), not {entry[key]!r}"))
    return problems


def lint_rules(directory: Path, sections: dict[str, dict[str, Spec]] | None = None) -> list[RuleProblem]:
    """Every problem in the rule files of `directory`; `sections` maps a top-level key to its checks."""
    sections = sections or {"rules": SPECS}
    problems: list[RuleProblem] = []
    seen: dict[str, str] = {}
    for file in read_rule_files(directory):
        problems += file.problems
        for section, specs in sections.items():
            for entry in file.entries(section):
                if not isinstance(entry, _Marked):
                    problems.append(RuleProblem(file.path, 1, None, f"each entry of {section!r} must be a mapping"))
                    continue
                rule_id = entry.get("id")
                if rule_id in seen:
                    problems.append(
                        RuleProblem(file.path, entry.line, rule_id, f"duplicate id, first in {seen[rule_id]}")
                    )
                elif rule_id is not None:
                    seen[rule_id] = f"{file.path.name}:{entry.line}"
                problems += [
                    RuleProblem(file.path, entry.key_lines.get(key, entry.line), rule_id, message)
                    for key, message in _lint_entry(entry, specs, directory)
                ]
    return problems


def load_list(path: Path, column: str | None = None) -> frozenset[str]:
    """A reference list: one column of a CSV with a header (the first column unless named), folded."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        name = column or (reader.fieldnames or [""])[0]
        return frozenset(fold(row[name]) for row in reader if row.get(name))


def load_rules(directory: Path) -> RuleSet:
    problems = lint_rules(directory)
    if problems:
        raise RuleFileError("\n".join(map(str, problems)))
    digest = hashlib.sha256()
    rules: list[Rule] = []
    lists: dict[str, frozenset[str]] = {}
    for file in read_rule_files(directory):
        digest.update(file.path.name.encode() + file.raw)
        for entry in file.entries("rules"):
            params = {k: v for k, v in entry.items() if k not in _RULE_KEYS}
            if "list" in params and params["list"] not in lists:
                list_path = directory / params["list"]
                digest.update(list_path.name.encode() + list_path.read_bytes())
                lists[params["list"]] = load_list(list_path, params.get("column"))
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


def reads_other_fields(rule: Rule) -> bool:
    return rule.check in CROSS_FIELD or any(k in rule.params for k in OTHER_FIELD_PARAMS)


def evaluate(fields: ContractFields, rules: RuleSet) -> list[Violation]:
    violations = []
    for rule in rules.rules:
        message = CHECKS[rule.check](value_at(fields, rule.field), rule, rules, fields)
        if message is not None:
            related = [rule.field.split(".")[0]] + [
                str(rule.params[k]).split(".")[0] for k in OTHER_FIELD_PARAMS if k in rule.params
            ]
            violations.append(Violation(rule_id=rule.id, severity=rule.severity, fields=related, message=message))
    return violations

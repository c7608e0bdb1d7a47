"""What a labeled split looks like to the runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.models import ContractFields


@dataclass(frozen=True)
class Sample:
    name: str  # the file name as the split lists it
    path: Path  # the file on disk
    gold: dict[str, list[str]]  # field -> gold values in the dataset's canonical form
    fields: tuple[str, ...]  # fields a prediction may fill for this document


class Dataset(Protocol):
    name: str
    fields: tuple[str, ...]
    source_fields: tuple[str, ...]  # ContractFields attributes the adapter reads

    def load(self, directory: Path) -> list[Sample]: ...

    def predict(self, fields: ContractFields, sample: Sample) -> dict[str, list[str]]:
        """The extraction in the dataset's label space, one list of values per field."""
        ...

    def match(self, gold: str, predicted: str) -> bool: ...


def unique(values: list[str]) -> list[str]:
    """Drop repeats (case-insensitive): a value stated twice is still one prediction."""
    kept: dict[str, str] = {}
    for value in values:
        kept.setdefault(value.casefold(), value)
    return list(kept.values())

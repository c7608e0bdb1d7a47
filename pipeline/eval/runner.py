"""Drive one eval: parse each document, extract (or reuse the cached extraction), score, report.

Extraction is injected so the harness runs without a model; the cache key is (document sha256,
model, prompt version), so a rerun or a resumed run skips finished documents. Failed documents are
not cached (a retry may succeed) and score as empty predictions.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pipeline.eval.dataset import Dataset, Sample
from pipeline.eval.metrics import Counts, count, summarize
from pipeline.models import ContractFields, Evidence, Extraction, FieldValue, ParsedDocument

Extractor = Callable[[ParsedDocument], Extraction]
Parser = Callable[[Path], ParsedDocument]
Locator = Callable[[ParsedDocument, Evidence], Evidence | None]


@dataclass
class Outcome:
    """One document's extraction as cached: what it cost and how many values were grounded."""

    extraction: Extraction
    seconds: float
    grounded: int
    values: int
    whole_document_tokens: int | None = None  # the same document as one whole-document prompt
    cached: bool = False

    def dump(self) -> str:
        return json.dumps(
            {
                "extraction": self.extraction.model_dump(mode="json"),
                "seconds": self.seconds,
                "grounded": self.grounded,
                "values": self.values,
                "whole_document_tokens": self.whole_document_tokens,
            }
        )

    @classmethod
    def load(cls, text: str) -> Outcome:
        data = json.loads(text)
        extraction = Extraction.model_validate(data["extraction"])
        whole = data.get("whole_document_tokens")
        return cls(extraction, data["seconds"], data["grounded"], data["values"], whole, cached=True)


def _field_values(fields: ContractFields, names: tuple[str, ...]) -> list[FieldValue[object]]:
    return [value for name in names for value in fields.values_of(name)]


def _grounding(parsed: ParsedDocument, values: list[FieldValue[object]], locate: Locator) -> int:
    return sum(any(locate(parsed, ev) is not None for ev in value.evidence) for value in values)


@dataclass
class Harness:
    dataset: Dataset
    extractor: Extractor
    model: str
    prompt_version: str
    cache_dir: Path
    parse: Parser
    locate: Locator
    count_whole: Callable[[ParsedDocument], int] | None = None

    def cache_path(self, sha256: str) -> Path:
        key = hashlib.sha256(f"{sha256}\0{self.model}\0{self.prompt_version}".encode()).hexdigest()
        return self.cache_dir / f"{key}.json"

    def outcome(self, sample: Sample) -> Outcome:
        sha256 = hashlib.sha256(sample.path.read_bytes()).hexdigest()
        path = self.cache_path(sha256)
        if path.exists():
            return Outcome.load(path.read_text(encoding="utf-8"))
        parsed = self.parse(sample.path)
        started = time.perf_counter()
        extraction = self.extractor(parsed)
        seconds = time.perf_counter() - started
        values = _field_values(extraction.fields, self.dataset.source_fields)
        whole = self.count_whole(parsed) if self.count_whole else None
        result = Outcome(extraction, seconds, _grounding(parsed, values, self.locate), len(values), whole)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(result.dump(), encoding="utf-8")
        partial.replace(path)  # atomic: an interrupted run never leaves a half-written entry
        return result


def _report_path(out: Path, index: int, name: str) -> Path:
    return out / f"{index:04d}-{re.sub(r'[^A-Za-z0-9._-]+', '_', Path(name).stem)[:80]}.json"


def run_eval(
    dataset: Dataset,
    directory: Path,
    extractor: Extractor,
    *,
    model: str,
    prompt_version: str,
    cache_dir: Path,
    parse: Parser,
    locate: Locator,
    limit: int | None = None,
    offset: int = 0,
    out: Path | None = None,
    count_whole: Callable[[ParsedDocument], int] | None = None,
) -> dict[str, object]:
    samples = dataset.load(directory)[offset : None if limit is None else offset + limit]
    harness = Harness(dataset, extractor, model, prompt_version, cache_dir, parse, locate, count_whole)
    per_field: dict[str, list[Counts]] = {name: [] for name in dataset.fields}
    failed: list[dict[str, str]] = []
    outcomes: list[Outcome] = []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task(f"eval {dataset.name}", total=len(samples))
        for index, sample in enumerate(samples, start=offset):
            outcome: Outcome | None = None
            reason: str | None = None
            try:
                outcome = harness.outcome(sample)
            except Exception as exc:  # one bad document must not end the run; it scores as empty
                reason = f"{type(exc).__name__}: {exc}"
                failed.append({"file": sample.name, "reason": reason})
            empty: dict[str, list[str]] = {name: [] for name in dataset.fields}
            predicted = dataset.predict(outcome.extraction.fields, sample) if outcome else empty
            counts = {
                name: count(sample.gold.get(name, []), predicted.get(name, []), dataset.match)
                for name in dataset.fields
            }
            for name, c in counts.items():
                per_field[name].append(c)
            if outcome:
                outcomes.append(outcome)
            if out is not None:
                report = {
                    "file": sample.name,
                    "fields": sample.fields,
                    "gold": sample.gold,
                    "predicted": predicted,
                    "counts": {name: vars(c) for name, c in counts.items()},
                    "failed": reason,
                    "extraction": outcome.extraction.model_dump(mode="json") if outcome else None,
                }
                _report_path(out, index, sample.name).write_text(json.dumps(report, indent=2), encoding="utf-8")
            progress.advance(task)
    values = sum(o.values for o in outcomes)
    counted = [o for o in outcomes if o.whole_document_tokens]
    whole = sum(o.whole_document_tokens or 0 for o in counted)
    return {
        "dataset": dataset.name,
        "documents": len(samples),
        **summarize(per_field),
        "grounded_rate": sum(o.grounded for o in outcomes) / values if values else None,
        "prompt_tokens": sum(o.extraction.usage.prompt_tokens for o in outcomes),
        "completion_tokens": sum(o.extraction.usage.completion_tokens for o in outcomes),
        # Prompt tokens as a share of the whole-document prompts of the same documents.
        "whole_document_prompt_tokens": whole or None,
        "prompt_token_share": sum(o.extraction.usage.prompt_tokens for o in counted) / whole if whole else None,
        "seconds_per_document": sum(o.seconds for o in outcomes) / len(outcomes) if outcomes else None,
        "cached": sum(o.cached for o in outcomes),
        "model": model,
        "prompt_version": prompt_version,
        "failed": failed,
    }

"""The generated sample contracts are consistent with their expected files and reproducible."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_openai import DRAFT_KEYS, load_expected, sample_documents, sample_pages

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_docs"
GENERATOR = ROOT / "scripts" / "make_sample_docs.py"

EXPECTED = load_expected(SAMPLE_DIR)
DOCUMENTS = sample_documents(SAMPLE_DIR)
FIELD_KEYS = set(DRAFT_KEYS)


def squash(text: str) -> str:
    return " ".join(text.split())


def cited(answer: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    items = [(f"parties[{i}]", p) for i, p in enumerate(answer["parties"])]
    return items + [(k, v) for k, v in answer.items() if k != "parties" and v is not None]


def generate(out: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out)], check=True, capture_output=True, timeout=120)


def test_every_document_has_an_expected_file_and_vice_versa() -> None:
    assert len(DOCUMENTS) >= 7
    assert set(DOCUMENTS) == set(EXPECTED)
    suffixes = [p.suffix for p in DOCUMENTS.values()]
    assert suffixes.count(".pdf") >= 4 and ".docx" in suffixes and ".txt" in suffixes


def test_expected_outcomes_cover_the_rules() -> None:
    outcomes = {(e["status"], tuple(e["violations"])) for e in EXPECTED.values()}
    assert ("posted", ()) in outcomes
    assert ("posted", ("value-over-approval-limit",)) in outcomes
    assert ("escalated", ("expiration-after-effective",)) in outcomes
    assert ("escalated", ("governing-law-allowed",)) in outcomes


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_expected_shape(stem: str) -> None:
    expected = EXPECTED[stem]
    assert set(expected) == {"status", "violations", "fields", "answer"}
    assert set(expected["fields"]) == FIELD_KEYS
    assert set(expected["answer"]) == FIELD_KEYS
    for party in expected["answer"]["parties"]:
        assert set(party) == {"name", "role", "page", "quote"}
    for key, item in cited(expected["answer"]):
        if not key.startswith("parties"):
            assert set(item) == {"value", "page", "quote"}, key
            assert isinstance(item["value"], str), key


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_fields_have_the_shape_of_contract_fields_plain(stem: str) -> None:
    models = pytest.importorskip("pipeline.models")
    fields = EXPECTED[stem]["fields"]
    wrapped = {
        key: ([{"value": p} for p in value] if key == "parties" else None if value is None else {"value": value})
        for key, value in fields.items()
    }
    assert models.ContractFields.model_validate(wrapped).plain() == fields


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_every_quote_is_on_its_page(stem: str) -> None:
    pages = [squash(text) for text in sample_pages(DOCUMENTS[stem])]
    for key, item in cited(EXPECTED[stem]["answer"]):
        assert 1 <= item["page"] <= len(pages), key
        assert len(item["quote"]) < 200, key
        assert squash(item["quote"]) in pages[item["page"] - 1], f"{key}: {item['quote']!r}"


def test_generator_reproduces_expected_files(tmp_path: Path) -> None:
    generate(tmp_path)
    for stem, expected in EXPECTED.items():
        regenerated = json.loads((tmp_path / f"{stem}.expected.json").read_text(encoding="utf-8"))
        assert regenerated == expected, stem
        # Compare document text, not bytes: producer metadata may differ across fpdf2 versions.
        assert sample_pages(tmp_path / DOCUMENTS[stem].name) == sample_pages(DOCUMENTS[stem]), stem


def test_generator_is_byte_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    generate(first)
    generate(second)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name

"""A whole eval over a split built here, with a deterministic extractor that reads the parsed text."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
import typer
from fake_openai import FakeOpenAI, Reply, in_schema_of
from test_eval_loaders import cuad_split, kleister_split, write_pdf
from typer.testing import CliRunner

from pipeline.eval.cuad import Cuad
from pipeline.eval.kleister import Kleister
from pipeline.eval.runner import run_eval
from pipeline.eval.tokens import whole_document_counter, whole_document_prompt
from pipeline.evidence import locate
from pipeline.local_llm.server import owned_server
from pipeline.models import ContractFields, Evidence, Extraction, FieldValue, ParsedDocument, Party
from pipeline.parse import parse_file
from pipeline.settings import Settings
from tests.conftest import SAMPLES, SMALL_MODEL

KLEISTER = Kleister()
NDA = [
    "Dated as of January 5, 2021 between Acme, Inc and Bolt LLC.",
    "This Agreement is governed by the laws of the State of Delaware.",
]


def read_fields(parsed: ParsedDocument) -> Extraction:
    """Stands in for the model: regexes over page 1, each value with a verbatim quote."""
    page = parsed.pages[0]
    text = " ".join(page.text.split())
    fields = ContractFields()
    if found := re.search(r"Dated as of (\w+ \d+, \d{4}) between (.+?) and (.+?)\.", text):
        when = date.fromisoformat("2021-01-05") if found.group(1) == "January 5, 2021" else None
        quote = Evidence(page=1, quote=found.group(0))
        fields.effective_date = FieldValue[date](value=when, evidence=[quote]) if when else None
        fields.parties = [FieldValue[Party](value=Party(name=n), evidence=[quote]) for n in found.groups()[1:]]
    if found := re.search(r"laws of the State of (\w+)", text):
        fields.governing_law = FieldValue[str](
            value=found.group(1), evidence=[Evidence(page=1, quote="not on the page")]
        )
    return Extraction(document_id=parsed.document_id, fields=fields, model="regex", prompt_version="t1")


def run(split: Path, cache: Path, dataset: Kleister | Cuad = KLEISTER, **options: object) -> dict[str, object]:
    calls: list[str] = []

    def extractor(parsed: ParsedDocument) -> Extraction:
        calls.append(parsed.document_id)
        return read_fields(parsed)

    result = run_eval(
        dataset, split, extractor, model="regex", prompt_version="t1", cache_dir=cache,
        parse=parse_file, locate=locate, **options,  # type: ignore[arg-type]
    )  # fmt: skip
    result["extractor_calls"] = len(calls)
    return result


@pytest.fixture
def split(tmp_path: Path) -> Path:
    return kleister_split(
        tmp_path / "split",
        [
            ("a.pdf", "effective_date jurisdiction party term",
             "effective_date=2021-01-05 jurisdiction=Delaware party=Acme_Inc. party=Bolt_LLC term=2_years", NDA),
            ("b.pdf", "jurisdiction party", "jurisdiction=Oregon party=Nike_Inc.", ["Nothing to read here."]),
            ("c.pdf", "jurisdiction", "jurisdiction=Ohio", ["unused"]),
        ],
    )  # fmt: skip


def test_kleister_end_to_end(split: Path, tmp_path: Path) -> None:
    (split / "documents" / "c.pdf").write_bytes(b"not a pdf")  # fails to parse: scores as empty
    result = run(split, tmp_path / "cache", out=tmp_path / "out")
    fields = result["fields"]
    assert isinstance(fields, dict)
    assert result["documents"] == 3
    # a.pdf: date, Delaware and both parties right (4 of 5 gold; term missed); b.pdf and c.pdf: nothing.
    assert {k: (v["matched"], v["support"], v["predicted"]) for k, v in fields.items()} == {
        "effective_date": (1, 1, 1), "jurisdiction": (1, 3, 1), "party": (2, 3, 2), "term": (0, 1, 0),
    }  # fmt: skip
    assert result["micro_f1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)  # p = 4/4, r = 4/8
    assert result["macro_f1"] == pytest.approx((1.0 + 0.5 + 0.8 + 0.0) / 4)
    assert result["grounded_rate"] == pytest.approx(3 / 4)  # the governing-law quote is not on its page
    assert [f["file"] for f in result["failed"]] == ["c.pdf"]  # type: ignore[union-attr]
    assert "ParseError" in result["failed"][0]["reason"]  # type: ignore[index]
    assert (result["model"], result["prompt_version"], result["extractor_calls"]) == ("regex", "t1", 2)
    report = json.loads((tmp_path / "out" / "0000-a.json").read_text())
    assert report["predicted"]["party"] == ["Acme_Inc.", "Bolt_LLC"]
    assert report["gold"]["term"] == ["2_years"]
    assert report["extraction"]["fields"]["governing_law"]["evidence"][0]["quote"] == "not on the page"


def test_rerun_and_resume_use_the_cache(split: Path, tmp_path: Path) -> None:
    first = run(split, tmp_path / "cache", limit=1)
    resumed = run(split, tmp_path / "cache")
    assert (first["extractor_calls"], first["documents"]) == (1, 1)
    assert (resumed["extractor_calls"], resumed["cached"]) == (2, 1)
    again = run(split, tmp_path / "cache", offset=1)
    assert (again["documents"], again["extractor_calls"], again["cached"]) == (2, 0, 2)


def test_cuad_end_to_end(tmp_path: Path) -> None:
    row = {
        "Filename": "Acme & Bolt Agreement.pdf",
        "Parties-Answer": 'Acme, Inc. ("Acme"); Bolt, L.L.C. ("Bolt")',
        "Effective Date-Answer": "1/5/21",
        "Governing Law-Answer": "Delaware",
    }
    split = cuad_split(tmp_path / "cuad", [row], [])
    write_pdf(split / "pdf" / "Acme _ Bolt Agreement.pdf", NDA)
    result = run(split, tmp_path / "cache", dataset=Cuad())
    fields = result["fields"]
    assert isinstance(fields, dict)
    assert fields["Parties"]["f1"] == 1.0 and fields["Effective Date"]["f1"] == 1.0
    assert fields["Governing Law"]["f1"] == 1.0
    assert fields["Renewal Term"]["support"] == 0 and fields["Renewal Term"]["f1"] == 1.0


def test_cli_json_is_the_only_stdout(split: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command as users run it: real parser, real openai + instructor against the scripted server."""
    from pipeline.eval.cli import eval_command

    answer = {
        "parties": [
            {"name": "Acme, Inc", "role": "Party", "page": 1, "quote": "between Acme, Inc and Bolt LLC"},
            {"name": "Bolt LLC", "role": "Party", "page": 1, "quote": "between Acme, Inc and Bolt LLC"},
        ],
        "effective_date": {"value": "January 5, 2021", "page": 1, "quote": "Dated as of January 5, 2021"},
        "governing_law": {"value": "Delaware", "page": 2, "quote": "laws of the State of Delaware"},
    }
    with FakeOpenAI(lambda request: Reply.tool(in_schema_of(request, answer))) as server:
        monkeypatch.setenv("CONTRACTFLOW_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("CONTRACTFLOW_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("CONTRACTFLOW_LLM_MODEL", "scripted")
        app = typer.Typer()
        app.command()(eval_command)
        outcome = CliRunner().invoke(app, ["--dataset", "kleister", str(split), "--limit", "2", "--json"])
        assert outcome.exit_code == 0, outcome.output
        result = json.loads(outcome.stdout)
        assert len(server.requests) >= 2  # one per document, plus a re-ask where a quote is not found
    assert result["documents"] == 2 and result["model"] == "scripted"
    assert 0 < result["grounded_rate"] <= 1.0 and result["prompt_tokens"] > 0
    assert (tmp_path / "home" / "eval-cache").is_dir()
    assert CliRunner().invoke(app, ["--dataset", "nope", str(split)]).exit_code != 0


def test_patterns_extractor_needs_no_model(split: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--extractor patterns`: the finders alone, the baseline that shows what the model adds."""
    from pipeline.eval.cli import eval_command

    monkeypatch.setenv("CONTRACTFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CONTRACTFLOW_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: never called
    app = typer.Typer()
    app.command()(eval_command)
    args = ["--dataset", "kleister", str(split), "--limit", "1", "--json", "--extractor", "patterns"]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    assert (result["model"], result["prompt_tokens"], result["failed"]) == ("patterns", 0, [])
    assert result["fields"]["jurisdiction"]["matched"] == 1 and result["fields"]["party"]["matched"] == 2
    assert result["grounded_rate"] == 1.0


def test_the_whole_document_figure_is_counted_once_and_kept_in_the_cache(split: Path, tmp_path: Path) -> None:
    def characters(parsed: ParsedDocument) -> int:
        return len(parsed.text)

    first = run(split, tmp_path / "cache", limit=2, count_whole=characters)
    again = run(split, tmp_path / "cache", limit=2)  # from the cache, nothing counted again
    expected = sum(len(parse_file(split / "documents" / name).text) for name in ("a.pdf", "b.pdf"))
    assert first["whole_document_prompt_tokens"] == again["whole_document_prompt_tokens"] == expected
    assert first["prompt_token_share"] == 0.0  # the regex extractor sends no prompt
    assert run(split, tmp_path / "other", limit=1)["prompt_token_share"] is None  # nothing to compare with


@pytest.mark.model
def test_the_local_model_counts_the_whole_document_prompt(real_model: Path, home: Path) -> None:
    parsed = parse_file(SAMPLES / "01_msa_northwind_larkspur.pdf")
    with owned_server(Settings(home=home, llm_local_model=SMALL_MODEL)) as url:
        count = whole_document_counter(url)
        assert count is not None
        tokens = count(parsed)
    prompt = whole_document_prompt(parsed)
    assert parsed.text.split()[0] in prompt and len(prompt) / 6 < tokens < len(prompt) / 2
    assert whole_document_counter("http://127.0.0.1:9/v1", timeout=2) is None  # no tokenizer there

"""Loaders over tiny splits built here, and (when present) the real ones under /work/shared."""

from __future__ import annotations

import csv
import lzma
from pathlib import Path

import pytest
from fpdf import FPDF

from pipeline.eval.cuad import COLUMNS, Cuad
from pipeline.eval.kleister import Kleister

SHARED = Path("/work/shared/data")


def write_pdf(path: Path, lines: list[str]) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))


def kleister_split(root: Path, rows: list[tuple[str, str, str, list[str]]]) -> Path:
    """rows: (file name, keys, expected line, PDF lines)."""
    (root / "documents").mkdir(parents=True)
    with lzma.open(root / "in.tsv.xz", "wt", encoding="utf-8") as handle:
        for name, keys, _, lines in rows:
            handle.write("\t".join([name, keys, " ".join(lines), "", "", ""]) + "\n")
    (root / "expected.tsv").write_text("".join(row[2] + "\n" for row in rows), encoding="utf-8")
    for name, _, _, lines in rows:
        write_pdf(root / "documents" / name, lines)
    return root


def cuad_split(root: Path, rows: list[dict[str, str]], disk_names: list[str]) -> Path:
    header = ["Filename", "Document Name", "Document Name-Answer"]
    for category, column in COLUMNS.items():
        header += [category, column]
    (root / "pdf").mkdir(parents=True)
    with (root / "master_clauses.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    for name in disk_names:
        write_pdf(root / "pdf" / name, ["A contract."])
    return root


def test_kleister_loader(tmp_path: Path) -> None:
    split = kleister_split(
        tmp_path,
        [
            (
                "a1.pdf",
                "effective_date jurisdiction party term",
                "jurisdiction=Oregon party=Nike_Inc. party=Eric_Dean",
                ["x"],
            ),
            ("b2.pdf", "jurisdiction", "jurisdiction=Georgia", ["y"]),
        ],
    )
    first, second = Kleister().load(split)
    assert first.name == "a1.pdf" and first.path == split / "documents" / "a1.pdf" and first.path.exists()
    assert first.gold == {
        "effective_date": [],
        "jurisdiction": ["Oregon"],
        "party": ["Nike_Inc.", "Eric_Dean"],
        "term": [],
    }
    assert first.fields == ("effective_date", "jurisdiction", "party", "term")
    assert second.fields == ("jurisdiction",)


def test_kleister_loader_rejects_misaligned_gold(tmp_path: Path) -> None:
    split = kleister_split(tmp_path, [("a.pdf", "party", "party=A", ["x"])])
    (split / "expected.tsv").write_text("party=A\nparty=B\n", encoding="utf-8")
    with pytest.raises(ValueError, match="1 inputs but 2 expected"):
        Kleister().load(split)


def test_cuad_loader_matches_file_names_and_parses_labels(tmp_path: Path) -> None:
    listed = "MOELIS&CO_2014-EX-10.19-STRATEGIC ALLIANCE AGREEMENT .pdf"
    row = {
        "Filename": listed,
        "Parties-Answer": 'Moelis & Company LLC ("Moelis"); Acme Corp. ("Partner")',
        "Agreement Date-Answer": "3/24/14",
        "Effective Date-Answer": "[]/[]/2014",
        "Governing Law-Answer": "Illinois; New York",
        "Renewal Term-Answer": "successive 1 year",
        "Notice Period To Terminate Renewal- Answer": "90 days",
    }
    split = cuad_split(tmp_path, [row], ["MOELIS_CO_2014-EX-10.19-STRATEGIC ALLIANCE AGREEMENT .PDF"])
    (sample,) = Cuad().load(split)
    assert sample.name == listed and sample.path.exists()
    assert sample.gold == {
        "Parties": ["moelis", "acme"],
        "Agreement Date": ["2014-03-24"],
        "Effective Date": ["2014-??-??"],
        "Expiration Date": [],
        "Governing Law": ["Illinois", "New York"],
        "Renewal Term": ["12 months"],
        "Notice Period To Terminate Renewal": ["90 days"],
    }


def test_cuad_loader_reports_a_missing_file(tmp_path: Path) -> None:
    split = cuad_split(tmp_path, [{"Filename": "Gone.pdf"}], ["Other.pdf"])
    with pytest.raises(FileNotFoundError, match=r"Gone\.pdf"):
        Cuad().load(split)


@pytest.mark.skipif(not SHARED.is_dir(), reason="real splits not available")
@pytest.mark.parametrize(
    ("dataset", "folder", "documents"), [(Kleister(), "kleister-nda-train", 254), (Cuad(), "cuad-dev", 167)]
)
def test_real_splits_load(dataset: Kleister | Cuad, folder: str, documents: int) -> None:
    samples = dataset.load(SHARED / folder)
    assert len(samples) == documents
    assert all(sample.path.is_file() for sample in samples)

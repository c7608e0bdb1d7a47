from __future__ import annotations

import io

import docx
import pytest
from fpdf import FPDF

from pipeline.parse import ParseError, parse_bytes


def make_pdf(pages: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def test_pdf_pages_keep_their_text_and_order() -> None:
    parsed = parse_bytes(make_pdf(["First page: Acme Corp.", "Second page: governed by Delaware law."]), "a.pdf")
    assert parsed.parser == "pypdfium2"
    assert [p.number for p in parsed.pages] == [1, 2]
    assert "Acme Corp." in parsed.pages[0].text
    assert "Delaware" in parsed.pages[1].text
    assert len(parsed.document_id) == 64


def test_docx_paragraphs_and_tables() -> None:
    document = docx.Document()
    document.add_paragraph("Services Agreement between Acme and Globex.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Fee"
    table.rows[0].cells[1].text = "USD 10,000"
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = parse_bytes(buffer.getvalue(), "contract.docx")
    assert parsed.parser == "python-docx"
    assert "Acme and Globex" in parsed.pages[0].text
    assert "Fee | USD 10,000" in parsed.pages[0].text


def test_text_form_feed_splits_pages() -> None:
    parsed = parse_bytes(b"page one\r\nline\fpage two", "c.txt")
    assert [p.text for p in parsed.pages] == ["page one\nline", "page two"]


def test_media_type_comes_from_content_not_name() -> None:
    parsed = parse_bytes(make_pdf(["A PDF named as text."]), "looks-like.txt")
    assert parsed.parser == "pypdfium2"


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "empty.pdf", "empty file"),
        (b"%PDF-1.7\n garbage that is no PDF", "broken.pdf", "unreadable PDF"),
        (b"\xff\xfe\xfa not utf-8", "latin.txt", "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n....", "image.png", "unsupported format"),
        (b"PK\x03\x04 not a zip", "fake.docx", "unsupported format"),
        (make_pdf([" "]), "blank.pdf", "no text found"),
    ],
)
def test_bad_input_gets_a_reason_a_person_can_act_on(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_bytes(data, name)

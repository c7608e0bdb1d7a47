from __future__ import annotations

from pipeline.evidence import locate
from pipeline.models import Evidence, Page, ParsedDocument

DOC = ParsedDocument(
    document_id="d",
    parser="test",
    pages=[
        Page(number=1, text="MASTER SERVICES AGREEMENT\nbetween Acme   Corp. and Globex"),
        Page(number=2, text="This agree-\nment is governed by the laws of the \u201cState\u201d of New\n York."),
    ],
)


def test_quote_found_with_offsets_despite_whitespace() -> None:
    found = locate(DOC, Evidence(page=1, quote="between Acme Corp. and Globex"))
    assert found is not None
    assert DOC.pages[0].text[found.start : found.end] == "between Acme   Corp. and Globex"


def test_hyphenation_typographic_quotes_and_case_are_tolerated() -> None:
    found = locate(DOC, Evidence(page=2, quote='AGREEMENT is governed by the laws of the "State" of New York'))
    assert found is not None and found.page == 2
    assert DOC.pages[1].text[found.start : found.end].endswith("New\n York")


def test_wrong_page_is_corrected_and_invented_quote_refused() -> None:
    moved = locate(DOC, Evidence(page=1, quote="governed by the laws"))
    assert moved is not None and moved.page == 2
    assert locate(DOC, Evidence(page=2, quote="governed by the laws of Delaware")) is None
    assert locate(DOC, Evidence(page=9, quote="   ")) is None

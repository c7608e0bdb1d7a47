"""The deterministic finders and the proposal they make, on preambles shaped like real contracts'."""

from __future__ import annotations

import pytest

from pipeline.agent.finders import find_governing_law
from pipeline.agent.parties import find_parties
from pipeline.agent.proposal import propose
from pipeline.agent.tools import Toolbox
from pipeline.models import Page, ParsedDocument


def document(*pages: str) -> ParsedDocument:
    return ParsedDocument(
        document_id="d", parser="t", pages=[Page(number=n, text=text) for n, text in enumerate(pages, 1)]
    )


@pytest.mark.parametrize(
    ("preamble", "parties"),
    [
        (
            "NON-COMPETITION AGREEMENT\nTHIS AGREEMENT is made and entered as of January 30, 2006, between ASSET "
            "ACCEPTANCE CAPITAL CORP. a Delaware corporation (the\n\u201cCompany\u201d), and James C. Lee "
            "(\u201cEmployee\u201d).\nThe Company and its affiliated entities are engaged in business.",
            [("ASSET ACCEPTANCE CAPITAL CORP.", "Company"), ("James C. Lee", "Employee")],
        ),
        (
            'This Agreement (the "Agreement") is made this 6th of February, 1999 by and between High Speed\nNet '
            "Solutions and R. J. Seifert Enterprises. Collectively, all the parties hereto may be referred to "
            'as the "Parties".',
            [("High Speed Net Solutions", ""), ("R. J. Seifert Enterprises", "")],
        ),
        (
            "This Confidentiality Agreement dated as of July 13, 2011 is entered into between 99\u00a2 Only\nStores, "
            "a California corporation (the \u201cCompany\u201d), and Leonard Green\u00a0& Partners, L.P., a Limited "
            "Partnership (\u201cCounterparty\u201d). Each of them is a \u201cParty.\u201d",
            [("99\u00a2 Only Stores", "Company"), ("Leonard Green & Partners, L.P.", "Counterparty")],
        ),
        (
            "AGREEMENT entered into as of January 9, 2009 by and between Thomas T. Riley (the \u201cExecutive\u201d) "
            "and SAVVIS, INC., a Delaware corporation, and all its subsidiaries (collectively the "
            "\u201cCompany\u201d). "
            "WHEREAS, Executive acknowledges that",
            [("Thomas T. Riley", "Executive"), ("SAVVIS, INC.", "")],  # its role follows "and all its subsidiaries"
        ),
    ],
)
def test_preamble_parties_people_included(preamble: str, parties: list[tuple[str, str]]) -> None:
    found = [c for c in find_parties(document(preamble)) if c.kind == "party"]
    assert [(" ".join(c.value.split()), c.label) for c in found] == parties
    for candidate in found:
        assert candidate.quote in preamble


def test_organisation_names_without_a_preamble_skip_titles_and_descriptions() -> None:
    text = (
        "CONFIDENTIALITY AGREEMENT\nAs an associate of Ann Taylor, Inc. (the \u201cCompany\u201d), you will have "
        "access to trade secrets of the Company, a Delaware Corporation.\n1. Acme Widgets LLC shall be told."
    )
    found = find_parties(document(text))
    assert [(c.kind, c.value, c.label) for c in found] == [
        ("organisation", "Ann Taylor, Inc.", "Company"),
        ("organisation", "Acme Widgets LLC", ""),
    ]


def test_governing_law_is_the_clause_not_a_place_of_incorporation() -> None:
    text = (
        "Acme, Inc., a corporation organized under the laws of Delaware, is a party. Each party will comply with "
        "export controls under the laws of the United States. This Agreement shall be construed according to "
        "the laws of the State of Oregon. THIS AGREEMENT "
        "IS GOVERNED BY THE LAWS OF THE COMMONWEALTH OF MASSACHUSETTS."
    )
    found = find_governing_law(document(text))
    assert [(c.value, c.label) for c in found] == [
        ("Oregon", "governing law"),
        ("MASSACHUSETTS", "governing law"),
        ("United States", ""),
    ]


def test_proposal_dates_a_letter_and_keeps_covenant_periods_out_of_the_term() -> None:
    letter = (
        "December 11,2014\nFortune Brands Home & Security, Inc.\nLadies and Gentlemen:\nYou agree that for a "
        "period of two years you will not solicit our employees. This letter agreement shall expire eighteen "
        "months after the date hereof."
    )
    proposal = propose(Toolbox(document(letter)))
    assert proposal["agreement_date"]["value"] == "December 11,2014"
    assert proposal["term"]["value"] == "eighteen months"


def test_a_person_signing_for_themselves_is_a_party_an_officer_signing_by_is_not() -> None:
    letter = "Dear Ms. Doe:\nYou agree to keep our secrets.\nACME, INC.\nBy: /s/ Peter Officer\n/s/ Jane Q. Doe\n"
    found = find_parties(document(letter))
    assert [(c.kind, c.value) for c in found if c.kind == "individual"] == [("individual", "Jane Q. Doe")]
    assert [p["name"] for p in propose(Toolbox(document(letter)))["parties"]] == ["ACME, INC.", "Jane Q. Doe"]

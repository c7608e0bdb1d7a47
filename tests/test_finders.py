"""The deterministic finders and the proposal they make, on preambles shaped like real contracts'."""

from __future__ import annotations

import pytest

from pipeline.agent.finders import find_dates, find_governing_law
from pipeline.agent.parties import find_parties
from pipeline.agent.proposal import propose
from pipeline.agent.tools import Toolbox
from pipeline.models import Page, ParsedDocument
from pipeline.normalize import parse_date, parse_duration


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


@pytest.mark.parametrize(
    ("closing", "person"),
    [
        ("ACME, INC.\nBy: /s/ Peter Officer\nSECOND PARTY\nBy: /s/ Richard W. Pehlke\n", "Richard W. Pehlke"),
        ("ACME, INC.\nBy: /s/ Peter Officer\nTitle:\nEMPLOYEE: Adrian Adams\n(Print Name)\n", "Adrian Adams"),
        ("J.H. Cromarty\nEMPLOYEE\nPeter Officer\nFOR THE COMPANY\n/s/ J.H. Cromarty\n", "J.H. Cromarty"),
    ],
)
def test_a_signature_block_names_the_person_by_their_role(closing: str, person: str) -> None:
    """An employee's agreement names the company in its preamble and the employee only where they sign."""
    text = "This Agreement is between ACME, Inc. (the \u201cCompany\u201d) and the undersigned employee.\n"
    assert [p["name"] for p in propose(Toolbox(document(text, closing)))["parties"]] == ["ACME, Inc.", person]


def test_a_title_page_sets_each_party_on_its_own_line() -> None:
    title = (
        "SUPPLY AGREEMENT\nBY AND BETWEEN\nEXACT SCIENCES CORPORATION\nAND\nGINARES GROUP AG\nJanuary 5, 2015\n"
        "Uniquest Corporation\n780 Montague Expressway\n"
    )
    found = [c.value for c in find_parties(document(title)) if c.kind == "party"]
    assert found == ["EXACT SCIENCES CORPORATION", "GINARES GROUP AG"]


def test_a_renewal_term_is_a_further_term_not_a_deadline_or_a_limit() -> None:
    text = (
        "Insurance must be provided within sixty (60) days, and the Agreement shall not extend any later than "
        "thirty (30) months from the Effective Date. Thereafter this Agreement renews for successive one (1) "
        "year periods."
    )
    assert propose(Toolbox(document(text)))["renewal_term"]["value"] == "one (1) year"


def test_the_notice_that_stops_a_renewal_is_not_a_cure_or_meeting_notice() -> None:
    text = (
        "The committee shall meet on ten (10) days notice. Either party may terminate if a breach is not cured "
        "within thirty (30) days after notice, before the end of the term. This Agreement renews for successive "
        "one-year terms unless either party gives notice of non-renewal at least ninety (90) days prior to the "
        "end of the then-current term."
    )
    assert propose(Toolbox(document(text)))["notice_period_to_terminate_renewal"]["value"] == "ninety (90) days"


def test_no_notice_to_stop_a_renewal_in_an_agreement_that_does_not_renew() -> None:
    text = (
        "This Agreement expires on the third anniversary of the Effective Date. Either party may terminate "
        "this Agreement on sixty (60) days notice prior to the end of the term."
    )
    assert "notice_period_to_terminate_renewal" not in propose(Toolbox(document(text)))


@pytest.mark.parametrize(
    ("text", "term"),
    [
        (  # the agreement's own end, though no word "term" stands next to the period
            "You agree that for a period of one year you will not solicit our staff. This Agreement shall, except "
            "as set forth herein, cease to be effective two years after the date hereof. Notices go by mail.",
            "two years",
        ),
        (  # an anniversary is a term in years; a deadline in days is not a term
            "The receiving party shall return all documents within thirty (30) days of termination. This Agreement "
            "shall terminate on the second (2nd) anniversary of the Effective Date.",
            "second (2nd) anniversary",
        ),
        (  # a survival period counted from termination is not the term
            "This Agreement shall remain in effect for three (3) years from the date of termination of the "
            "discussions. This Agreement shall expire eighteen (18) months from the Effective Date.",
            "eighteen (18) months",
        ),
        (  # "thereafter" counts from the start here; a tail "and for N years thereafter" is not the term
            "The obligations of this Agreement shall continue during its term and for five (5) years thereafter. "
            "This Agreement shall commence on May 1, 2019 and continue in full force for twenty (20) years "
            "thereafter.",
            "twenty (20) years",
        ),
    ],
)
def test_proposal_term_is_how_long_the_agreement_lasts(text: str, term: str) -> None:
    assert propose(Toolbox(document(text)))["term"]["value"] == term


@pytest.mark.parametrize(
    "text",
    [
        "Subject to the other provisions of this Agreement, the term of this Agreement shall commence on the "
        "Effective Date and shall remain in effect until terminated by either Party upon thirty (30) days' prior "
        "written notice.",
        "The term of this Agreement commences on the Effective Date and continues in perpetuity, unless "
        "termination occurs pursuant to Sections 4.2 through 4.4.",
        "This Agreement shall become effective on the date of execution and shall continue in force and effect "
        "for an indefinite term thereafter unless terminated by all the Parties in writing.",
    ],
)
def test_an_agreement_that_lasts_until_terminated_has_a_perpetual_term(text: str) -> None:
    proposal = propose(Toolbox(document(text)))
    assert str(parse_duration(proposal["term"]["value"])) == "perpetual"
    assert "notice_period_to_terminate_renewal" not in proposal


@pytest.mark.parametrize(
    ("text", "term"),
    [
        (  # a fixed term first, then "until terminated": the fixed term is the term
            "This Agreement shall continue for five (5) years and thereafter until terminated by either party.",
            "five (5) years",
        ),
        (  # a merger clause is not the term clause
            "This Agreement is the entire agreement of the parties and shall continue in full force and effect "
            "until terminated by mutual agreement. 9. Term. This Agreement shall remain in full force and effect "
            "for one year from the date hereof.",
            "one year",
        ),
        (  # an open-ended term clause outranks a period said in another clause
            "Licensee may terminate this Agreement if Licensor ceases business for a continuous period of six (6) "
            "months. This Agreement shall become effective on the date of execution and shall continue in force "
            "and effect for an indefinite term unless terminated by the Parties in writing.",
            "for an indefinite term",
        ),
        (  # duties and licenses that outlive the agreement are not its term
            "The confidentiality obligations under this Agreement shall continue indefinitely. The license "
            "granted under this Agreement shall continue in perpetuity.",
            None,
        ),
    ],
)
def test_an_open_ended_term_only_of_the_agreement_and_not_after_a_fixed_one(text: str, term: str | None) -> None:
    assert propose(Toolbox(document(text))).get("term", {}).get("value") == term


def test_no_term_from_deadlines_or_periods_after_termination() -> None:
    text = (
        "Each party shall give notice within ten (10) business days. The obligations of this Agreement shall "
        "survive for two (2) years following termination of this Agreement."
    )
    assert "term" not in propose(Toolbox(document(text)))


@pytest.mark.parametrize(
    ("preamble", "parties"),
    [
        (  # "Inc. (" does not end the sentence; "and," still separates; a lower-case "incorporated"
            "This Agreement is made by and between Acme Widgets Inc. (\u201cAcme\u201d) and, Zenith "
            "incorporated (\u201cZenith\u201d). Acme and Zenith wish to talk.",
            ["Acme Widgets Inc.", "Zenith incorporated"],
        ),
        (  # a defined role mentioned again after "and" is not another party
            'This Agreement is made between Acme Corp. ("Party-1") and Jane Roe ("Party-2"), and Party-2 is '
            "employed by Party-1 as a consultant.",
            ["Acme Corp.", "Jane Roe"],
        ),
    ],
)
def test_preamble_reads_past_suffixes_and_skips_roles(preamble: str, parties: list[str]) -> None:
    assert [c.value for c in find_parties(document(preamble)) if c.kind == "party"] == parties


def test_organisation_names_join_ampersands_and_line_wraps_but_not_prepositions() -> None:
    text = (
        "December 1, 2014\nSmith Home & Garden, Inc.\n12 Main Street\nLadies and Gentlemen: in connection with a "
        "possible transaction involving Northern\nRiver Holdings, Inc. (the \u201cCompany\u201d), we write.\nOF "
        "ACME, INC. AND ITS AFFILIATES"
    )
    found = [c.value for c in find_parties(document(text)) if c.kind == "organisation"]
    assert found == ["Smith Home & Garden, Inc.", "Northern River Holdings, Inc."]


def test_signature_block_labels_are_not_part_of_a_signed_name() -> None:
    letter = "Agreed:\nSignature: /s/ Jane Roe Print Name: Jane Roe\n/s/ John Q. Public By: his agent\n"
    assert [c.value for c in find_parties(document(letter)) if c.kind == "individual"] == ["Jane Roe", "John Q. Public"]


def test_a_date_is_an_expiration_by_the_words_before_it_not_after() -> None:
    text = "The Term shall begin on February 1, 1998 and end on January 26, 1999."
    assert [(c.value, c.label) for c in find_dates(document(text))] == [
        ("February 1, 1998", ""),
        ("January 26, 1999", "expiration"),
    ]


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        (  # the date it is made on, which it calls its effective date: both
            "This Agreement is made as of July 11, 2006 (the \u201cEffective Date\u201d) between A Inc. and B LLC.",
            {"agreement_date": "July 11, 2006", "effective_date": "July 11, 2006"},
        ),
        (  # made on one day, no effective date stated: the date it was made only
            "This Agreement is entered into this 21st day of January 2003 by and between A Inc. and B LLC.",
            {"agreement_date": "21st day of January 2003"},
        ),
        (  # an EDGAR copy's page footer dates the filing, not the signatures above it
            "IN WITNESS WHEREOF the parties sign.\nBy: /s/ Jane Roe\nTitle: President\nSource: ACME CORP, 10-K, "
            "2/21/2014",
            {},
        ),
    ],
)
def test_proposal_dates_the_agreement_and_its_start_as_stated(text: str, dates: dict[str, str]) -> None:
    proposal = propose(Toolbox(document(text)))
    assert {name: proposal[name]["value"] for name in ("agreement_date", "effective_date") if name in proposal} == dates


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("made as of March 9 th , 2014 by", "2014-03-09"),  # a suffix set apart, a space before the comma
        ("entered into this 31st day of May , 2005", "2005-05-31"),
        ("DATE: 3.26.01", "2001-03-26"),
        ("Dated: 5-11-09", "2009-05-11"),
    ],
)
def test_dates_written_with_stray_spaces_dots_or_dashes(text: str, day: str) -> None:
    assert [str(parse_date(c.value)) for c in find_dates(document(text))] == [day]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("This Agreement is dated as of May 1, 2010 by Acme.", "agreement"),
        ("This Agreement (the \u201cAgreement\u201d) is made as of May 1, 2010.", "agreement"),
        ("Subject to the Offer Letter Agreement dated May 1, 2010, you may resign.", "other agreement"),
        ("as defined in the Rights Agreement between Acme Inc. and Bank dated as of May 1, 2010.", "other agreement"),
        ("under that certain Severance Plan effective May 1, 2010 (the \u201cPlan\u201d).", "other agreement"),
        ("the period commencing on May 1, 2010 and ending later.", ""),
        ("IN WITNESS WHEREOF, the parties have executed this agreement this 1st day of May, 2010.", "agreement"),
        ("ACME INC. By: /s/ Jane Roe Dated: May 1, 2010", "signature"),
        ("Portland, OR 97201 ---- Date 5/1/10 ----", "signature"),
    ],
)
def test_date_labels_tell_this_agreement_from_others_it_refers_to(text: str, label: str) -> None:
    assert [c.label for c in find_dates(document(text))] == [label]


def test_proposal_dates_a_letter_at_its_head_else_by_its_last_signature() -> None:
    body = "Dear Sirs:\nYou agree to keep our secrets. " * 30
    signed = "\nACME INC. Signature Date: 4/8/04\nBETA LLC Signature Date: 4/26/04"
    footer = "\nreasonable notice 11/6/2009 CONFIDENTIAL"
    assert propose(Toolbox(document(body + footer, signed)))["agreement_date"]["value"] == "4/26/04"
    letter = "April 2, 2004\nBeta LLC\n" + body + signed
    assert propose(Toolbox(document(letter)))["agreement_date"]["value"] == "April 2, 2004"


def test_the_governing_verb_may_follow_the_place() -> None:
    text = (
        "This Agreement shall be performed in Austin, Texas, and the laws of the State of Texas shall govern its "
        "interpretation. This letter shall be governed by Kansas law. Internal law of the State of Ohio applies."
    )
    found = find_governing_law(document(text))
    assert [(c.value, c.label) for c in found] == [
        ("Texas", "governing law"),
        ("Kansas", "governing law"),
        ("Ohio", "governing law"),
    ]


@pytest.mark.parametrize(
    ("text", "parties"),
    [
        (  # a title's "BETWEEN" and a sentence "between you and the Company" list no parties
            "NONDISCLOSURE AGREEMENT BETWEEN THE COMPANY & ACME\nThe relationship between you and the Company is "
            "one of trust. This Agreement is made by and between Acme Corp. (\u201cAcme\u201d) and Beta LLC.",
            ["Acme Corp.", "Beta LLC"],
        ),
        (  # a heading lists each party with its role in parentheses (no part of the next name), no comma after
            "PARTIES: Jane Q. Roe (EMPLOYEE) ACME, Inc., an Oregon corporation, and its affiliates (ACME) "
            "DATE: May 1, 2010",
            ["Jane Q. Roe", "ACME, Inc."],
        ),
        (  # "St." begins a name; "Sr." and "III" end one; brands in lower case; a lower-case "plc"
            "This Agreement is made among Epsilon plc (\u201cEpsilon\u201d), St. Denis J. Villere & Company, "
            "L.L.C. (\u201cVillere\u201d), nStor Corporation, Inc. (\u201cnStor\u201d), THOMAS W. MILLS, SR. "
            "(\u201cMills\u201d) and John Doe, III (\u201cDoe\u201d).",
            [
                "Epsilon plc",
                "St. Denis J. Villere & Company, L.L.C.",
                "nStor Corporation, Inc.",
                "THOMAS W. MILLS, SR.",
                "John Doe, III",
            ],
        ),
        (  # more than five parties
            "This Agreement is made between Alpha Inc. (\u201cA\u201d), Beta Inc. (\u201cB\u201d), Gamma Inc. "
            "(\u201cC\u201d), Delta Inc. (\u201cD\u201d), Epsilon Inc. (\u201cE\u201d) and Zeta Inc. (\u201cZ\u201d).",
            ["Alpha Inc.", "Beta Inc.", "Gamma Inc.", "Delta Inc.", "Epsilon Inc.", "Zeta Inc."],
        ),
    ],
)
def test_preamble_lists_only_the_parties_named_in_full(text: str, parties: list[str]) -> None:
    assert [c.value for c in find_parties(document(text)) if c.kind == "party"] == parties


def test_organisation_names_begin_at_a_name_and_are_found_once() -> None:
    text = (
        "L. B. FOSTER COMPANY\n1. Acme Holdings LLC\nWe, as trustee and the group, agree. Acme Holdings, LLC will "
        "pay. Full Satisfaction. Omega and Company releases its claims."
    )
    found = [c.value for c in find_parties(document(text)) if c.kind == "organisation"]
    assert found == ["L. B. FOSTER COMPANY", "Acme Holdings LLC", "Omega and Company"]


def test_signed_names_go_on_after_an_apostrophe() -> None:
    letter = "Date: 11/4/10\n/s/ Raymond L. O\u2019Brien\n"
    assert [c.value for c in find_parties(document(letter)) if c.kind == "individual"] == ["Raymond L. O\u2019Brien"]


def test_a_letter_s_parties_are_the_organisations_that_sign_it() -> None:
    letter = (
        "May 1, 2010\nAlpha Capital LLC\nDear Sirs:\nIn connection with a possible transaction involving Beta "
        "Inc. and its parent, Gamma Holdings, Inc., you will receive information. Our adviser, Delta Partners "
        "LLC, will help.\n"
        + "You agree to keep it secret. " * 100
        + "\nVery truly yours,\nBETA INC.\nBy: /s/ Jane Roe\nAccepted: ALPHA CAPITAL LLC\nBy: /s/ John Doe"
    )
    assert [p["name"] for p in propose(Toolbox(document(letter)))["parties"]] == ["Alpha Capital LLC", "Beta Inc."]


@pytest.mark.parametrize(
    ("text", "parties"),
    [
        (  # a word in parentheses inside a name; "England and Wales" is where a party was formed
            "This Alliance Agreement is made by and between Delta Optics (UK) Ltd., a company organised under the "
            "laws of England and Wales, having its office in Reading (\u201cDELTA\u201d) and Omicron Corporation, a "
            "Delaware corporation (\u201cOMICRON\u201d).",
            ["Delta Optics (UK) Ltd.", "Omicron Corporation"],
        ),
        (  # "A/S" is a legal form, and a name ends with it: "of" gives the address
            "RESEARCH AGREEMENT\nbetween\nNORDLYS PHARMA A/S of Havnegade 12, Aarhus (\u201cNORDLYS\u201d)\nand\n"
            "KESTREL (LABS) LIMITED of 9 Quay Street, Cork (\u201cKESTREL\u201d).",
            ["NORDLYS PHARMA A/S", "KESTREL (LABS) LIMITED"],
        ),
        (  # "BETWEEN:" and "AND:" head each party; a period before "AND:" ends no sentence
            "This Supply Agreement is effective March 3, 2017, BETWEEN: HALCYON MOTORS CORP., a company of "
            "Ontario, with an office at 12 King St., Toronto, ON 02134.\nAND: ZEPHYR PARTS CO., LTD., a company of "
            "China (\u201cSupplier\u201d).",
            ["HALCYON MOTORS CORP.", "ZEPHYR PARTS CO., LTD."],
        ),
    ],
)
def test_preamble_names_with_parentheses_legal_forms_and_colon_headings(text: str, parties: list[str]) -> None:
    assert [c.value for c in find_parties(document(text)) if c.kind == "party"] == parties


def test_an_organisation_is_more_than_its_legal_form() -> None:
    text = "Party A: Lumen Network (Suzhou) Co., Ltd.\nParty B: Orchid Data Technology (Beijing) Co., Ltd.\n"
    assert [c.value for c in find_parties(document(text))] == [
        "Lumen Network (Suzhou) Co., Ltd.",
        "Orchid Data Technology (Beijing) Co., Ltd.",
    ]

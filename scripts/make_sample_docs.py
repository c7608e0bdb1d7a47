"""Write the invented sample contracts in `sample_docs/` and, beside each, `<stem>.expected.json`.

Every company, person and clause below is invented for this project. Output is deterministic:
fixed PDF creation dates and fixed DOCX zip timestamps make reruns byte-identical with the same
fpdf2 / python-docx versions.

Each expected file holds the pipeline outcome (`status`, `violations`), the normalised values
(`fields`, the shape of `ContractFields.plain()`) and `answer`: what an ideal model returns in the
draft schema, with every quote checked against the text the parsers extract (whitespace collapsed).

    .venv/bin/python scripts/make_sample_docs.py [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import docx
from fpdf import FPDF

from pipeline.extract import ContractDraft
from pipeline.parse import parse_file

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "sample_docs"
FIXED_TIME = datetime(2025, 1, 1, tzinfo=UTC)
FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)

# The LLM-facing draft the pipeline asks for; answers must use exactly its keys.
DRAFT_KEYS = tuple(ContractDraft.model_fields)

Block = tuple[Literal["title", "h", "p", "sig"], str]
Format = Literal["pdf", "docx", "txt"]


def squash(text: str) -> str:
    """Collapse whitespace runs: PDF line wrapping must not decide whether a quote matches."""
    return " ".join(text.split())


def dur(amount: int, unit: str) -> dict[str, Any]:
    return {"amount": amount, "unit": unit, "perpetual": False}


def money(amount: str, currency: str) -> dict[str, str]:
    # Always two decimals: the string form of the Decimal the pipeline should produce.
    return {"amount": amount, "currency": currency}


@dataclass
class Sample:
    stem: str
    fmt: Format
    blocks: list[Block]
    status: str
    violations: list[str]
    fields: dict[str, Any]
    # draft field -> (value as written, quote); a missing key means the ideal answer is null
    answer: dict[str, tuple[str, str]]
    parties: list[tuple[str, str, str]]  # (name, role, quote)
    exercises: str
    min_pages: int = 1
    late_fields: tuple[str, ...] = field(default=())  # fields that must sit on page 2 or later


# --- shared clause text (invented) ---------------------------------------------------------------


def witness(sig_a: str, sig_b: str, lead: str = "as of the Effective Date") -> list[Block]:
    return [
        (
            "p",
            f"IN WITNESS WHEREOF, the parties have caused this Agreement to be executed by their duly "
            f"authorized representatives {lead}.",
        ),
        ("sig", sig_a),
        ("sig", sig_b),
    ]


def confidentiality(n: int, a: str, b: str) -> list[Block]:
    return [
        ("h", f"{n}. Confidentiality"),
        (
            "p",
            f'{n}.1 Each party (the "Receiving Party") shall hold in confidence all non-public business, '
            'technical and financial information disclosed by the other party (the "Disclosing Party") '
            "that is marked as confidential or that a reasonable person would understand to be "
            "confidential, and shall use such information solely to perform its obligations or exercise "
            "its rights under this Agreement.",
        ),
        (
            "p",
            f"{n}.2 The obligations in this Section do not apply to information that is or becomes publicly "
            "available through no fault of the Receiving Party, was lawfully known to the Receiving Party "
            "before disclosure, is independently developed without use of the Disclosing Party's "
            "information, or is rightfully received from a third party without a duty of confidence.",
        ),
        (
            "p",
            f"{n}.3 Upon written request, {a} and {b} shall each return or destroy the other's confidential "
            "information, except for copies retained in routine backups or as required by law, which "
            "remain subject to this Section.",
        ),
    ]


def liability(n: int) -> list[Block]:
    return [
        ("h", f"{n}. Limitation of Liability"),
        (
            "p",
            f"{n}.1 EXCEPT FOR BREACH OF CONFIDENTIALITY OR A PARTY'S INDEMNIFICATION OBLIGATIONS, NEITHER "
            "PARTY SHALL BE LIABLE FOR ANY INDIRECT, INCIDENTAL, SPECIAL, CONSEQUENTIAL OR PUNITIVE "
            "DAMAGES, OR FOR LOST PROFITS OR REVENUE, ARISING OUT OF THIS AGREEMENT.",
        ),
        (
            "p",
            f"{n}.2 EACH PARTY'S AGGREGATE LIABILITY UNDER THIS AGREEMENT SHALL NOT EXCEED THE AMOUNTS PAID "
            "OR PAYABLE UNDER THIS AGREEMENT DURING THE TWELVE (12) MONTHS PRECEDING THE EVENT GIVING "
            "RISE TO THE CLAIM.",
        ),
    ]


def general(n: int, extra: list[str] | None = None) -> list[Block]:
    items = [
        "Notices. Notices under this Agreement shall be in writing and delivered by hand, by recognized "
        "overnight courier, or by email with confirmation of receipt, to the addresses set out above or "
        "such other address as a party designates by notice.",
        "Assignment. Neither party may assign this Agreement without the prior written consent of the other "
        "party, except to a successor in connection with a merger or sale of substantially all of its "
        "assets, provided the successor assumes this Agreement in writing.",
        "Force Majeure. Neither party is liable for a delay or failure to perform caused by events beyond "
        "its reasonable control, other than payment obligations, provided it gives prompt notice and uses "
        "reasonable efforts to resume performance.",
        "Entire Agreement. This Agreement, together with its exhibits, is the entire agreement of the "
        "parties on its subject matter and supersedes all prior proposals and understandings. It may be "
        "amended only by a writing signed by both parties.",
        "Severability; Counterparts. If any provision is held unenforceable, the remainder stays in effect. "
        "This Agreement may be executed in counterparts, including by electronic signature, each of which "
        "is an original.",
    ]
    items += extra or []
    blocks: list[Block] = [("h", f"{n}. General Provisions")]
    return blocks + [("p", f"{n}.{i} {t}") for i, t in enumerate(items, 1)]


# --- the samples ---------------------------------------------------------------------------------


def sample_msa() -> Sample:
    preamble = (
        'This Master Services Agreement (the "Agreement") is entered into as of March 1, 2025 (the '
        '"Effective Date") by and between Northwind Analytics, Inc., a Delaware corporation with its '
        'principal office at 410 Harbor Street, Boston, Massachusetts 02110 ("Client"), and Larkspur Data '
        "Systems LLC, a New York limited liability company with offices at 88 Canal Row, Albany, New York "
        '12207 ("Provider").'
    )
    blocks: list[Block] = [
        ("title", "MASTER SERVICES AGREEMENT"),
        ("p", preamble),
        ("h", "RECITALS"),
        (
            "p",
            "WHEREAS, Provider designs, hosts and operates data integration and reporting services for "
            "mid-market retailers; and",
        ),
        (
            "p",
            "WHEREAS, Client wishes to engage Provider to provide such services on the terms and "
            "conditions set out in this Agreement;",
        ),
        (
            "p",
            "NOW, THEREFORE, in consideration of the mutual covenants contained herein, and for other good "
            "and valuable consideration, the receipt and sufficiency of which are hereby acknowledged, the "
            "parties agree as follows:",
        ),
        ("h", "1. Definitions"),
        (
            "p",
            '1.1 "Deliverables" means the reports, dashboards, data pipelines, documentation and other '
            "work product that Provider prepares for Client under a Statement of Work.",
        ),
        (
            "p",
            '1.2 "Statement of Work" or "SOW" means a document executed by both parties that references '
            "this Agreement and describes specific Services, milestones, acceptance criteria and fees.",
        ),
        (
            "p",
            '1.3 "Services" means the data integration, hosting, reporting and support services described '
            "in this Agreement and in each SOW.",
        ),
        (
            "p",
            '1.4 "Client Data" means all data, records and files supplied by or on behalf of Client or '
            "generated by the Services from such data.",
        ),
        (
            "p",
            '1.5 "Business Day" means any day other than a Saturday, Sunday or public holiday in the State '
            "of New York.",
        ),
        ("h", "2. Services"),
        (
            "p",
            "2.1 Statements of Work. Provider shall perform the Services described in each SOW. If an SOW "
            "conflicts with this Agreement, this Agreement controls unless the SOW expressly states that a "
            "specific provision of this Agreement is superseded.",
        ),
        (
            "p",
            "2.2 Change Orders. Either party may request changes to the scope of an SOW. No change is binding "
            "until documented in a change order signed by both parties that states any adjustment to the "
            "schedule and fees.",
        ),
        (
            "p",
            "2.3 Personnel. Provider shall assign qualified personnel to perform the Services and shall "
            "replace, within ten (10) Business Days of Client's reasonable written request, any individual "
            "whose performance is unsatisfactory.",
        ),
        (
            "p",
            "2.4 Subcontractors. Provider may use subcontractors only with Client's prior written consent "
            "and remains responsible for their performance as if it were its own.",
        ),
        ("h", "3. Client Responsibilities"),
        (
            "p",
            "3.1 Client shall provide timely access to the systems, information and personnel reasonably "
            "required for Provider to perform the Services, and shall designate a project manager with "
            "authority to make decisions on its behalf.",
        ),
        (
            "p",
            "3.2 Provider is not responsible for delays caused by Client's failure to perform its "
            "responsibilities, and the affected milestones shall be extended accordingly.",
        ),
        ("h", "4. Service Levels"),
        (
            "p",
            "4.1 Provider shall make the hosted reporting environment available at least 99.5% of each "
            "calendar month, excluding scheduled maintenance announced at least two (2) Business Days in "
            "advance.",
        ),
        (
            "p",
            "4.2 If availability falls below the target in any month, Client is entitled to a service credit "
            "of five percent (5%) of that month's fees for each full percentage point below the target, up "
            "to a maximum of twenty-five percent (25%) of that month's fees.",
        ),
        ("h", "5. Term and Renewal"),
        (
            "p",
            "5.1 Initial Term. This Agreement commences on the Effective Date and continues for an initial "
            'term of thirty-six (36) months (the "Initial Term").',
        ),
        (
            "p",
            "5.2 Renewal. Upon expiration of the Initial Term, this Agreement shall automatically renew for "
            'successive renewal periods of twelve (12) months each (each, a "Renewal Term"), unless either '
            "party gives the other written notice of non-renewal at least sixty (60) days before the end of "
            "the then-current term.",
        ),
        (
            "p",
            "5.3 Any SOW in effect when this Agreement expires continues to be governed by this Agreement "
            "until that SOW is completed or terminated.",
        ),
        ("h", "6. Fees and Payment"),
        (
            "p",
            "6.1 Fees. Client shall pay Provider total fees of USD 432,000.00 over the Initial Term, "
            "invoiced monthly in arrears in equal installments of USD 12,000.00.",
        ),
        (
            "p",
            "6.2 Payment Terms. All undisputed invoices are payable Net 30 from the date of receipt. Late "
            "amounts bear interest at the lesser of one percent (1%) per month or the maximum rate "
            "permitted by law.",
        ),
        (
            "p",
            "6.3 Taxes. Fees exclude sales, use and similar taxes, which Client shall pay, other than taxes "
            "on Provider's net income.",
        ),
        (
            "p",
            "6.4 Disputes. Client shall notify Provider of any disputed invoice amount within fifteen (15) "
            "days of receipt, and the parties shall work in good faith to resolve the dispute.",
        ),
        *confidentiality(7, "Client", "Provider"),
        ("h", "8. Warranties"),
        (
            "p",
            "8.1 Provider warrants that the Services will be performed in a professional and workmanlike "
            "manner consistent with generally accepted industry standards.",
        ),
        (
            "p",
            "8.2 EXCEPT AS EXPRESSLY STATED IN THIS AGREEMENT, NEITHER PARTY MAKES ANY OTHER WARRANTY, "
            "EXPRESS OR IMPLIED, INCLUDING ANY WARRANTY OF MERCHANTABILITY OR FITNESS FOR A PARTICULAR "
            "PURPOSE.",
        ),
        *liability(9),
        ("h", "10. Indemnification"),
        (
            "p",
            "10.1 Provider shall defend Client against any third-party claim alleging that the Deliverables "
            "infringe a United States patent, copyright or trademark, and shall pay the damages and costs "
            "finally awarded against Client in respect of such claim.",
        ),
        (
            "p",
            "10.2 Client shall defend Provider against any third-party claim arising from Client Data or "
            "from Client's use of the Services in breach of this Agreement.",
        ),
        ("h", "11. Termination"),
        (
            "p",
            "11.1 Either party may terminate this Agreement upon written notice if the other party "
            "materially breaches it and fails to cure the breach within thirty (30) days after notice.",
        ),
        (
            "p",
            "11.2 Upon termination, Client shall pay for Services performed through the termination date, "
            "and Provider shall return Client Data in a commonly used format within thirty (30) days.",
        ),
        ("h", "12. Governing Law"),
        (
            "p",
            "12.1 This Agreement shall be governed by and construed in accordance with the laws of the State "
            "of New York, without regard to its conflict of laws principles.",
        ),
        (
            "p",
            "12.2 The state and federal courts located in New York County, New York have exclusive "
            "jurisdiction over any action arising out of this Agreement.",
        ),
        *general(13),
        *witness(
            "NORTHWIND ANALYTICS, INC.\nBy: /s/ Eleanor Voss\nName: Eleanor Voss\n"
            "Title: Chief Operating Officer\nDate: March 1, 2025",
            "LARKSPUR DATA SYSTEMS LLC\nBy: /s/ Marcus Delacroix\nName: Marcus Delacroix\n"
            "Title: Managing Member\nDate: February 27, 2025",
        ),
    ]
    return Sample(
        stem="01_msa_northwind_larkspur",
        fmt="pdf",
        blocks=blocks,
        status="posted",
        violations=[],
        fields={
            "title": "Master Services Agreement",
            "contract_type": "Services",
            "parties": [
                {"name": "Northwind Analytics, Inc.", "role": "Client"},
                {"name": "Larkspur Data Systems LLC", "role": "Provider"},
            ],
            "agreement_date": "2025-03-01",
            "effective_date": "2025-03-01",
            "expiration_date": None,
            "term": dur(36, "month"),
            "renewal_term": dur(12, "month"),
            "notice_period_to_terminate_renewal": dur(60, "day"),
            "auto_renewal": True,
            "governing_law": "New York",
            "total_value": money("432000.00", "USD"),
            "payment_terms": "Net 30",
        },
        answer={
            "title": ("Master Services Agreement", "MASTER SERVICES AGREEMENT"),
            "contract_type": ("Services", 'This Master Services Agreement (the "Agreement")'),
            "agreement_date": ("March 1, 2025", "is entered into as of March 1, 2025"),
            "effective_date": ("March 1, 2025", 'as of March 1, 2025 (the "Effective Date")'),
            "term": ("thirty-six (36) months", "initial term of thirty-six (36) months"),
            "renewal_term": ("twelve (12) months", "successive renewal periods of twelve (12) months each"),
            "notice_period_to_terminate_renewal": (
                "sixty (60) days",
                "written notice of non-renewal at least sixty (60) days before the end of the then-current term",
            ),
            "auto_renewal": ("yes", "this Agreement shall automatically renew"),
            "governing_law": (
                "New York",
                "governed by and construed in accordance with the laws of the State of New York",
            ),
            "total_value": ("USD 432,000.00", "total fees of USD 432,000.00 over the Initial Term"),
            "payment_terms": ("Net 30", "All undisputed invoices are payable Net 30 from the date of receipt"),
        },
        parties=[
            ("Northwind Analytics, Inc.", "Client", "Northwind Analytics, Inc., a Delaware corporation"),
            (
                "Larkspur Data Systems LLC",
                "Provider",
                "Larkspur Data Systems LLC, a New York limited liability company",
            ),
        ],
        exercises="Clean four-page MSA; term, fees and governing law sit on pages 2-3. USD, Net 30, "
        "36-month term auto-renewing for 12 months with 60 days' notice.",
        min_pages=3,
        late_fields=("term", "renewal_term", "total_value", "payment_terms", "governing_law"),
    )


def sample_saas_eur() -> Sample:
    blocks: list[Block] = [
        ("title", "SOFTWARE SUBSCRIPTION AGREEMENT"),
        (
            "p",
            'This Software Subscription Agreement (the "Agreement") is made on this 15th day of January, '
            '2025 and shall become effective on the 1st day of February, 2025 (the "Effective Date"), '
            "by and between Brightwater Logistics GmbH, a limited liability company organised under the laws "
            'of Germany with its registered office at Hafenstrasse 12, 20457 Hamburg ("Customer"), and '
            "Cobalt Cloud Software B.V., a private limited company incorporated in the Netherlands with its "
            'registered office at Keizersgracht 301, 1016 ED Amsterdam ("Vendor").',
        ),
        ("h", "Background"),
        ("p", "(A) Vendor provides a hosted fleet-routing and warehouse-visibility platform known as CobaltRoute."),
        (
            "p",
            "(B) Customer wishes to subscribe to CobaltRoute for use by its dispatch and warehouse teams, and "
            "Vendor is willing to provide it on the terms of this Agreement.",
        ),
        ("h", "1. Subscription"),
        (
            "p",
            "1.1 Vendor grants Customer a non-exclusive, non-transferable right during the Subscription Term "
            "to access and use CobaltRoute for its internal business purposes, for up to 250 named users.",
        ),
        (
            "p",
            "1.2 Customer shall not resell, sublicense or reverse engineer CobaltRoute, or use it to build a "
            "competing product.",
        ),
        (
            "p",
            "1.3 Vendor shall provide support by email and telephone between 08:00 and 18:00 CET on business "
            "days and shall respond to critical incidents within two (2) hours.",
        ),
        ("h", "2. Subscription Term"),
        (
            "p",
            "2.1 The initial subscription term is twenty-four (24) months from the Effective Date (the "
            '"Initial Subscription Term").',
        ),
        (
            "p",
            "2.2 Thereafter the Agreement renews automatically for further periods of twelve (12) months, "
            "unless either party terminates it by giving at least three (3) months' written notice prior to "
            "the end of the then-current term.",
        ),
        ("h", "3. Fees"),
        (
            "p",
            "3.1 The total subscription fee for the Initial Subscription Term is EUR 84,000.00 (eighty-four "
            "thousand euros), exclusive of VAT, invoiced annually in advance in two equal instalments.",
        ),
        (
            "p",
            "3.2 Invoices are payable net 45 days from the date of invoice by bank transfer to the account "
            "stated on the invoice.",
        ),
        (
            "p",
            "3.3 Vendor may increase the fees for any renewal period by no more than five percent (5%) by "
            "giving notice at least ninety (90) days before that renewal period begins.",
        ),
        ("h", "4. Data Protection"),
        (
            "p",
            "4.1 Vendor processes personal data on behalf of Customer only in accordance with the data "
            "processing agreement attached as Schedule 2, which forms part of this Agreement.",
        ),
        ("p", "4.2 Vendor hosts Customer data exclusively in data centres located in the European Economic Area."),
        *liability(5),
        ("h", "6. Governing Law and Jurisdiction"),
        (
            "p",
            "6.1 This Agreement and any non-contractual obligations arising from it are governed by the laws "
            "of the Federal Republic of Germany, excluding the UN Convention on Contracts for the "
            "International Sale of Goods.",
        ),
        ("p", "6.2 The courts of Hamburg, Germany shall have exclusive jurisdiction."),
        *general(7),
        *witness(
            "For BRIGHTWATER LOGISTICS GMBH\nSigned: /s/ Katrin Albers\nName: Katrin Albers\n"
            "Position: Managing Director\nPlace and date: Hamburg, 15 January 2025",
            "For COBALT CLOUD SOFTWARE B.V.\nSigned: /s/ Joris van Dijk\nName: Joris van Dijk\n"
            "Position: Chief Executive Officer\nPlace and date: Amsterdam, 15 January 2025",
            lead="on the dates written below",
        ),
    ]
    return Sample(
        stem="02_saas_subscription_eur",
        fmt="pdf",
        blocks=blocks,
        status="posted",
        violations=[],
        fields={
            "title": "Software Subscription Agreement",
            "contract_type": "Subscription",
            "parties": [
                {"name": "Brightwater Logistics GmbH", "role": "Customer"},
                {"name": "Cobalt Cloud Software B.V.", "role": "Vendor"},
            ],
            "agreement_date": "2025-01-15",
            "effective_date": "2025-02-01",
            "expiration_date": None,
            "term": dur(24, "month"),
            "renewal_term": dur(12, "month"),
            "notice_period_to_terminate_renewal": dur(3, "month"),
            "auto_renewal": True,
            "governing_law": "Germany",
            "total_value": money("84000.00", "EUR"),
            "payment_terms": "Net 45",
        },
        answer={
            "title": ("Software Subscription Agreement", "SOFTWARE SUBSCRIPTION AGREEMENT"),
            "contract_type": ("Subscription", "This Software Subscription Agreement"),
            "agreement_date": ("15th day of January, 2025", "is made on this 15th day of January, 2025"),
            "effective_date": (
                "1st day of February, 2025",
                'shall become effective on the 1st day of February, 2025 (the "Effective Date")',
            ),
            "term": ("twenty-four (24) months", "The initial subscription term is twenty-four (24) months"),
            "renewal_term": ("twelve (12) months", "renews automatically for further periods of twelve (12) months"),
            "notice_period_to_terminate_renewal": ("three (3) months", "at least three (3) months' written notice"),
            "auto_renewal": ("yes", "the Agreement renews automatically"),
            "governing_law": ("Germany", "governed by the laws of the Federal Republic of Germany"),
            "total_value": (
                "EUR 84,000.00",
                "The total subscription fee for the Initial Subscription Term is EUR 84,000.00",
            ),
            "payment_terms": ("Net 45", "Invoices are payable net 45 days from the date of invoice"),
        },
        parties=[
            (
                "Brightwater Logistics GmbH",
                "Customer",
                "Brightwater Logistics GmbH, a limited liability company organised under the laws of Germany",
            ),
            (
                "Cobalt Cloud Software B.V.",
                "Vendor",
                "Cobalt Cloud Software B.V., a private limited company incorporated in the Netherlands",
            ),
        ],
        exercises="Clean EUR subscription (German law). Agreement date and effective date differ and are "
        'written as "15th day of January, 2025"; notice period in months.',
    )


def sample_nda() -> Sample:
    blocks: list[Block] = [
        ("title", "MUTUAL NON-DISCLOSURE AGREEMENT"),
        (
            "p",
            'This Mutual Non-Disclosure Agreement (the "Agreement") is entered into as of April 7, 2025 '
            '(the "Effective Date") by and between Quillfeather Robotics, Inc., a Delaware corporation '
            '("Company"), and Marrowstone Biotech Corp., a Massachusetts corporation ("Counterparty"). '
            'Company and Counterparty are each a "Party" and together the "Parties".',
        ),
        ("h", "Recitals"),
        (
            "p",
            "The Parties wish to explore a potential collaboration on automated laboratory sample handling "
            '(the "Purpose") and, in doing so, expect to exchange confidential information.',
        ),
        ("h", "1. Confidential Information"),
        (
            "p",
            '1.1 "Confidential Information" means any information disclosed by a Party (the "Discloser") '
            'to the other Party (the "Recipient"), whether orally, visually or in writing, that is '
            "designated as confidential or that ought reasonably to be treated as confidential, including "
            "designs, source code, assay protocols, pricing and business plans.",
        ),
        (
            "p",
            "1.2 Confidential Information does not include information that is or becomes public through no "
            "act of the Recipient, that the Recipient already knew without restriction, that the Recipient "
            "develops independently, or that a third party lawfully provides without restriction.",
        ),
        ("h", "2. Obligations"),
        (
            "p",
            "2.1 The Recipient shall use the Discloser's Confidential Information only for the Purpose, "
            "shall protect it with at least the care it uses for its own similar information and no less "
            "than reasonable care, and shall disclose it only to its employees and advisers who need to "
            "know it for the Purpose and are bound by duties of confidentiality.",
        ),
        (
            "p",
            "2.2 If the Recipient is required by law to disclose Confidential Information, it shall give the "
            "Discloser prompt notice, where lawful, so that the Discloser may seek a protective order.",
        ),
        (
            "p",
            "2.3 No licence or other right is granted under any patent, copyright or other intellectual "
            "property of either Party, except the limited right to use Confidential Information for the "
            "Purpose.",
        ),
        ("h", "3. Term"),
        (
            "p",
            "3.1 This Agreement remains in effect for a period of two (2) years from the Effective Date. "
            "Obligations of confidentiality survive for three (3) years after this Agreement ends.",
        ),
        (
            "p",
            "3.2 Either Party may end discussions at any time; upon written request the Recipient shall "
            "return or destroy the Discloser's Confidential Information.",
        ),
        ("h", "4. No Payment; No Obligation"),
        (
            "p",
            "4.1 No fees are payable under this Agreement. Nothing in this Agreement obliges either Party to "
            "enter into any further agreement or transaction.",
        ),
        ("h", "5. Governing Law"),
        (
            "p",
            "5.1 This Agreement is governed by the laws of the State of Delaware, and the Parties submit to "
            "the exclusive jurisdiction of the state and federal courts located in Wilmington, Delaware.",
        ),
        ("h", "6. Remedies"),
        (
            "p",
            "6.1 Each Party acknowledges that unauthorised disclosure may cause irreparable harm, for which "
            "the Discloser may seek injunctive relief in addition to any other remedy.",
        ),
        *witness(
            "QUILLFEATHER ROBOTICS, INC.\nBy: /s/ Priya Raman\nName: Priya Raman\nTitle: General Counsel\n"
            "Date: April 7, 2025",
            "MARROWSTONE BIOTECH CORP.\nBy: /s/ Daniel Okafor\nName: Daniel Okafor\n"
            "Title: Vice President, Business Development\nDate: April 8, 2025",
        ),
    ]
    return Sample(
        stem="03_mutual_nda",
        fmt="docx",
        blocks=blocks,
        status="posted",
        violations=[],
        fields={
            "title": "Mutual Non-Disclosure Agreement",
            "contract_type": "Non-Disclosure",
            "parties": [
                {"name": "Quillfeather Robotics, Inc.", "role": "Company"},
                {"name": "Marrowstone Biotech Corp.", "role": "Counterparty"},
            ],
            "agreement_date": "2025-04-07",
            "effective_date": "2025-04-07",
            "expiration_date": None,
            "term": dur(2, "year"),
            "renewal_term": None,
            "notice_period_to_terminate_renewal": None,
            "auto_renewal": None,
            "governing_law": "Delaware",
            "total_value": None,
            "payment_terms": None,
        },
        answer={
            "title": ("Mutual Non-Disclosure Agreement", "MUTUAL NON-DISCLOSURE AGREEMENT"),
            "contract_type": ("Non-Disclosure", "This Mutual Non-Disclosure Agreement"),
            "agreement_date": ("April 7, 2025", "is entered into as of April 7, 2025"),
            "effective_date": ("April 7, 2025", 'as of April 7, 2025 (the "Effective Date")'),
            "term": ("two (2) years", "remains in effect for a period of two (2) years from the Effective Date"),
            "governing_law": ("Delaware", "governed by the laws of the State of Delaware"),
        },
        parties=[
            ("Quillfeather Robotics, Inc.", "Company", "Quillfeather Robotics, Inc., a Delaware corporation"),
            ("Marrowstone Biotech Corp.", "Counterparty", "Marrowstone Biotech Corp., a Massachusetts corporation"),
        ],
        exercises="Clean DOCX NDA: no monetary value and no payment terms, renewal not mentioned (auto_renewal null).",
    )


def sample_consulting_txt() -> Sample:
    blocks: list[Block] = [
        ("title", "CONSULTING SERVICES AGREEMENT"),
        (
            "p",
            'This Consulting Services Agreement (this "Agreement") is dated 2025-02-20 and is effective as '
            'of 2025-03-01 (the "Effective Date"), between Harrowgate Retail Holdings Corp., an Ontario '
            "corporation having its head office at 2200 Front Street West, Toronto, Ontario M5V 3K2 "
            '("Client"), and Tessellate Advisory Partners LLP, an Ontario limited liability partnership '
            '("Consultant").',
        ),
        ("h", "BACKGROUND"),
        ("p", "A. Client operates 140 grocery and pharmacy stores and is replacing its store replenishment system."),
        (
            "p",
            "B. Consultant has expertise in retail supply-chain planning and has agreed to advise Client on "
            "the selection and rollout of the replacement system.",
        ),
        ("h", "1. SERVICES"),
        (
            "p",
            "1.1 Consultant shall provide the advisory services described in Schedule A, including vendor "
            'evaluation, process design workshops and rollout support (the "Services").',
        ),
        (
            "p",
            "1.2 Consultant shall provide the Services through the named individuals in Schedule A and shall "
            "not substitute them without Client's consent, which shall not be unreasonably withheld.",
        ),
        ("h", "2. TERM"),
        (
            "p",
            "2.1 The Services begin on the Effective Date and this Agreement expires on 2025-12-31, unless "
            "terminated earlier under Section 5.",
        ),
        (
            "p",
            "2.2 This Agreement does not renew automatically. Any extension must be agreed in a written "
            "amendment signed by both parties before the expiry date.",
        ),
        ("h", "3. FEES AND INVOICING"),
        (
            "p",
            "3.1 Client shall pay Consultant a fixed fee of CAD 96,000.00 for the Services, plus applicable "
            "HST, invoiced in ten equal monthly instalments.",
        ),
        (
            "p",
            "3.2 Each invoice is due Net 15 after Client receives it. Reasonable pre-approved travel "
            "expenses are reimbursed at cost.",
        ),
        ("h", "4. INDEPENDENT CONTRACTOR"),
        (
            "p",
            "4.1 Consultant is an independent contractor. Nothing in this Agreement creates an employment, "
            "partnership or agency relationship, and Consultant is responsible for its own taxes and "
            "statutory remittances.",
        ),
        ("h", "5. TERMINATION"),
        (
            "p",
            "5.1 Client may terminate this Agreement for convenience on fifteen (15) days' written notice "
            "and shall pay for Services performed up to the termination date.",
        ),
        ("h", "6. GOVERNING LAW"),
        (
            "p",
            "6.1 This Agreement is governed by the laws of the Province of Ontario and the federal laws of "
            "Canada applicable therein.",
        ),
        *witness(
            "HARROWGATE RETAIL HOLDINGS CORP.\nPer: /s/ Gwen Thorsby\nName: Gwen Thorsby\n"
            "Title: Chief Financial Officer\nDate: 2025-02-20",
            "TESSELLATE ADVISORY PARTNERS LLP\nPer: /s/ Arjun Mehta\nName: Arjun Mehta\nTitle: Partner\n"
            "Date: 2025-02-21",
        ),
    ]
    return Sample(
        stem="04_consulting_fixed_term",
        fmt="txt",
        blocks=blocks,
        status="posted",
        violations=[],
        fields={
            "title": "Consulting Services Agreement",
            "contract_type": "Consulting",
            "parties": [
                {"name": "Harrowgate Retail Holdings Corp.", "role": "Client"},
                {"name": "Tessellate Advisory Partners LLP", "role": "Consultant"},
            ],
            "agreement_date": "2025-02-20",
            "effective_date": "2025-03-01",
            "expiration_date": "2025-12-31",
            "term": None,
            "renewal_term": None,
            "notice_period_to_terminate_renewal": None,
            "auto_renewal": False,
            "governing_law": "Ontario",
            "total_value": money("96000.00", "CAD"),
            "payment_terms": "Net 15",
        },
        answer={
            "title": ("Consulting Services Agreement", "CONSULTING SERVICES AGREEMENT"),
            "contract_type": ("Consulting", "This Consulting Services Agreement"),
            "agreement_date": ("2025-02-20", "is dated 2025-02-20"),
            "effective_date": ("2025-03-01", 'is effective as of 2025-03-01 (the "Effective Date")'),
            "expiration_date": ("2025-12-31", "this Agreement expires on 2025-12-31"),
            "auto_renewal": ("no", "This Agreement does not renew automatically."),
            "governing_law": ("Ontario", "governed by the laws of the Province of Ontario"),
            "total_value": ("CAD 96,000.00", "a fixed fee of CAD 96,000.00"),
            "payment_terms": ("Net 15", "Each invoice is due Net 15 after Client receives it."),
        },
        parties=[
            ("Harrowgate Retail Holdings Corp.", "Client", "Harrowgate Retail Holdings Corp., an Ontario corporation"),
            (
                "Tessellate Advisory Partners LLP",
                "Consultant",
                "Tessellate Advisory Partners LLP, an Ontario limited liability partnership",
            ),
        ],
        exercises="Clean plain-text fixed-term contract: ISO dates, explicit expiration date, "
        "no auto-renewal (false), CAD, Ontario law.",
    )


def sample_lease_over_limit() -> Sample:
    blocks: list[Block] = [
        ("title", "EQUIPMENT LEASE AGREEMENT"),
        (
            "p",
            'THIS EQUIPMENT LEASE AGREEMENT (the "Agreement") is entered into as of the 2nd day of June, '
            '2025 (the "Effective Date") by and between Summit Ridge Equipment Finance, Inc., a Delaware '
            'corporation ("Lessor"), and Ironbridge Fabrication Co., a Texas corporation with its principal '
            'place of business at 7700 Mill Creek Road, Fort Worth, Texas 76106 ("Lessee").',
        ),
        ("h", "RECITALS"),
        (
            "p",
            "WHEREAS, Lessee operates a structural steel fabrication plant and requires additional laser "
            "cutting and robotic welding capacity; and",
        ),
        (
            "p",
            "WHEREAS, Lessor has agreed to acquire the equipment described in Schedule 1 (the "
            '"Equipment") and to lease it to Lessee on the terms of this Agreement.',
        ),
        ("p", "NOW, THEREFORE, the parties agree as follows:"),
        ("h", "1. Lease of Equipment"),
        (
            "p",
            "1.1 Lessor leases the Equipment to Lessee, and Lessee leases the Equipment from Lessor, for use "
            "solely at Lessee's facility in Fort Worth, Texas. Title to the Equipment remains with Lessor "
            "at all times.",
        ),
        (
            "p",
            "1.2 Lessee shall keep the Equipment free of liens, shall not relocate it without Lessor's "
            "written consent, and shall permit Lessor to inspect it during normal business hours on "
            "reasonable notice.",
        ),
        ("h", "2. Delivery and Acceptance"),
        (
            "p",
            "2.1 Lessee shall inspect the Equipment on delivery and shall sign a certificate of acceptance "
            "within five (5) business days. Signing the certificate confirms that the Equipment is in good "
            "working order.",
        ),
        ("h", "3. Maintenance and Insurance"),
        (
            "p",
            "3.1 Lessee shall maintain the Equipment in accordance with the manufacturer's recommendations "
            "at its own cost and shall keep maintenance records available for inspection.",
        ),
        (
            "p",
            "3.2 Lessee shall insure the Equipment against all risks of loss or damage for its full "
            "replacement value, naming Lessor as loss payee, and shall maintain commercial general "
            "liability insurance of at least USD 5,000,000 per occurrence.",
        ),
        ("h", "4. Lease Term and Renewal"),
        ("p", '4.1 The lease term is sixty (60) months, beginning on the Effective Date (the "Base Term").'),
        (
            "p",
            "4.2 At the end of the Base Term the lease will renew automatically for consecutive one (1) year "
            "periods unless Lessee notifies Lessor in writing no later than ninety (90) days before the "
            "term ends that it elects to return the Equipment.",
        ),
        ("h", "5. Rent and Payment"),
        (
            "p",
            "5.1 Aggregate rent payable over the Base Term is $2,450,000.00, payable in sixty (60) monthly "
            "installments of $40,833.33 each, with the final installment adjusted for rounding.",
        ),
        (
            "p",
            "5.2 Lessor shall invoice rent monthly in advance, and each invoice shall be paid Net 30. A late "
            "charge of three percent (3%) applies to any installment not paid within ten (10) days after "
            "its due date.",
        ),
        (
            "p",
            "5.3 Lessee's obligation to pay rent is absolute and unconditional and is not subject to "
            "abatement, set-off or counterclaim for any reason.",
        ),
        ("h", "6. Default and Remedies"),
        (
            "p",
            "6.1 An Event of Default occurs if Lessee fails to pay rent within ten (10) days after notice of "
            "non-payment, breaches any other obligation and fails to cure it within thirty (30) days, or "
            "becomes insolvent.",
        ),
        (
            "p",
            "6.2 Upon an Event of Default, Lessor may declare all remaining rent immediately due, repossess "
            "the Equipment, and recover its reasonable costs of enforcement, including attorneys' fees.",
        ),
        ("h", "7. Governing Law"),
        (
            "p",
            "7.1 This Agreement shall be governed by the laws of the State of Texas. Venue for any action "
            "shall lie in Tarrant County, Texas.",
        ),
        *general(8),
        *witness(
            "SUMMIT RIDGE EQUIPMENT FINANCE, INC.\nBy: /s/ Holly Brandt\nName: Holly Brandt\n"
            "Title: Senior Vice President\nDate: June 2, 2025",
            "IRONBRIDGE FABRICATION CO.\nBy: /s/ Ramon Castillo\nName: Ramon Castillo\nTitle: President\n"
            "Date: June 2, 2025",
        ),
    ]
    return Sample(
        stem="05_equipment_lease_over_limit",
        fmt="pdf",
        blocks=blocks,
        status="posted",
        violations=["value-over-approval-limit"],
        fields={
            "title": "Equipment Lease Agreement",
            "contract_type": "Equipment Lease",
            "parties": [
                {"name": "Summit Ridge Equipment Finance, Inc.", "role": "Lessor"},
                {"name": "Ironbridge Fabrication Co.", "role": "Lessee"},
            ],
            "agreement_date": "2025-06-02",
            "effective_date": "2025-06-02",
            "expiration_date": None,
            "term": dur(60, "month"),
            "renewal_term": dur(1, "year"),
            "notice_period_to_terminate_renewal": dur(90, "day"),
            "auto_renewal": True,
            "governing_law": "Texas",
            "total_value": money("2450000.00", "USD"),
            "payment_terms": "Net 30",
        },
        answer={
            "title": ("Equipment Lease Agreement", "EQUIPMENT LEASE AGREEMENT"),
            "contract_type": ("Equipment Lease", "THIS EQUIPMENT LEASE AGREEMENT"),
            "agreement_date": ("2nd day of June, 2025", "is entered into as of the 2nd day of June, 2025"),
            "effective_date": ("2nd day of June, 2025", '2nd day of June, 2025 (the "Effective Date")'),
            "term": ("sixty (60) months", "The lease term is sixty (60) months"),
            "renewal_term": ("one (1) year", "renew automatically for consecutive one (1) year periods"),
            "notice_period_to_terminate_renewal": (
                "ninety (90) days",
                "no later than ninety (90) days before the term ends",
            ),
            "auto_renewal": ("yes", "the lease will renew automatically"),
            "governing_law": ("Texas", "governed by the laws of the State of Texas"),
            "total_value": ("$2,450,000.00", "Aggregate rent payable over the Base Term is $2,450,000.00"),
            "payment_terms": ("Net 30", "each invoice shall be paid Net 30"),
        },
        parties=[
            (
                "Summit Ridge Equipment Finance, Inc.",
                "Lessor",
                "Summit Ridge Equipment Finance, Inc., a Delaware corporation",
            ),
            ("Ironbridge Fabrication Co.", "Lessee", "Ironbridge Fabrication Co., a Texas corporation"),
        ],
        exercises="Warning only: total value USD 2,450,000.00 exceeds the 1,000,000 approval limit "
        "(value-over-approval-limit), still posted. Also mentions a USD 5,000,000 insurance "
        "amount that is not the contract value.",
        min_pages=2,
        late_fields=("governing_law",),
    )


def sample_supply_bad_dates() -> Sample:
    blocks: list[Block] = [
        ("title", "SUPPLY AGREEMENT"),
        (
            "p",
            'This Supply Agreement (the "Agreement") is entered into as of September 1, 2025 (the '
            '"Effective Date") by and between Fenwick Street Bakeries, Inc., an Illinois corporation '
            '("Buyer"), and Prairie Gold Milling Company, a Kansas corporation ("Supplier").',
        ),
        ("h", "Recitals"),
        (
            "p",
            "A. Supplier mills and packages specialty flours. B. Buyer operates commercial bakeries in "
            "Illinois and Indiana and wishes to purchase flour from Supplier on a recurring basis.",
        ),
        ("h", "1. Supply of Products"),
        (
            "p",
            "1.1 Supplier shall sell and deliver to Buyer the flour products listed in Exhibit A (the "
            '"Products") in the quantities stated in Buyer\'s purchase orders, subject to the forecast '
            "limits in Exhibit B.",
        ),
        (
            "p",
            "1.2 Supplier shall deliver Products FCA Supplier's mill in Salina, Kansas, within seven (7) days "
            "after accepting each purchase order. Risk of loss passes on delivery to Buyer's carrier.",
        ),
        (
            "p",
            "1.3 All Products shall conform to the specifications in Exhibit A and to applicable food safety "
            "laws. Buyer may reject non-conforming Products within five (5) days after delivery.",
        ),
        ("h", "2. Term"),
        (
            "p",
            "2.1 This Agreement commences on the Effective Date and shall expire on 31 August 2024 (the "
            '"Expiration Date").',
        ),
        (
            "p",
            "2.2 This Agreement will automatically renew for successive terms of one (1) year unless either "
            "party delivers notice of non-renewal at least thirty (30) days prior to the expiration of the "
            "then-current term.",
        ),
        ("h", "3. Price and Payment"),
        (
            "p",
            "3.1 Buyer commits to purchase Products with an aggregate contract value of USD 250,000.00 during "
            "the initial term, at the prices set out in Exhibit A.",
        ),
        (
            "p",
            "3.2 Supplier shall invoice each shipment upon delivery. Payment terms are Net 60 from the invoice date.",
        ),
        ("h", "4. Recalls"),
        (
            "p",
            "4.1 Each party shall notify the other within twenty-four (24) hours of learning of any "
            "contamination or labelling issue that may require a recall, and Supplier shall bear the cost "
            "of any recall caused by non-conforming Products.",
        ),
        ("h", "5. Governing Law"),
        ("p", "5.1 This Agreement shall be governed by the laws of the State of Illinois."),
        *witness(
            "FENWICK STREET BAKERIES, INC.\nBy: /s/ Laura Kim\nName: Laura Kim\nTitle: Director of Purchasing\n"
            "Date: September 1, 2025",
            "PRAIRIE GOLD MILLING COMPANY\nBy: /s/ Walter Heinz\nName: Walter Heinz\nTitle: Sales Manager\n"
            "Date: August 29, 2025",
        ),
    ]
    return Sample(
        stem="06_supply_expiration_before_effective",
        fmt="pdf",
        blocks=blocks,
        status="escalated",
        violations=["expiration-after-effective"],
        fields={
            "title": "Supply Agreement",
            "contract_type": "Supply",
            "parties": [
                {"name": "Fenwick Street Bakeries, Inc.", "role": "Buyer"},
                {"name": "Prairie Gold Milling Company", "role": "Supplier"},
            ],
            "agreement_date": "2025-09-01",
            "effective_date": "2025-09-01",
            "expiration_date": "2024-08-31",
            "term": None,
            "renewal_term": dur(1, "year"),
            "notice_period_to_terminate_renewal": dur(30, "day"),
            "auto_renewal": True,
            "governing_law": "Illinois",
            "total_value": money("250000.00", "USD"),
            "payment_terms": "Net 60",
        },
        answer={
            "title": ("Supply Agreement", "SUPPLY AGREEMENT"),
            "contract_type": ("Supply", 'This Supply Agreement (the "Agreement")'),
            "agreement_date": ("September 1, 2025", "is entered into as of September 1, 2025"),
            "effective_date": ("September 1, 2025", 'as of September 1, 2025 (the "Effective Date")'),
            "expiration_date": ("31 August 2024", 'shall expire on 31 August 2024 (the "Expiration Date")'),
            "renewal_term": ("one (1) year", "automatically renew for successive terms of one (1) year"),
            "notice_period_to_terminate_renewal": (
                "thirty (30) days",
                "notice of non-renewal at least thirty (30) days prior to the expiration",
            ),
            "auto_renewal": ("yes", "This Agreement will automatically renew"),
            "governing_law": ("Illinois", "governed by the laws of the State of Illinois"),
            "total_value": ("USD 250,000.00", "an aggregate contract value of USD 250,000.00"),
            "payment_terms": ("Net 60", "Payment terms are Net 60 from the invoice date."),
        },
        parties=[
            ("Fenwick Street Bakeries, Inc.", "Buyer", "Fenwick Street Bakeries, Inc., an Illinois corporation"),
            ("Prairie Gold Milling Company", "Supplier", "Prairie Gold Milling Company, a Kansas corporation"),
        ],
        exercises="Error: expiration date (31 August 2024) precedes the effective date (September 1, 2025) "
        "-> expiration-after-effective -> escalated. Day-month-year date format.",
    )


def sample_distribution_cayman() -> Sample:
    blocks: list[Block] = [
        ("title", "EXCLUSIVE DISTRIBUTION AGREEMENT"),
        (
            "p",
            'This Exclusive Distribution Agreement (the "Agreement") is entered into as of 2025-05-20 (the '
            '"Effective Date") by and between Verdant Home Goods, Inc., a California corporation '
            '("Supplier"), and Pelican Bay Trading Ltd., an exempted company incorporated in the Cayman '
            'Islands ("Distributor").',
        ),
        ("h", "Recitals"),
        (
            "p",
            "WHEREAS, Supplier manufactures a line of compostable kitchen and household products (the "
            '"Products"); and WHEREAS, Distributor wishes to become Supplier\'s exclusive distributor of '
            'the Products in the Caribbean region described in Exhibit A (the "Territory").',
        ),
        ("h", "1. Appointment"),
        (
            "p",
            "1.1 Supplier appoints Distributor as its exclusive distributor of the Products in the Territory, "
            "and Distributor accepts the appointment. Supplier shall not appoint another distributor in the "
            "Territory during the term.",
        ),
        (
            "p",
            "1.2 Distributor shall purchase Products for its own account, shall resell them only in the "
            "Territory, and shall use commercially reasonable efforts to promote the Products.",
        ),
        ("h", "2. Term and Renewal"),
        ("p", "2.1 The initial term of this Agreement is three (3) years from the Effective Date."),
        (
            "p",
            "2.2 The term shall be extended automatically for additional periods of one (1) year each, "
            "unless a party gives written notice of its intention not to renew at least one hundred twenty "
            "(120) days before the end of the current term.",
        ),
        ("h", "3. Purchase Commitment and Payment"),
        (
            "p",
            "3.1 Distributor commits to purchase Products with a total value of US$600,000.00 over the "
            "initial term, in accordance with the annual minimums in Exhibit B.",
        ),
        (
            "p",
            "3.2 Payment for each order is due Net 30 from the date of Supplier's invoice, in United States "
            "dollars, by wire transfer.",
        ),
        ("h", "4. Trademarks"),
        (
            "p",
            "4.1 Distributor may use Supplier's trademarks solely to market the Products in the Territory and "
            "in accordance with Supplier's brand guidelines. All goodwill accrues to Supplier.",
        ),
        ("h", "5. Governing Law and Arbitration"),
        (
            "p",
            "5.1 This Agreement shall be governed by and construed in accordance with the laws of the Cayman Islands.",
        ),
        (
            "p",
            "5.2 Any dispute shall be finally resolved by arbitration seated in George Town, Grand Cayman, "
            "before a sole arbitrator, in the English language.",
        ),
        *general(6),
        *witness(
            "VERDANT HOME GOODS, INC.\nBy: /s/ Claire Nakamura\nName: Claire Nakamura\n"
            "Title: VP, International Sales\nDate: 2025-05-20",
            "PELICAN BAY TRADING LTD.\nBy: /s/ Desmond Ebanks\nName: Desmond Ebanks\nTitle: Director\nDate: 2025-05-19",
        ),
    ]
    return Sample(
        stem="07_distribution_cayman_law",
        fmt="pdf",
        blocks=blocks,
        status="escalated",
        violations=["governing-law-allowed"],
        fields={
            "title": "Exclusive Distribution Agreement",
            "contract_type": "Distribution",
            "parties": [
                {"name": "Verdant Home Goods, Inc.", "role": "Supplier"},
                {"name": "Pelican Bay Trading Ltd.", "role": "Distributor"},
            ],
            "agreement_date": "2025-05-20",
            "effective_date": "2025-05-20",
            "expiration_date": None,
            "term": dur(3, "year"),
            "renewal_term": dur(1, "year"),
            "notice_period_to_terminate_renewal": dur(120, "day"),
            "auto_renewal": True,
            "governing_law": "Cayman Islands",
            "total_value": money("600000.00", "USD"),
            "payment_terms": "Net 30",
        },
        answer={
            "title": ("Exclusive Distribution Agreement", "EXCLUSIVE DISTRIBUTION AGREEMENT"),
            "contract_type": ("Distribution", "This Exclusive Distribution Agreement"),
            "agreement_date": ("2025-05-20", "is entered into as of 2025-05-20"),
            "effective_date": ("2025-05-20", 'as of 2025-05-20 (the "Effective Date")'),
            "term": ("three (3) years", "The initial term of this Agreement is three (3) years"),
            "renewal_term": ("one (1) year", "additional periods of one (1) year each"),
            "notice_period_to_terminate_renewal": (
                "one hundred twenty (120) days",
                "at least one hundred twenty (120) days before the end of the current term",
            ),
            "auto_renewal": ("yes", "The term shall be extended automatically"),
            "governing_law": ("Cayman Islands", "in accordance with the laws of the Cayman Islands"),
            "total_value": ("US$600,000.00", "a total value of US$600,000.00 over the initial term"),
            "payment_terms": ("Net 30", "Payment for each order is due Net 30"),
        },
        parties=[
            ("Verdant Home Goods, Inc.", "Supplier", "Verdant Home Goods, Inc., a California corporation"),
            (
                "Pelican Bay Trading Ltd.",
                "Distributor",
                "Pelican Bay Trading Ltd., an exempted company incorporated in the Cayman Islands",
            ),
        ],
        exercises="Error: governed by the laws of the Cayman Islands, outside the allow-list -> "
        "governing-law-allowed -> escalated. ISO date, US$ amount.",
    )


SAMPLES = (
    sample_msa,
    sample_saas_eur,
    sample_nda,
    sample_consulting_txt,
    sample_lease_over_limit,
    sample_supply_bad_dates,
    sample_distribution_cayman,
)


# --- rendering -----------------------------------------------------------------------------------


class _ContractPDF(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"Confidential - Page {self.page_no()} of {{nb}}", align="C")


def render_pdf(blocks: list[Block], path: Path) -> None:
    pdf = _ContractPDF(format="letter")
    pdf.set_creation_date(FIXED_TIME)  # also feeds the /ID hash, so the bytes are reproducible
    pdf.set_producer("contractflow make_sample_docs")
    pdf.set_author("contractflow sample generator")
    pdf.set_margins(25, 22, 25)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()
    for kind, text in blocks:
        text.encode("latin-1")  # core fonts are latin-1 only; fail loudly here, not in fpdf2
        if kind == "title":
            pdf.set_font("Helvetica", "B", 14)
            pdf.multi_cell(0, 8, text, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        elif kind == "h":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 10.5)
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        elif kind == "p":
            pdf.set_font("Helvetica", size=10)
            pdf.multi_cell(0, 5, text, align="J", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        else:
            pdf.ln(4)
            pdf.set_font("Helvetica", size=10)
            pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def render_docx(blocks: list[Block], path: Path) -> None:
    document = docx.Document()
    props = document.core_properties
    props.author = props.last_modified_by = "contractflow sample generator"
    props.created = props.modified = props.last_printed = FIXED_TIME.replace(tzinfo=None)
    props.revision = 1
    for kind, text in blocks:
        if kind == "title":
            document.add_heading(text, level=1)
        elif kind == "h":
            document.add_heading(text, level=2)
        else:
            # One paragraph per signature line keeps the paragraph-text page equal to what a reader sees.
            for line in text.split("\n") if kind == "sig" else [text]:
                document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(_fixed_zip(buffer.getvalue()))


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed member timestamps (python-docx stamps them with the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def render_txt(blocks: list[Block], path: Path) -> None:
    lines: list[str] = []
    for kind, text in blocks:
        if kind == "title":
            lines += [text, ""]
        elif kind in ("h", "sig"):
            lines += ["", text]
        else:
            lines += [text]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def page_texts(path: Path) -> list[str]:
    """Page texts exactly as the pipeline's parse stage sees them."""
    return [page.text for page in parse_file(path).pages]


def locate(quote: str, pages: list[str]) -> int:
    """1-based page of the first page holding `quote` (whitespace-insensitive); raise if absent."""
    assert len(quote) < 200, f"quote too long: {quote!r}"
    needle = squash(quote)
    for number, text in enumerate(pages, 1):
        if needle in squash(text):
            return number
    raise AssertionError(f"quote not found on any page: {quote!r}")


def build_answer(sample: Sample, pages: list[str]) -> dict[str, Any]:
    unknown = set(sample.answer) - set(DRAFT_KEYS)
    assert not unknown, f"{sample.stem}: unknown answer keys {unknown}"
    answer: dict[str, Any] = {}
    for key in DRAFT_KEYS:
        if key == "parties":
            answer[key] = [
                {"name": name, "role": role, "page": locate(quote, pages), "quote": quote}
                for name, role, quote in sample.parties
            ]
        elif key in sample.answer:
            value, quote = sample.answer[key]
            answer[key] = {"value": value, "page": locate(quote, pages), "quote": quote}
        else:
            answer[key] = None
    return answer


def check_sample(sample: Sample, pages: list[str], answer: dict[str, Any]) -> None:
    assert len(pages) >= sample.min_pages, f"{sample.stem}: {len(pages)} pages < {sample.min_pages}"
    assert len(pages) <= 4, f"{sample.stem}: {len(pages)} pages"
    for key in sample.late_fields:
        assert answer[key]["page"] >= 2, f"{sample.stem}: {key} expected on page 2+"
    # A null answer must mean a null field and vice versa, except derived ones the text never states.
    for key in DRAFT_KEYS:
        if key != "parties":
            assert (answer[key] is None) == (sample.fields[key] is None), f"{sample.stem}: {key} mismatch"
    assert [p["name"] for p in answer["parties"]] == [p["name"] for p in sample.fields["parties"]]


def generate(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    renderers = {"pdf": render_pdf, "docx": render_docx, "txt": render_txt}
    written: list[Path] = []
    for make in SAMPLES:
        sample = make()
        doc_path = out_dir / f"{sample.stem}.{sample.fmt}"
        renderers[sample.fmt](sample.blocks, doc_path)
        pages = page_texts(doc_path)
        answer = build_answer(sample, pages)
        check_sample(sample, pages, answer)
        expected = {
            "status": sample.status,
            "violations": sorted(sample.violations),
            "fields": sample.fields,
            "answer": answer,
        }
        expected_path = out_dir / f"{sample.stem}.expected.json"
        expected_path.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written += [doc_path, expected_path]
    (out_dir / "README.md").write_text(readme([make() for make in SAMPLES]), encoding="utf-8")
    return written


def readme(samples: list[Sample]) -> str:
    rows = "\n".join(
        f"| `{s.stem}.{s.fmt}` | {s.status} | {', '.join(s.violations) or '-'} | {s.exercises} |" for s in samples
    )
    return f"""# Sample contracts

Generated by `scripts/make_sample_docs.py` (`.venv/bin/python scripts/make_sample_docs.py`); do not edit by
hand. Every company, person, address and clause is invented for this project; no real contract text is
used. Reruns are byte-identical for the same fpdf2 / python-docx versions.

Beside each document, `<stem>.expected.json` holds:

- `status` and `violations`: the terminal status and rule ids the pipeline must produce;
- `fields`: the normalised values in the shape of `ContractFields.plain()` (ISO dates, durations as
  `{{amount, unit, perpetual}}`, money amounts as two-decimal strings, `contract_type` as a short category);
- `answer`: what an ideal model returns in the draft schema: `{{value, page, quote}}` per field (or null),
  the value as written in the text, `quote` found on `page` once whitespace is collapsed (PDF pages as
  extracted by pypdfium2, the DOCX paragraphs as one page, the TXT file as one page).

| document | status | violations | exercises |
|---|---|---|---|
{rows}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args()
    for path in generate(args.out):
        print(path)


if __name__ == "__main__":
    main()

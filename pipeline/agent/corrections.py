"""What the model answers: corrections to the fields proposed so far, not the whole record again.

A model that only checks a proposal writes a few short entries instead of every field with its
quote: fewer tokens out (the slowest part on a local model) and no chance to garble what it
accepted. A correction sets a field (with page and verbatim quote) or rejects it with "none";
party corrections together replace the proposed list of parties.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from pipeline.agent.parties import is_name
from pipeline.normalize import says_nothing

_TRAILING_PARENTHESIS = re.compile(r"\s*\((?:role:\s*)?(?:the\s+)?([^()]*)\)\s*$", re.I)

FieldName = Literal[
    "title",
    "contract_type",
    "party",
    "agreement_date",
    "effective_date",
    "expiration_date",
    "term",
    "renewal_term",
    "notice_period_to_terminate_renewal",
    "auto_renewal",
    "governing_law",
    "total_value",
    "payment_terms",
]


class Correction(BaseModel):
    field: FieldName
    value: str = Field(description='As written in the contract, or "none" if it does not state it')
    page: int = Field(1, ge=1)
    quote: str = Field("", description="A few verbatim words from that page that state the value")
    role: str = Field("", description="With party: its role in the contract")


class Corrections(BaseModel):
    """Only what is wrong or missing in the proposed fields; an empty list accepts them all."""

    corrections: list[Correction] = Field(default_factory=list)


def _name_and_role(value: str) -> tuple[str, str]:
    """A party name without the parenthesis a model may copy after it: 'Acme Inc. (the "Company")'
    and 'Acme Inc. (role: Company)' name Acme Inc.; a legal name never ends in a parenthesis."""
    if match := _TRAILING_PARENTHESIS.search(value):
        return value[: match.start()].strip(), match.group(1).strip(" \"'\u201c\u201d")
    return value, ""


def draft_key(field: str) -> str:
    """The draft's key for a correction's field: corrections name one party, the draft lists them."""
    return "parties" if field == "party" else field


def apply(draft: dict[str, Any], corrections: list[Correction]) -> tuple[dict[str, Any], set[str]]:
    """The draft (ContractDraft-shaped) with the corrections applied, and the fields they touched."""
    out = dict(draft)
    touched: set[str] = set()
    named = [(c, *_name_and_role(c.value)) for c in corrections if c.field == "party"]
    if named:
        roles = {party["name"]: party["role"] for party in draft.get("parties", [])}
        out["parties"] = [
            {"name": name, "role": c.role or role or roles.get(name, "party"), "page": c.page, "quote": c.quote}
            for c, name, role in named
            if not says_nothing(name) and is_name(name)  # "Employee" is a role, not a party's name
        ]
        touched.add("parties")
    for correction in corrections:
        if correction.field != "party":
            out[correction.field] = {"value": correction.value, "page": correction.page, "quote": correction.quote}
            touched.add(correction.field)
    return out, touched

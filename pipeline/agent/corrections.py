"""What the model answers: corrections to the fields proposed so far, not the whole record again.

A model that only checks a proposal writes a few short entries instead of every field with its
quote: fewer tokens out (the slowest part on a local model) and no chance to garble what it
accepted. A correction sets a field (with page and verbatim quote) or rejects it with "none";
party corrections together replace the proposed list of parties.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from pipeline.normalize import says_nothing

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
    value: str = Field(description='The value as written in the contract, or "none" if the contract does not state it')
    page: int = Field(1, ge=1, description="Page of the quote")
    quote: str = Field("", description="Short verbatim quote from that page that states the value")
    role: str = Field("", description="With party: the role the contract gives it")


class Corrections(BaseModel):
    """Only what is wrong or missing in the proposed fields; an empty list accepts them all."""

    corrections: list[Correction] = Field(default_factory=list)


def apply(draft: dict[str, Any], corrections: list[Correction]) -> tuple[dict[str, Any], set[str]]:
    """The draft (ContractDraft-shaped) with the corrections applied, and the fields they touched."""
    out = dict(draft)
    touched: set[str] = set()
    named = [c for c in corrections if c.field == "party"]
    if named:
        roles = {party["name"]: party["role"] for party in draft.get("parties", [])}
        out["parties"] = [
            {"name": c.value, "role": c.role or roles.get(c.value, "party"), "page": c.page, "quote": c.quote}
            for c in named
            if not says_nothing(c.value)
        ]
        touched.add("parties")
    for correction in corrections:
        if correction.field != "party":
            out[correction.field] = {"value": correction.value, "page": correction.page, "quote": correction.quote}
            touched.add(correction.field)
    return out, touched

"""Typed objects that flow one way through the stages.

file -> Document -> ParsedDocument -> Extraction -> Verdict -> Posting (or a review item).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field


class Status(StrEnum):
    RECEIVED = "received"
    PARSED = "parsed"
    EXTRACTED = "extracted"
    VALIDATED = "validated"
    POSTED = "posted"
    ESCALATED = "escalated"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({Status.POSTED, Status.ESCALATED, Status.REJECTED, Status.FAILED})


class Document(BaseModel):
    """A file as received; `id` is the sha256 of its bytes, so the same bytes are one document."""

    id: str
    source_uri: str
    filename: str
    media_type: str
    size: int


class Span(BaseModel):
    """A stretch of a page's text, by character offsets; here text a reader cannot see."""

    start: int
    end: int
    reason: str


class Page(BaseModel):
    number: int = Field(ge=1)
    text: str
    hidden: list[Span] = Field(default_factory=list, description="Text a reader cannot see (white, tiny, off-page)")


class ParsedDocument(BaseModel):
    document_id: str
    parser: str
    pages: list[Page]

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)

    def page(self, number: int) -> Page | None:
        return self.pages[number - 1] if 1 <= number <= len(self.pages) else None


class Evidence(BaseModel):
    """Where a value was read: a page and a verbatim quote, located by character offsets in that page."""

    page: int
    quote: str
    start: int | None = None
    end: int | None = None


DurationUnit = Literal["day", "week", "month", "year"]


class Duration(BaseModel):
    amount: int | None = None
    unit: DurationUnit | None = None
    perpetual: bool = False

    def days(self) -> float | None:
        if self.perpetual or self.amount is None or self.unit is None:
            return None
        return self.amount * {"day": 1, "week": 7, "month": 30.4375, "year": 365.25}[self.unit]

    def __str__(self) -> str:
        if self.perpetual:
            return "perpetual"
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


class Money(BaseModel):
    amount: Decimal
    currency: str = Field(description="ISO 4217 code")


class Party(BaseModel):
    name: str
    role: str | None = None


T = TypeVar("T")


class FieldValue(BaseModel, Generic[T]):
    value: T
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    signals: dict[str, bool] = Field(default_factory=dict, description="What the confidence was computed from")


class ContractFields(BaseModel):
    title: FieldValue[str] | None = None
    contract_type: FieldValue[str] | None = None
    parties: list[FieldValue[Party]] = Field(default_factory=list)
    agreement_date: FieldValue[date] | None = None
    effective_date: FieldValue[date] | None = None
    expiration_date: FieldValue[date] | None = None
    term: FieldValue[Duration] | None = None
    renewal_term: FieldValue[Duration] | None = None
    notice_period_to_terminate_renewal: FieldValue[Duration] | None = None
    auto_renewal: FieldValue[bool] | None = None
    governing_law: FieldValue[str] | None = None
    total_value: FieldValue[Money] | None = None
    payment_terms: FieldValue[str] | None = None

    def values_of(self, name: str) -> list[FieldValue[Any]]:
        """One field's values: the parties' list, or none or one for every other field."""
        item = getattr(self, name)
        return item if isinstance(item, list) else [item] if item is not None else []

    def plain(self) -> dict[str, object]:
        """Values only, JSON-ready: what a destination receives and what tests compare."""
        out: dict[str, object] = {}
        for name in type(self).model_fields:
            item = getattr(self, name)
            if name == "parties":
                out[name] = [p.model_dump(mode="json")["value"] for p in item]
            else:
                out[name] = None if item is None else item.model_dump(mode="json")["value"]
        return out


class Usage(BaseModel):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Violation(BaseModel):
    rule_id: str
    severity: Literal["error", "warning"]
    fields: list[str]
    message: str


class Extraction(BaseModel):
    document_id: str
    fields: ContractFields
    model: str
    prompt_version: str
    usage: Usage = Field(default_factory=Usage)
    attempts: int = 1
    flags: list[str] = Field(default_factory=list, description="Values dropped or doubted, and why")
    escalation: str | None = Field(default=None, description="Why a person must decide, when extraction says so")
    steps: list[str] = Field(default_factory=list, description="The agent's actions, in order")


class Verdict(BaseModel):
    document_id: str
    rules_version: str
    violations: list[Violation] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Extraction flags, posted as warnings")
    reasons: list[str] = Field(default_factory=list, description="Why a person must decide, besides rule errors")

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "error"]

    @property
    def warnings(self) -> list[str]:
        return [f"{v.rule_id}: {v.message}" for v in self.violations if v.severity == "warning"] + self.notes

    @property
    def decision(self) -> Literal["post", "escalate"]:
        return "escalate" if self.errors or self.reasons else "post"


class ContractRecord(BaseModel):
    """What a connector posts: the validated values, their provenance and any warnings."""

    document_id: str
    filename: str
    fields: dict[str, object]
    warnings: list[str] = Field(default_factory=list)
    rules_version: str


class Posting(BaseModel):
    document_id: str
    connector: str
    idempotency_key: str
    reference: str

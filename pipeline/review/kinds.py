"""Why a document is in the review queue, read from the reason its step gave.

Steps say why in words (`Escalate(reason)`); these prefixes are the contract between them and the
queue. A reason may join several ("low confidence: ...; rule ...: ..."): the most serious kind wins.
"""

from __future__ import annotations

from enum import StrEnum


class ReviewKind(StrEnum):
    SUSPECTED_INJECTION = "suspected_injection"
    BUDGET_EXHAUSTED = "budget_exhausted"
    PARSE_FAILURE = "parse_failure"
    EXTRACTION_FAILURE = "extraction_failure"
    LOW_CONFIDENCE = "low_confidence"
    RULE_VIOLATION = "rule_violation"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


# Most serious first: the first kind whose marker appears in the reason is the item's kind.
_MARKERS = (
    (ReviewKind.SUSPECTED_INJECTION, ("suspected prompt injection",)),
    (ReviewKind.BUDGET_EXHAUSTED, ("budget exhausted",)),
    (ReviewKind.PARSE_FAILURE, ("cannot parse",)),
    (ReviewKind.EXTRACTION_FAILURE, ("extraction failed",)),
    (ReviewKind.LOW_CONFIDENCE, ("low confidence", "agent escalated")),
    (ReviewKind.RULE_VIOLATION, ("rule ",)),
)


def classify(stage: str, reason: str) -> ReviewKind:
    if stage == "parse":
        return ReviewKind.PARSE_FAILURE
    lowered = reason.lower()
    for kind, markers in _MARKERS:
        if any(marker in lowered for marker in markers):
            return kind
    return ReviewKind.EXTRACTION_FAILURE if stage == "extract" else ReviewKind.RULE_VIOLATION

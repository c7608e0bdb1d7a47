"""Validate stage: Extraction -> Verdict (business rules, the agent's escalation, low confidence)."""

from __future__ import annotations

from pipeline.models import Extraction, FieldValue, Verdict
from pipeline.rules import RuleSet, evaluate


def low_confidence(extraction: Extraction, threshold: float) -> list[str]:
    found = []
    for name in type(extraction.fields).model_fields:
        items = getattr(extraction.fields, name)
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, FieldValue) and item.confidence < threshold:
                found.append(f"low confidence: {name} {item.confidence:.2f} < {threshold:.2f}")
    return found


def validate(extraction: Extraction, rules: RuleSet, confidence_threshold: float = 0.0) -> Verdict:
    reasons = [extraction.escalation] if extraction.escalation else []
    return Verdict(
        document_id=extraction.document_id,
        rules_version=rules.version,
        violations=evaluate(extraction.fields, rules),
        notes=extraction.flags,
        reasons=reasons + low_confidence(extraction, confidence_threshold),
    )

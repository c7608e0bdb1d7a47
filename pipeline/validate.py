"""Validate stage: Extraction -> Verdict (business rules plus what extraction flagged)."""

from __future__ import annotations

from pipeline.models import Extraction, Verdict
from pipeline.rules import RuleSet, evaluate


def validate(extraction: Extraction, rules: RuleSet) -> Verdict:
    return Verdict(
        document_id=extraction.document_id,
        rules_version=rules.version,
        violations=evaluate(extraction.fields, rules),
        notes=extraction.flags,
    )

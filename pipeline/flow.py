"""One document's way through the stages: parse -> extract -> validate -> post, or escalate.

Each step loads the previous stage's object from the store, calls the stage's plain function,
saves its output and names the next step. Celery tasks wrap `run_step`; `run_inline` runs a
document without a broker. A step whose output exists already is skipped, so a redelivered
task or a rerun does no work twice.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from connectors import Connector, ConnectorUnavailable, connector_for
from pipeline import metrics, outbox
from pipeline.extractors import Extractor, cost_usd, extractor_for
from pipeline.llm import LLM, TRANSIENT_LLM_ERRORS, LLMResponseError, connect
from pipeline.models import ContractRecord, Extraction, ParsedDocument, Status, Verdict
from pipeline.parse import ParseError, parse_bytes
from pipeline.review.kinds import classify
from pipeline.rules import RuleSet, load_rules
from pipeline.settings import Settings
from pipeline.store import (
    DocumentRow,
    ExtractionRow,
    ParsedRow,
    ReviewItem,
    StageRun,
    VerdictRow,
    now,
    session,
    set_status,
)
from pipeline.validate import validate

log = logging.getLogger(__name__)

STAGES = ("parse", "extract", "validate", "post")
# Status a document has once a stage is done: a step for a document already there is skipped.
DONE_STATUS = {
    "parse": Status.PARSED,
    "extract": Status.EXTRACTED,
    "validate": Status.VALIDATED,
    "post": Status.POSTED,
}
_ORDER = [Status.RECEIVED, Status.PARSED, Status.EXTRACTED, Status.VALIDATED, Status.POSTED]

# Worth another try later, with backoff: a busy or unreachable model endpoint or database.
# A destination that is down or busy (ConnectorUnavailable) is retried the same way.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (*TRANSIENT_LLM_ERRORS, OperationalError, ConnectorUnavailable)


@dataclass
class Context:
    """What a worker process builds once and reuses across documents."""

    settings: Settings
    _llm: LLM | None = field(default=None, repr=False)

    @cached_property
    def rules(self) -> RuleSet:
        return load_rules(self.settings.rules_dir)

    @cached_property
    def connector(self) -> Connector:
        return connector_for(self.settings)

    @property
    def extractor(self) -> Extractor:
        return extractor_for(self.settings, self.llm, self.rules)

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            self._llm = connect(self.settings)
        return self._llm

    def forget_llm(self) -> None:
        """After a connection error: the next call looks the endpoint up again (a local server may
        have been restarted on another port)."""
        self._llm = None

    def db(self) -> Any:
        return session(self.settings.resolved_database_url)


@dataclass(frozen=True)
class Escalate:
    """A step's outcome when the document needs a person; the reason shows in the review queue."""

    reason: str


# What a step returns: the next stage, Escalate, or None once the document is posted.
Next = str | Escalate | None


def _parse(ctx: Context, db: Session, row: DocumentRow) -> Next:
    parsed = parse_bytes(Path(row.stored_path).read_bytes(), row.filename, row.id)
    db.merge(ParsedRow(document_id=row.id, parser=parsed.parser, pages=len(parsed.pages), payload=parsed.model_dump()))
    return "extract"


def _extract(ctx: Context, db: Session, row: DocumentRow) -> Next:
    parsed = ParsedDocument.model_validate(db.get_one(ParsedRow, row.id).payload)
    try:
        extraction = ctx.extractor(parsed)
    except LLMResponseError as exc:
        return Escalate(f"extraction failed: {exc}")
    cost = cost_usd(extraction, ctx.settings.llm_prices)
    metrics.LLM_COST.labels(extraction.model).inc(cost)
    db.merge(
        ExtractionRow(
            document_id=row.id,
            model=extraction.model,
            prompt_version=extraction.prompt_version,
            prompt_tokens=extraction.usage.prompt_tokens,
            completion_tokens=extraction.usage.completion_tokens,
            cost_usd=cost,
            payload=extraction.model_dump(mode="json"),
        )
    )
    return "validate"


def _validate(ctx: Context, db: Session, row: DocumentRow) -> Next:
    extraction = Extraction.model_validate(db.get_one(ExtractionRow, row.id).payload)
    verdict = validate(extraction, ctx.rules, ctx.settings.confidence_threshold)
    db.merge(
        VerdictRow(
            document_id=row.id,
            rules_version=verdict.rules_version,
            decision=verdict.decision,
            payload=verdict.model_dump(mode="json"),
        )
    )
    if verdict.decision == "escalate":
        return Escalate("; ".join(verdict.reasons + [f"rule {v.rule_id}: {v.message}" for v in verdict.errors]))
    return "post"


def _post(ctx: Context, db: Session, row: DocumentRow) -> Next:
    extraction = Extraction.model_validate(db.get_one(ExtractionRow, row.id).payload)
    verdict = Verdict.model_validate(db.get_one(VerdictRow, row.id).payload)
    record = ContractRecord(
        document_id=row.id,
        filename=row.filename,
        fields=extraction.fields.plain(),
        warnings=verdict.warnings,
        rules_version=verdict.rules_version,
    )
    # Through the outbox, keyed by the document id: a redelivered post task writes nothing new, and
    # delivery marks the item delivered, records the posting and sets `posted` in one transaction.
    outbox.enqueue(ctx.settings, record, ctx.connector.name, original=row.stored_path)
    outbox.deliver(ctx.settings, ctx.connector, row.id)
    return None


STEPS: dict[str, Callable[[Context, Session, DocumentRow], Next]] = {
    "parse": _parse,
    "extract": _extract,
    "validate": _validate,
    "post": _post,
}


def _review_payload(db: Session, document_id: str) -> dict[str, Any]:
    extraction = db.get(ExtractionRow, document_id)
    verdict = db.get(VerdictRow, document_id)
    return {
        "extraction": extraction.payload if extraction else None,
        "verdict": verdict.payload if verdict else None,
    }


def run_step(ctx: Context, stage: str, document_id: str) -> str | None:
    """Run one stage; returns the next stage, or None when the document reached a terminal state.

    Transient errors propagate (the task queue retries them with backoff); any other error ends
    the document `failed` with a readable reason, and the worker goes on.
    """
    started = now()
    try:
        with ctx.db() as db:  # one transaction for the check and the step: a round trip less per step
            row = db.get_one(DocumentRow, document_id)
            status = Status(row.status)
            if status.terminal:
                return None
            if status in _ORDER and _ORDER.index(status) >= _ORDER.index(DONE_STATUS[stage]):
                return STAGES[STAGES.index(stage) + 1] if stage != "post" else None
            outcome = STEPS[stage](ctx, db, row)
            if isinstance(outcome, Escalate):
                _close(db, document_id, stage, started, "escalated", outcome.reason, Status.ESCALATED)
                return None
            set_status(db, document_id, Status.POSTED if outcome is None else DONE_STATUS[stage])
            db.add(StageRun(document_id=document_id, stage=stage, started_at=started, finished_at=now(), status="ok"))
        metrics.step_done(stage, started, "ok")
        if outcome is None:
            metrics.DOCUMENTS_FINISHED.labels(Status.POSTED).inc()
        return outcome
    except TRANSIENT_ERRORS as exc:
        ctx.forget_llm()
        metrics.RETRIES.labels(stage, type(exc).__name__).inc()
        with ctx.db() as db:
            _close(db, document_id, stage, started, "retry", f"{type(exc).__name__}: {exc}")
        raise
    except Exception as exc:
        if isinstance(exc, ParseError):
            reason = f"cannot parse: {exc}"
        else:
            log.error("document %s: %s failed\n%s", document_id, stage, traceback.format_exc())
            reason = f"{stage} failed: {type(exc).__name__}: {exc}"
        with ctx.db() as db:  # the step's own transaction was rolled back
            _close(db, document_id, stage, started, "failed", reason, Status.FAILED)
    return None


def _close(
    db: Session,
    document_id: str,
    stage: str,
    started: datetime,
    outcome: str,
    reason: str,
    status: Status | None = None,
) -> None:
    """Record a step that did not succeed; with a status, the document ends there with the reason."""
    db.add(
        StageRun(
            document_id=document_id, stage=stage, started_at=started, finished_at=now(), status=outcome, error=reason
        )
    )
    metrics.step_done(stage, started, outcome)
    if status is None:
        return
    metrics.DOCUMENTS_FINISHED.labels(status).inc()
    set_status(db, document_id, status, reason)
    # A file that cannot be parsed stays `failed`, but a person should see it: it is queued too.
    reviewable = status == Status.ESCALATED or (status == Status.FAILED and stage == "parse")
    if reviewable and db.query(ReviewItem).filter_by(document_id=document_id).one_or_none() is None:
        kind = classify(stage, reason)
        db.add(ReviewItem(document_id=document_id, kind=kind, reason=reason, payload=_review_payload(db, document_id)))


def fail(ctx: Context, document_id: str, stage: str, reason: str) -> None:
    """End a document `failed` from outside a step (e.g. its task ran out of retries)."""
    with ctx.db() as db:
        _close(db, document_id, stage, now(), "failed", reason, Status.FAILED)


def run_inline(ctx: Context, document_id: str, stage: str = "parse") -> None:
    """A document's whole way in this process, without a broker (tests, eval, debugging)."""
    next_stage: str | None = stage
    while next_stage is not None:
        next_stage = run_step(ctx, next_stage, document_id)


def resume_stage(status: Status) -> str | None:
    """The stage a non-terminal document continues with (after a crash or a lost message)."""
    if status.terminal:
        return None
    return STAGES[_ORDER.index(status)]

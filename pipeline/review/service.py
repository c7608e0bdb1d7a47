"""What a reviewer can do, as plain functions the web UI and the CLI share.

Approval records the person's fields as the document's extraction (the model's original stays in
the review item and the audit trail), validates them again, and hands the document to the same
`post` step automatic posting uses.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.extract import NORMALIZERS
from pipeline.flow import Context, run_step
from pipeline.models import (
    ContractFields,
    Extraction,
    FieldValue,
    Money,
    ParsedDocument,
    Party,
    Status,
    Verdict,
)
from pipeline.review.kinds import ReviewKind
from pipeline.settings import Settings
from pipeline.store import AuditEntry, DocumentRow, ExtractionRow, ParsedRow, ReviewItem, VerdictRow, now, set_status
from pipeline.validate import validate

STATES = ("open", "approved", "rejected", "all")
FIELD_NAMES = tuple(ContractFields.model_fields)


class ReviewError(Exception):
    """A request a reviewer must change (unreadable value, already decided)."""


class NotFound(ReviewError):
    """No such document, page or stored file."""


# -- the queue ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    document_id: str
    filename: str
    kind: str
    reason: str
    state: str
    document_status: str
    created_at: datetime
    resolved_by: str | None


def queue(db: Session, kind: str | None = None, state: str = "open", text: str | None = None) -> list[QueueEntry]:
    query = select(ReviewItem, DocumentRow).join(DocumentRow, DocumentRow.id == ReviewItem.document_id)
    if kind:
        query = query.where(ReviewItem.kind == kind)
    if state == "open":
        query = query.where(ReviewItem.resolved_at.is_(None))
    elif state != "all":
        query = query.where(ReviewItem.resolution == state)
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(
            or_(
                DocumentRow.filename.ilike(pattern),
                ReviewItem.reason.ilike(pattern),
                DocumentRow.id.startswith(text.strip().lower()),
            )
        )
    rows = db.execute(query.order_by(ReviewItem.created_at.desc(), ReviewItem.id.desc()))
    return [
        QueueEntry(
            document_id=document.id,
            filename=document.filename,
            kind=item.kind,
            reason=item.reason,
            state=item.resolution or "open",
            document_status=document.status,
            created_at=item.created_at,
            resolved_by=item.resolved_by,
        )
        for item, document in rows
    ]


def find_document(db: Session, id_or_prefix: str) -> DocumentRow:
    matches = db.scalars(select(DocumentRow).where(DocumentRow.id.startswith(id_or_prefix.strip().lower()))).all()
    if len(matches) != 1 or not id_or_prefix.strip():
        raise ReviewError(f"{len(matches)} documents match {id_or_prefix!r}: give more of the id")
    return matches[0]


# -- field values as a person reads and types them -------------------------------------------------


def value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Money):
        return f"{value.currency} {value.amount}"
    if isinstance(value, Party):
        return f"{value.name} ({value.role})" if value.role else value.name
    if isinstance(value, list):
        return "\n".join(value_text(item) for item in value)
    return str(value)  # text, Duration ("1 year", "perpetual")


def field_text(fields: ContractFields, name: str) -> str:
    item = getattr(fields, name)
    return value_text([entry.value for entry in item] if isinstance(item, list) else item and item.value)


def _party(line: str) -> Party:
    name, _, role = line.strip().partition(" (")
    return Party(name=" ".join(name.split()), role=role.removesuffix(")").strip() or None)


def parse_value(name: str, text: str) -> Any:
    """A typed value from what a reviewer typed; None clears the field."""
    if name not in FIELD_NAMES:
        raise ReviewError(f"unknown field {name!r} (fields: {', '.join(FIELD_NAMES)})")
    if not text.strip():
        return [] if name == "parties" else None
    if name == "parties":
        return [_party(line) for line in text.splitlines() if line.strip()]
    value = NORMALIZERS[name](text)
    if value is None:
        raise ReviewError(f"{name}: cannot read {text.strip()!r}")
    return value


def apply_changes(fields: ContractFields, changes: dict[str, str]) -> tuple[ContractFields, list[tuple[str, str, str]]]:
    """Fields with a person's values, and each real change as (field, before, after).

    A changed value keeps the evidence of the one it replaces (where the reviewer looked) and gets
    confidence 1: a person vouches for it.
    """
    data = fields.model_dump()
    edits = []
    for name, text in changes.items():
        value = parse_value(name, text)
        before, after = field_text(fields, name), value_text(value)
        if before == after:
            continue
        old = getattr(fields, name)
        if name == "parties":
            by_name = {entry.value.name: entry.evidence for entry in old}
            data[name] = [
                {"value": party, "evidence": by_name.get(party.name, []), "confidence": 1.0} for party in value
            ]
        else:
            evidence = old.evidence if isinstance(old, FieldValue) else []
            data[name] = None if value is None else {"value": value, "evidence": evidence, "confidence": 1.0}
        edits.append((name, before, after))
    return ContractFields.model_validate(data), edits


# -- one document as the reviewer sees it ----------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    page: int
    text: str
    anchor: str | None


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    text: str
    confidence: float | None
    quotes: list[Quote]
    multiline: bool


@dataclass(frozen=True)
class Segment:
    text: str
    field: str | None = None
    anchor: str | None = None


@dataclass(frozen=True)
class PageView:
    number: int
    segments: list[Segment]


@dataclass(frozen=True)
class ReviewView:
    document: DocumentRow
    item: ReviewItem | None
    fields: list[FieldView]
    pages: list[PageView]
    violations: list[dict[str, Any]]
    reasons: list[str]
    audit: list[AuditEntry]
    has_image: bool

    @property
    def decidable(self) -> bool:
        return self.item is not None and self.item.resolved_at is None

    @property
    def approvable(self) -> bool:
        return self.decidable and self.document.status == Status.ESCALATED

    @property
    def kind_label(self) -> str:
        return ReviewKind(self.item.kind).label if self.item else ""


def _spans(fields: ContractFields) -> dict[int, list[tuple[int, int, str]]]:
    spans: dict[int, list[tuple[int, int, str]]] = {}
    for name in FIELD_NAMES:
        item = getattr(fields, name)
        for entry in item if isinstance(item, list) else [item] if item else []:
            for evidence in entry.evidence:
                if evidence.start is not None and evidence.end is not None:
                    spans.setdefault(evidence.page, []).append((evidence.start, evidence.end, name))
    return spans


def highlight(parsed: ParsedDocument, fields: ContractFields) -> list[PageView]:
    """Each page's text cut into plain and evidence segments; the first quote of a field is its anchor."""
    spans, anchored, pages = _spans(fields), set[str](), []
    for page in parsed.pages:
        segments, at = [], 0
        for start, end, name in sorted(spans.get(page.number, [])):
            if start < at:  # overlaps the previous quote: that one is shown
                continue
            segments.append(Segment(page.text[at:start]))
            anchor = None if name in anchored else f"ev-{name}"
            anchored.add(name)
            segments.append(Segment(page.text[start:end], field=name, anchor=anchor))
            at = end
        segments.append(Segment(page.text[at:]))
        pages.append(PageView(page.number, segments))
    return pages


def _field_views(fields: ContractFields) -> list[FieldView]:
    views = []
    for name in FIELD_NAMES:
        item = getattr(fields, name)
        entries = item if isinstance(item, list) else [item] if item else []
        views.append(
            FieldView(
                name=name,
                label=name.replace("_", " "),
                text=field_text(fields, name),
                confidence=min((entry.confidence for entry in entries), default=None),
                quotes=[
                    Quote(evidence.page, evidence.quote, f"ev-{name}" if evidence.start is not None else None)
                    for entry in entries
                    for evidence in entry.evidence
                ],
                multiline=name == "parties",
            )
        )
    return views


def get_document(db: Session, document_id: str) -> DocumentRow:
    document = db.get(DocumentRow, document_id)
    if document is None:
        raise NotFound(f"no document {document_id}")
    return document


def review_view(db: Session, document_id: str) -> ReviewView:
    document = get_document(db, document_id)
    item = db.scalars(select(ReviewItem).where(ReviewItem.document_id == document_id)).one_or_none()
    extraction = db.get(ExtractionRow, document_id)
    verdict = db.get(VerdictRow, document_id)
    parsed = db.get(ParsedRow, document_id)
    fields = Extraction.model_validate(extraction.payload).fields if extraction else ContractFields()
    checked = Verdict.model_validate(verdict.payload) if verdict else None
    return ReviewView(
        document=document,
        item=item,
        fields=_field_views(fields),
        pages=highlight(ParsedDocument.model_validate(parsed.payload), fields) if parsed else [],
        violations=[v.model_dump() for v in checked.violations] if checked else [],
        reasons=checked.reasons if checked else [],
        audit=audit_trail(db, document_id),
        has_image=document.media_type == "application/pdf",
    )


def audit_trail(db: Session, document_id: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.document_id == document_id).order_by(AuditEntry.id)
    return list(db.scalars(query))


# -- decisions ----------------------------------------------------------------------------------------


def _open_item(db: Session, document_id: str) -> tuple[DocumentRow, ReviewItem]:
    # Locking the document row serializes two reviewers deciding at once (PostgreSQL).
    document = db.get(DocumentRow, document_id, with_for_update=True)
    item = db.scalars(select(ReviewItem).where(ReviewItem.document_id == document_id)).one_or_none()
    if document is None or item is None:
        raise ReviewError(f"document {document_id} is not in the review queue")
    if item.resolved_at is not None:
        raise ReviewError(f"{document.filename} was already {item.resolution} by {item.resolved_by}")
    return document, item


def _resolve(db: Session, item: ReviewItem, actor: str, resolution: str, comment: str | None) -> None:
    item.resolved_at, item.resolved_by, item.resolution, item.comment = now(), actor, resolution, comment
    db.add(AuditEntry(document_id=item.document_id, actor=actor, action=resolution, comment=comment))


def approve(
    ctx: Context, document_id: str, actor: str, changes: dict[str, str], comment: str | None = None
) -> list[str]:
    """Approve with a person's edits: the rule errors that still stand (nothing is saved then), or
    [] once the document is validated and handed to the `post` step."""
    with ctx.db() as db:
        document, item = _open_item(db, document_id)
        if document.status != Status.ESCALATED:
            raise ReviewError(f"{document.filename} is {document.status}: it can only be rejected")
        stored = db.get(ExtractionRow, document_id)
        original = (
            Extraction.model_validate(stored.payload)
            if stored
            else Extraction(document_id=document_id, fields=ContractFields(), model="none", prompt_version="none")
        )
        fields, edits = apply_changes(original.fields, changes)
        notes = [f"{name} set by reviewer {actor}" for name, _, _ in edits]
        # The person has decided: the model's own reason to escalate no longer holds.
        edited = original.model_copy(update={"fields": fields, "escalation": None, "flags": original.flags + notes})
        verdict = validate(edited, ctx.rules)
        if verdict.errors:  # nothing was written yet
            return [f"rule {v.rule_id}: {v.message}" for v in verdict.errors]
        payload = edited.model_dump(mode="json")
        if stored is None:
            db.add(
                ExtractionRow(
                    document_id=document_id,
                    model="reviewer",
                    prompt_version="review",
                    prompt_tokens=0,
                    completion_tokens=0,
                    payload=payload,
                )
            )
        else:
            stored.payload = payload
        db.merge(
            VerdictRow(
                document_id=document_id,
                rules_version=verdict.rules_version,
                decision=verdict.decision,
                payload=verdict.model_dump(mode="json"),
            )
        )
        for name, before, after in edits:
            db.add(
                AuditEntry(
                    document_id=document_id,
                    actor=actor,
                    action="edit",
                    field=name,
                    before=before,
                    after=after,
                    comment=comment,
                )
            )
        _resolve(db, item, actor, "approved", comment)
        set_status(db, document_id, Status.VALIDATED)
    _post(ctx, document_id)
    return []


def _post(ctx: Context, document_id: str) -> None:
    """The same `post` step as automatic posting: in this process, or through the broker's workers."""
    if ctx.settings.embedded_broker:
        run_step(ctx, "post", document_id)
    else:
        from pipeline.tasks import submit  # imports the Celery app for the configured broker

        submit(document_id, "post")


def reject(ctx: Context, document_id: str, actor: str, comment: str) -> None:
    if not comment.strip():
        raise ReviewError("say why it is rejected: a comment is required")
    with ctx.db() as db:
        _, item = _open_item(db, document_id)
        _resolve(db, item, actor, "rejected", comment.strip())
        set_status(db, document_id, Status.REJECTED, f"rejected by {actor}: {comment.strip()}")


# -- the stored file ---------------------------------------------------------------------------------


def stored_file(settings: Settings, document: DocumentRow) -> Path:
    """The document's file, only if it lies inside the document store."""
    store = settings.document_store.resolve()
    path = Path(document.stored_path).resolve()
    if not path.is_relative_to(store) or not path.is_file():
        raise NotFound(f"the file of {document.filename} is not in the document store")
    return path


def page_png(settings: Settings, document: DocumentRow, number: int, scale: float = 1.5) -> bytes:
    pdf = pdfium.PdfDocument(stored_file(settings, document))
    try:
        if not 1 <= number <= len(pdf):
            raise NotFound(f"{document.filename} has no page {number}")
        image = pdf[number - 1].render(scale=scale).to_pil()
    finally:
        pdf.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()

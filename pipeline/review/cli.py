"""`contractflow review ...`: the review queue without a browser, and the web UI's server."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.flow import Context
from pipeline.review import service
from pipeline.review.auth import hash_password
from pipeline.review.kinds import ReviewKind
from pipeline.settings import get_settings

app = typer.Typer(help="The review queue: list, show, approve or reject escalated contracts; serve the web UI.")
err = Console(stderr=True)
Reviewer = Annotated[str, typer.Option("--user", help="Who decides (recorded in the audit trail)")]
# Read once at import: typer needs a plain default value.
LOGIN = getpass.getuser()


def _context() -> Context:
    return Context(get_settings())


def _document_id(ctx: Context, id_or_prefix: str) -> str:
    with ctx.db() as db:
        return service.find_document(db, id_or_prefix).id


def _fail(exc: service.ReviewError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}")
    return typer.Exit(1)


@app.command("list")
def list_items(
    kind: Annotated[ReviewKind | None, typer.Option(help="Only this reason kind")] = None,
    state: Annotated[str, typer.Option(help="open, approved, rejected or all")] = "open",
    search: Annotated[str | None, typer.Option(help="Text in the file name, reason or id")] = None,
) -> None:
    """Items in the review queue, newest first."""
    with _context().db() as db:
        entries = service.queue(db, kind=kind, state=state, text=search)
    table = Table("id", "file", "kind", "state", "reason")
    for entry in entries:
        table.add_row(entry.document_id[:12], entry.filename, entry.kind, entry.state, entry.reason)
    Console().print(table)


@app.command()
def show(document_id: Annotated[str, typer.Argument(help="A document id or its prefix")]) -> None:
    """One item: why it is here, its fields with confidence and quotes, and the audit trail."""
    ctx = _context()
    try:
        with ctx.db() as db:
            view = service.review_view(db, service.find_document(db, document_id).id)
    except service.ReviewError as exc:
        raise _fail(exc) from exc
    out = Console()
    out.print(f"[bold]{view.document.filename}[/bold]  {view.document.id}\nstatus: {view.document.status}")
    if view.item:
        out.print(f"{view.kind_label}: {view.item.reason}")
    table = Table("field", "value", "confidence", "quote")
    for field in view.fields:
        confidence = "" if field.confidence is None else f"{field.confidence:.2f}"
        quotes = "\n".join(f"p.{q.page} {q.text!r}" for q in field.quotes)
        table.add_row(field.name, field.text, confidence, quotes)
    out.print(table)
    for entry in view.audit:
        change = f"{entry.field}: {entry.before!r} -> {entry.after!r}" if entry.field else entry.action
        out.print(
            f"{entry.at:%Y-%m-%d %H:%M} {entry.actor} {change}" + (f" ({entry.comment})" if entry.comment else "")
        )


@app.command()
def approve(
    document_id: Annotated[str, typer.Argument(help="A document id or its prefix")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="field=value, e.g. expiration_date=2026-08-31")
    ] = None,
    comment: Annotated[str | None, typer.Option(help="Why, for the audit trail")] = None,
    user: Reviewer = LOGIN,
) -> None:
    """Approve with optional corrections; posting continues as for any validated contract."""
    changes = {}
    for item in set_ or []:
        name, sep, value = item.partition("=")
        if not sep:
            err.print(f"[red]error:[/red] --set {item!r}: write field=value")
            raise typer.Exit(2)
        changes[name.strip()] = value.replace("\\n", "\n")  # parties: one per line
    ctx = _context()
    try:
        errors = service.approve(ctx, _document_id(ctx, document_id), user, changes, comment)
    except service.ReviewError as exc:
        raise _fail(exc) from exc
    if errors:
        err.print("[red]not approved:[/red] these rules still fail\n  " + "\n  ".join(errors))
        raise typer.Exit(1)
    with ctx.db() as db:
        status = service.get_document(db, _document_id(ctx, document_id)).status
    err.print(f"approved; the document is now {status}")


@app.command()
def reject(
    document_id: Annotated[str, typer.Argument(help="A document id or its prefix")],
    reason: Annotated[str, typer.Option(help="Why, for the audit trail")],
    user: Reviewer = LOGIN,
) -> None:
    """Reject: the document ends `rejected` and is not posted."""
    ctx = _context()
    try:
        service.reject(ctx, _document_id(ctx, document_id), user, reason)
    except service.ReviewError as exc:
        raise _fail(exc) from exc
    err.print("rejected")


@app.command("hash-password")
def hash_password_command() -> None:
    """Print a password hash for CONTRACTFLOW_REVIEW_USERS (the password is asked for, not echoed)."""
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    encoded = hash_password(password)
    typer.echo(encoded)
    err.print(f"e.g. export CONTRACTFLOW_REVIEW_USERS='{json.dumps({getpass.getuser(): encoded})}'")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
) -> None:
    """Run the review web UI."""
    import uvicorn

    from pipeline.review.web import create_app

    settings = get_settings()
    if not settings.review_users:
        err.print(
            "[yellow]no reviewers configured:[/yellow] set CONTRACTFLOW_REVIEW_USERS (see `review hash-password`)"
        )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")

"""`contractflow outbox list|retry|drain` and `contractflow reconcile`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.settings import get_settings

app = typer.Typer(help="Postings waiting for, delivered to or refused by the destination.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("list")
def list_items(
    status: Annotated[str | None, typer.Option(help="pending, delivered or dead")] = None,
) -> None:
    """Outbox items, oldest first."""
    from pipeline.outbox import items
    from pipeline.store import session

    table = Table("id", "status", "attempts", "document", "connector", "reference / last error")
    with session(get_settings().resolved_database_url) as db:
        for item in items(db, status):
            detail = item.reference if item.status == "delivered" else item.last_error
            table.add_row(
                str(item.id), item.status, str(item.attempts), item.document_id[:12], item.connector, detail or ""
            )
    Console().print(table)


@app.command()
def retry(item_id: Annotated[int, typer.Argument(help="The item's id (see `outbox list`)")]) -> None:
    """Send a dead item again: back to pending, and its post step queued for a worker."""
    from pipeline.outbox import retry as reset
    from pipeline.store import session
    from pipeline.tasks import submit

    try:
        with session(get_settings().resolved_database_url) as db:
            document_id = reset(db, item_id).document_id
    except (KeyError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc.args[0]}")
        raise typer.Exit(1) from exc
    submit(document_id, "post")
    console.print(f"item {item_id} is pending again; a worker, or `contractflow outbox drain`, delivers it")


@app.command()
def drain() -> None:
    """Deliver every pending item now, in this process (the poster run standalone)."""
    from connectors import ConnectorError, connector_for
    from pipeline.outbox import drain as deliver_all

    settings = get_settings()
    try:
        report = deliver_all(settings, connector_for(settings))
    except ConnectorError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"delivered {len(report.delivered)}, dead {len(report.dead)}")
    for line in report.dead:
        console.print(f"[red]dead[/red] {line}")
    if report.unavailable:
        console.print(f"[yellow]stopped, destination unavailable:[/yellow] {report.unavailable}")
    if report.dead or report.unavailable:
        raise typer.Exit(1)


def reconcile_command() -> None:
    """Compare the postings in the store with what the destination holds; exit 1 on any difference."""
    from connectors import ConnectorError, ConnectorUnavailable, connector_for
    from pipeline.reconcile import reconcile

    settings = get_settings()
    try:
        differences = reconcile(settings, connector_for(settings))
    except (ConnectorError, ConnectorUnavailable) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    out = Console()
    for title, entries in (
        ("posted but missing at the destination", differences.missing),
        ("at the destination but not recorded as posted", differences.unrecorded),
        ("held under another reference than recorded", differences.moved),
    ):
        for key, reference in entries:
            out.print(f"{title}: {key}  {reference}")
    if differences:
        raise typer.Exit(1)
    out.print(f"{settings.connector}: the store and the destination agree")

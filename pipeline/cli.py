"""The `contractflow` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from pipeline.models import Document
from pipeline.settings import get_settings

app = typer.Typer(help="Contracts in, grounded fields checked against business rules, posted once to an ERP.")
console = Console(stderr=True)


@app.callback()
def _configure_logging() -> None:
    # Before any command: JSON log lines when CONTRACTFLOW_LOG_JSON is set (pipeline/logs.py).
    from pipeline.logs import configure

    configure(get_settings())


@app.command()
def run(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files and folders of contracts")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON on stdout")] = False,
    manifest: Annotated[
        Path | None, typer.Option(help="A .csv or .jsonl list of files and s3:// URIs (pipeline/sources/manifest.py)")
    ] = None,
) -> None:
    """Process contracts end to end and wait until each reaches a terminal state."""
    from pipeline.runner import RunError, process
    from pipeline.runner import run as run_documents
    from pipeline.sources.manifest import register_manifest

    if bool(paths) == (manifest is not None):
        console.print("[red]error:[/red] name files and folders, or a --manifest (not both)")
        raise typer.Exit(2)

    settings = get_settings()
    progress = Progress(
        TextColumn("[bold]contracts"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )
    task = progress.add_task("run", total=None)

    def registered(documents: list[Document], skipped: list[Path]) -> None:
        if skipped:
            names = ", ".join(p.name for p in skipped[:3]) + (", ..." if len(skipped) > 3 else "")
            console.print(f"[dim]skipped {len(skipped)} files that are not contract formats: {names}[/dim]")
        progress.update(task, total=len(documents))
        progress.start()

    try:
        on_progress = lambda done: progress.update(task, completed=done)  # noqa: E731
        if manifest is not None:
            results = process(register_manifest(manifest, settings), [], settings, registered, on_progress)
        else:
            results = run_documents(paths or [], settings, registered, on_progress)
    except RunError as exc:
        progress.stop()
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    finally:
        progress.stop()
    from pipeline.batch_rules import check_batch

    batch = check_batch([result for result in results if result.status == "posted"], settings.rules_dir)
    if json_output:
        payload = {"documents": [result.__dict__ for result in results], "batch": [v.__dict__ for v in batch]}
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
        return
    table = Table("file", "status", "parties", "effective", "value", "ERP reference / reason")
    for result in results:
        fields = result.fields or {}
        parties = ", ".join(p["name"] for p in fields.get("parties", []))
        value = fields.get("total_value")
        table.add_row(
            result.file,
            result.status,
            parties,
            str(fields.get("effective_date") or ""),
            f"{value['amount']} {value['currency']}" if value else "",
            result.erp_reference or result.reason or "",
        )
    Console().print(table)
    for violation in batch:
        console.print(f"[yellow]batch[/yellow] {violation}")
    if settings.connector == "jsonl":
        console.print(f"records: {settings.resolved_jsonl_path}")


@app.command()
def worker(
    queues: Annotated[str | None, typer.Option(help="Comma-separated stages to serve (default: all)")] = None,
    concurrency: Annotated[int, typer.Option(help="Worker processes (or threads with --pool threads)")] = 2,
    pool: Annotated[
        str, typer.Option(help="prefork, or threads for the LLM-bound extract queue (many calls in flight)")
    ] = "prefork",
    loglevel: Annotated[str, typer.Option()] = "INFO",
) -> None:
    """Run a Celery worker for some or all stage queues."""
    from pipeline.celery_app import QUEUES
    from pipeline.celery_app import app as celery

    names = [QUEUES[s.strip()] for s in queues.split(",")] if queues else list(QUEUES.values())
    argv = ["worker", "-Q", ",".join(names), "-c", str(concurrency), "-P", pool, "--loglevel", loglevel]
    settings = get_settings()
    if settings.metrics_port is None:
        celery.worker_main(argv)
        return
    from pipeline.metrics import serve_beside_worker

    metrics_server = serve_beside_worker()
    try:
        celery.worker_main(argv)
    finally:
        metrics_server.terminate()
        metrics_server.wait(timeout=10)


metrics_app = typer.Typer(help="Prometheus metrics (CONTRACTFLOW_METRICS_PORT).")
app.add_typer(metrics_app, name="metrics")


@metrics_app.command("serve")
def metrics_serve(
    parent: Annotated[int | None, typer.Option(help="Exit when this process (the worker) is gone")] = None,
) -> None:
    """Serve /metrics: the counters of the workers sharing PROMETHEUS_MULTIPROC_DIR, queue depth, documents."""
    from pipeline.metrics import serve

    settings = get_settings()
    if settings.metrics_port is None:
        console.print("[red]error:[/red] set CONTRACTFLOW_METRICS_PORT")
        raise typer.Exit(2)
    serve(settings, parent)


@app.command()
def status(document_id: Annotated[str | None, typer.Argument(help="A document id or its prefix")] = None) -> None:
    """Counts by status, or one document's stages, fields and outcome."""
    from pipeline.store import DocumentRow, ExtractionRow, PostingRow, StageRun, VerdictRow, session

    settings = get_settings()
    out = Console()
    with session(settings.resolved_database_url) as db:
        if document_id is None:
            table = Table("status", "documents")
            for state, count in db.execute(select(DocumentRow.status, func.count()).group_by(DocumentRow.status)):
                table.add_row(state, str(count))
            out.print(table)
            return
        matches = db.scalars(select(DocumentRow).where(DocumentRow.id.startswith(document_id))).all()
        if len(matches) != 1:
            console.print(f"[red]{len(matches)} documents match {document_id!r}[/red]")
            raise typer.Exit(1)
        row = matches[0]
        out.print(
            f"[bold]{row.filename}[/bold]  {row.id}\nstatus: {row.status}" + (f"  ({row.reason})" if row.reason else "")
        )
        runs = Table("stage", "status", "started", "finished", "error")
        for stage_run in db.scalars(select(StageRun).where(StageRun.document_id == row.id).order_by(StageRun.id)):
            runs.add_row(
                stage_run.stage,
                stage_run.status,
                str(stage_run.started_at),
                str(stage_run.finished_at),
                stage_run.error or "",
            )
        out.print(runs)
        extraction = db.get(ExtractionRow, row.id)
        verdict = db.get(VerdictRow, row.id)
        posting = db.get(PostingRow, row.id)
        if extraction:
            out.print_json(json.dumps(extraction.payload["fields"], default=str))
            out.print(f"tokens: {extraction.prompt_tokens} prompt, {extraction.completion_tokens} completion")
        if verdict:
            for violation in verdict.payload["violations"]:
                out.print(f"[yellow]{violation['severity']}[/yellow] {violation['rule_id']}: {violation['message']}")
        if posting:
            out.print(f"posted to {posting.connector}: {posting.reference}")


def _mount_optional() -> None:
    """Sub-commands whose modules are developed on their own (local model, evaluation)."""
    from pipeline.eval.cli import eval_command
    from pipeline.local_llm.cli import app as model_app
    from pipeline.outbox_cli import app as outbox_app
    from pipeline.outbox_cli import reconcile_command
    from pipeline.review.cli import app as review_app
    from pipeline.rules_cli import app as rules_app

    app.add_typer(review_app, name="review")
    app.add_typer(rules_app, name="rules")
    app.add_typer(model_app, name="model", help="The embedded local model: status and fetch.")
    app.add_typer(outbox_app, name="outbox", help="Postings: list, retry a dead one, drain pending ones.")
    app.command(name="reconcile")(reconcile_command)
    app.command(name="eval")(eval_command)
    from pipeline.sources.cli import app as sources_app

    app.add_typer(sources_app)  # watch, serve-upload


_mount_optional()

"""`contractflow eval --dataset kleister|cuad DIR`: the real parser, extractor and model."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.eval.cuad import Cuad
from pipeline.eval.dataset import Dataset
from pipeline.eval.kleister import Kleister
from pipeline.eval.runner import run_eval
from pipeline.models import Extraction, ParsedDocument
from pipeline.settings import Settings

DATASETS: dict[str, Dataset] = {"kleister": Kleister(), "cuad": Cuad()}


def _table(result: dict[str, object]) -> Table:
    table = Table(title=f"{result['dataset']}: {result['documents']} documents, model {result['model']}")
    for column in ("field", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "field" else "right")
    fields: dict[str, dict[str, float]] = result["fields"]  # type: ignore[assignment]
    for name, s in fields.items():
        table.add_row(name, f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}", str(s["support"]))
    table.add_row("micro", "", "", f"{result['micro_f1']:.3f}", "", style="bold")
    table.add_row("macro", "", "", f"{result['macro_f1']:.3f}", "", style="bold")
    return table


def eval_command(
    dataset: Annotated[str, typer.Option("--dataset", help="Label format of DIRECTORY: kleister or cuad")],
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="The split's folder")],
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Evaluate at most N documents")] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip the first N documents")] = 0,
    json_output: Annotated[bool, typer.Option("--json", help="Print only the result as JSON")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", file_okay=False, help="Write per-document JSON for error analysis")
    ] = None,
    extractor: Annotated[
        str | None,
        typer.Option(
            "--extractor", help="agent, single, or patterns (finders alone, no model); default: CONTRACTFLOW_EXTRACTOR"
        ),
    ] = None,
) -> None:
    """Score extraction against a labeled split (Kleister-NDA or CUAD); see docs/EVAL.md."""
    if dataset not in DATASETS:
        raise typer.BadParameter(f"choose one of {', '.join(DATASETS)}", param_hint="--dataset")
    # Imported here: the model stack is heavy and only this command needs it.
    from pipeline import extract
    from pipeline.agent import loop
    from pipeline.eval.tokens import whole_document_counter
    from pipeline.evidence import locate
    from pipeline.extractors import extractor_for
    from pipeline.llm import connect
    from pipeline.parse import parse_file
    from pipeline.rules import load_rules
    from pipeline.runner import RunError, local_model

    settings = Settings()
    rules = load_rules(settings.rules_dir)
    run: Callable[[ParsedDocument], Extraction]
    count_whole: Callable[[ParsedDocument], int] | None = None
    if extractor not in (None, "agent", "single", "patterns"):
        raise typer.BadParameter("choose agent, single or patterns", param_hint="--extractor")
    with contextlib.ExitStack() as stack:
        if extractor == "patterns":  # the finders alone: no model is started
            run, model = partial(loop.read_by_patterns, rules=rules), "patterns"
        else:
            settings = settings.model_copy(update={"extractor": extractor or settings.extractor})
            try:  # a local model server started here stops when the command ends
                stack.enter_context(local_model(settings))
            except RunError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from exc
            llm = connect(settings)
            run, model = extractor_for(settings, llm, rules), llm.name
            count_whole = whole_document_counter(llm.base_url)
        single = settings.extractor == "single"
        result = run_eval(
            DATASETS[dataset],
            directory,
            run,
            model=model,
            prompt_version=extract.PROMPT_VERSION if single else loop.prompt_version(settings.agent_second_read),
            cache_dir=settings.home / "eval-cache",
            parse=parse_file,
            locate=locate,
            limit=limit,
            offset=offset,
            out=out,
            count_whole=count_whole,
        )
    if json_output:
        typer.echo(json.dumps(result, indent=2))
        return
    console = Console()
    console.print(_table(result))
    tokens = f"{result['prompt_tokens']} prompt + {result['completion_tokens']} completion tokens"
    console.print(f"grounded rate {result['grounded_rate']}, {tokens}, {result['seconds_per_document']} s/doc")
    if result["prompt_token_share"] is not None:
        console.print(f"prompt tokens = {result['prompt_token_share']:.1%} of the whole-document prompts")
    for failure in result["failed"]:  # type: ignore[attr-defined]
        console.print(f"[red]failed[/red] {failure['file']}: {failure['reason']}")

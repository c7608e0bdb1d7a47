"""`contractflow rules check [DIR]`: lint the rule files before they reach a worker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.batch_rules import lint_all
from pipeline.settings import get_settings

app = typer.Typer(help="Business rules: check the YAML rule files.")


@app.command()
def check(
    directory: Annotated[Path | None, typer.Argument(help="Rules folder (default: the configured one)")] = None,
) -> None:
    """Report every problem with file, line and rule id; exit 1 if there is any."""
    folder = directory or get_settings().rules_dir
    if not folder.is_dir():
        Console(stderr=True).print(f"[red]error:[/red] no rules folder {folder}")
        raise typer.Exit(2)
    problems = lint_all(folder)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{folder}: rules are fine")

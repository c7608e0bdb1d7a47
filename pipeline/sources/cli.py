"""`contractflow watch` and `contractflow serve-upload`: long-running sources, with their own
embedded worker unless a broker URL points at separately started workers."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from pipeline.runner import EmbeddedWorker, RunError, resubmit, workers
from pipeline.settings import get_settings
from pipeline.sources.base import Watcher

app = typer.Typer()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    return stop


@app.command()
def watch(
    target: Annotated[str, typer.Argument(help="s3://bucket/prefix or a folder")],
    once: Annotated[bool, typer.Option(help="Take what is there now, wait until it is done, and exit")] = False,
) -> None:
    """Watch a bucket or a folder and process each new contract (Ctrl-C to stop)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = get_settings()
    watcher: Watcher
    try:
        if target.startswith("s3://"):
            from pipeline.sources.s3 import BucketWatcher

            watcher = BucketWatcher(target, settings)
        else:
            from pipeline.sources.folder import FolderWatcher

            watcher = FolderWatcher(Path(target), settings)
        stop = _stop_on_signals()
        with workers(settings) as worker:
            requeue = lambda: resubmit(settings, sorted(watcher.in_flight))  # noqa: E731
            watcher.run(stop, between=(lambda: worker.keep_alive(requeue)) if worker else lambda: None, once=once)
    except (RunError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command(name="serve-upload")
def serve_upload(
    host: Annotated[str | None, typer.Option(help="Default: CONTRACTFLOW_UPLOAD_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: CONTRACTFLOW_UPLOAD_PORT")] = None,
) -> None:
    """Accept contracts over HTTP: POST /documents (multipart `file`), GET /documents/{id}."""
    import uvicorn

    from pipeline.sources.upload import create_app

    settings = get_settings()
    api = create_app(settings)
    try:
        with workers(settings) as worker:
            stop = threading.Event()
            if worker is not None:  # uvicorn owns the main thread: the worker is minded beside it
                requeue = lambda: resubmit(settings, sorted(api.state.queued))  # noqa: E731
                threading.Thread(target=_mind, args=(worker, requeue, stop), daemon=True).start()
            try:
                uvicorn.run(api, host=host or settings.upload_host, port=port or settings.upload_port)
            finally:
                stop.set()
    except RunError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _mind(worker: EmbeddedWorker, requeue: Callable[[], None], stop: threading.Event) -> None:
    while not stop.wait(1.0):
        worker.keep_alive(requeue)

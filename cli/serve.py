"""`sentiment serve`: run the HTTP service with uvicorn.

Flags override the `SENTIMENT_*` environment variables (see the README's settings table); every
other setting is read from the environment by each worker process.
"""

from __future__ import annotations

import os
import tempfile
from typing import Annotated, Optional

import typer

APP_FACTORY = "sentiment.service.app:create_app"

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[
        Optional[str], typer.Option(help="Interface to bind (env SENTIMENT_HOST; default 127.0.0.1).")
    ] = None,
    port: Annotated[Optional[int], typer.Option(help="TCP port (env SENTIMENT_PORT; default 8000).")] = None,
    workers: Annotated[
        Optional[int],
        typer.Option(help="Worker processes, each with its own analyzers (env SENTIMENT_WORKERS; default 1)."),
    ] = None,
    preload: Annotated[
        Optional[str],
        typer.Option(help="Comma-separated analyzers to load at start-up (env SENTIMENT_PRELOAD; default lexicon)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's own log level.")] = "info",
) -> None:
    """Serve POST /analyze, GET /analyzers, /health, /ready, /metrics and the page at /."""
    import uvicorn

    from sentiment.service.metrics import MULTIPROCESS_ENV
    from sentiment.service.settings import Settings, SettingsError, env_name

    if preload is not None:
        os.environ[env_name("preload")] = preload  # the workers read it from their environment
    try:
        overrides = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None}
        settings = Settings.from_env(**overrides)
    except (SettingsError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    if settings.workers > 1 and not os.environ.get(MULTIPROCESS_ENV):
        # Each worker writes its metrics here, so /metrics can sum them whichever worker answers.
        os.environ[MULTIPROCESS_ENV] = tempfile.mkdtemp(prefix="sentiment-metrics-")
    typer.echo(f"sentiment service on http://{settings.host}:{settings.port}/ ({settings.workers} worker(s))", err=True)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=log_level,
        access_log=False,  # the service writes its own JSON access log
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        timeout_keep_alive=settings.keep_alive_seconds,
    )

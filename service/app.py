"""The app factory: `create_app(settings)` builds one independent service (its own analyzers,
metrics registry and limits). `uvicorn --factory sentiment.service.app:create_app` reads the
settings from `SENTIMENT_*` environment variables."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from sentiment import __version__
from sentiment.registry import analyzer_spec

from .access_log import REQUEST_ID_HEADER, AccessLogMiddleware, configure_logging
from .auth import API_KEY_HEADER, ApiKeyMiddleware, KeyChecker
from .context import ServiceContext
from .errors import install_error_handlers
from .limits import BodySizeLimitMiddleware
from .routes import STATIC_DIR, router
from .settings import Settings

DESCRIPTION = """
Sentiment analysis over HTTP: polarity, fine-grained stars, aspects, emotions and intent, from the
lexicon, neural and hybrid analyzers of the `sentiment` library. `POST /analyze` returns exactly
the library's `Analysis.to_dict()`. Errors are JSON: `{"error": CODE, "message": ...}`.
When API keys are configured, every endpoint except `/health`, `/ready` and the page at `/`
needs `Authorization: Bearer KEY` or `X-API-Key: KEY`.
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    service: ServiceContext = app.state.service
    analyzer_spec(service.settings.default_analyzer)  # an unknown default fails start-up, naming the valid ones
    for name in service.settings.preload:
        await service.run(lambda name=name: service.pool.get(name))
    service.started = True
    try:
        yield
    finally:
        service.started = False


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings if settings is not None else Settings.from_env()
    keys = KeyChecker(settings.all_api_keys())
    service = ServiceContext(settings=settings)
    configure_logging()

    app = FastAPI(title="sentiment", version=__version__, description=DESCRIPTION, lifespan=_lifespan)
    app.state.service = service
    install_error_handlers(app)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    known_paths = frozenset(path for route in app.routes if (path := getattr(route, "path", None)))

    # add_middleware puts each new layer outside the previous ones: the body limit is innermost,
    # the access log outermost (it sees every response, 401 and 413 included).
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    if keys:
        app.add_middleware(ApiKeyMiddleware, checker=keys)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", API_KEY_HEADER, REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER],
        )
    app.add_middleware(
        AccessLogMiddleware, metrics=service.metrics, known_paths=known_paths, enabled=settings.access_log
    )
    return app

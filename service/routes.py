"""The endpoints: each checks its input, hands the work to the library off the event loop, and
returns the library's own JSON."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Sequence

from fastapi import APIRouter, Body, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from sentiment import InvalidInputError, Mode, available_analyzers, parse_modes
from sentiment.base import without_explanations, without_sentences
from sentiment.registry import analyzer_spec

from .access_log import ANALYZER_STATE_KEY, LOGGED_TEXTS_STATE_KEY, TEXTS_STATE_KEY
from .catalog import analyzer_info
from .context import ServiceContext, service_of
from .errors import ERROR_STATE_KEY, RequestTooLarge
from .pool import AnalyzerPool
from .schemas import ANALYZE_EXAMPLES, AnalyzeRequest, AnalyzeResponse, AnalyzersOut, ErrorOut, HealthOut, ReadyOut

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The page loads only its own script and style sheet and calls only this service.
PAGE_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "API keys are configured and the request has no valid key."},
    404: {"model": ErrorOut, "description": "Unknown analyzer; `valid` lists the registered ones."},
    413: {"model": ErrorOut, "description": "Body, number of texts or characters per text over the limit."},
    422: {"model": ErrorOut, "description": "Malformed JSON, a field of the wrong type, or an unsupported mode."},
    503: {"model": ErrorOut, "description": "The analyzer could not be loaded (a missing model file, ...)."},
}


def _note(request: Request, key: str, value: Any) -> None:
    """Tell the access log something about this request."""
    request.scope.setdefault("state", {})[key] = value


def _check_limits(texts: Sequence[str], is_batch: bool, service: ServiceContext) -> None:
    settings = service.settings
    if len(texts) > settings.max_texts:
        raise RequestTooLarge(
            f"texts: {len(texts)} texts, the limit is {settings.max_texts} per request (SENTIMENT_MAX_TEXTS)",
            "max_texts",
        )
    for index, text in enumerate(texts):
        field = f"texts[{index}]" if is_batch else "text"
        if len(text) > settings.max_text_chars:
            raise RequestTooLarge(
                f"{field}: {len(text)} characters, the limit is {settings.max_text_chars} (SENTIMENT_MAX_TEXT_CHARS)",
                "max_text_chars",
            )
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                message = f"{field}: contains an unpaired surrogate, which is not valid Unicode"
                raise InvalidInputError(message) from None


def _analyze_to_json(
    pool: AnalyzerPool,
    name: str,
    texts: list[str],
    modes: tuple[Mode, ...],
    explanations: bool,
    sentences: bool,
    is_batch: bool,
) -> bytes:
    """Analyze and serialize: both are CPU work, done together (in a worker thread unless the request is small)."""
    analyzer = pool.get(name)
    if not explanations:
        analyzer = without_explanations(analyzer)
    if not sentences:
        analyzer = without_sentences(analyzer)
    results = analyzer.analyze_batch(texts, modes)
    if len(results) != len(texts):
        raise RuntimeError(f"analyzer {name!r} returned {len(results)} results for {len(texts)} texts")
    payload = []
    for analysis in results:
        data = analysis.to_dict()
        if not explanations:
            data["explanation"] = None
        if not sentences:
            data["sentences"] = None
        payload.append(data)
    body = payload if is_batch else payload[0]
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


@router.post(
    "/analyze",
    summary="Analyze one text or a batch",
    response_model=None,
    responses={200: {"model": AnalyzeResponse, "description": "`Analysis.to_dict()` of each text."}, **_ERRORS},
)
async def analyze(
    request: Request, body: Annotated[AnalyzeRequest, Body(openapi_examples=ANALYZE_EXAMPLES)]
) -> Response:
    """Exactly the library's result: `get_analyzer(analyzer).analyze_batch(texts, modes)`, as JSON."""
    service = service_of(request)
    texts = body.all_texts()
    _note(request, TEXTS_STATE_KEY, len(texts))
    _check_limits(texts, body.is_batch, service)
    name = body.analyzer or service.settings.default_analyzer
    spec = analyzer_spec(name)
    _note(request, ANALYZER_STATE_KEY, name)
    if service.settings.log_texts:
        _note(request, LOGGED_TEXTS_STATE_KEY, texts)
    modes = parse_modes(body.modes, spec.modes, name)
    work = partial(
        _analyze_to_json, service.pool, name, texts, modes, body.explanations, body.sentences, body.is_batch
    )
    small = sum(len(text) for text in texts) <= service.settings.inline_max_chars
    content = work() if small and service.pool.peek(name) is not None else await service.run(work)
    service.metrics.texts.labels(name).inc(len(texts))
    return Response(content, media_type="application/json")


@router.get("/analyzers", summary="Registered analyzers, their modes and models", response_model=AnalyzersOut)
async def analyzers(request: Request) -> JSONResponse:
    service = service_of(request)

    def describe() -> dict[str, Any]:
        listing = [analyzer_info(spec, service.pool.peek(name)) for name, spec in available_analyzers().items()]
        return {"default": service.settings.default_analyzer, "analyzers": listing}

    return JSONResponse(await service.run(describe))


@router.get("/health", summary="Liveness: the process answers", response_model=HealthOut)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Readiness: start-up finished and the preloaded analyzers are built",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "Still starting."}},
)
async def ready(request: Request) -> JSONResponse:
    service = service_of(request)
    loaded = service.pool.loaded()
    missing = [name for name in service.settings.preload if name not in loaded]
    is_ready = service.started and not missing
    if not is_ready:
        _note(request, ERROR_STATE_KEY, "not_ready")
    body = {"status": "ready" if is_ready else "starting", "loaded": loaded, "missing": missing}
    return JSONResponse(body, status_code=200 if is_ready else 503)


@router.get("/metrics", summary="Prometheus metrics (text exposition format)", response_class=Response)
async def metrics(request: Request) -> Response:
    content, content_type = service_of(request).metrics.render()
    return Response(content, media_type=content_type)


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers=PAGE_SECURITY_HEADERS)

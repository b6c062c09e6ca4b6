"""The outermost layer: a request id, one JSON access-log line and the metrics for every request,
and a JSON 500 for an exception that nothing else handled (a bug: it is logged with its traceback).

Log lines carry no request text unless `SENTIMENT_LOG_TEXTS` is on.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import datetime, timezone
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ERROR_STATE_KEY, error_body
from .metrics import UNMATCHED_PATH, ServiceMetrics

SERVICE_LOGGER = "sentiment.service"
ACCESS_LOGGER = "sentiment.service.access"
REQUEST_ID_HEADER = "x-request-id"
# A client's own request id is kept when it is short and plain, so it cannot forge log lines.
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# Keys the routes put in the request state for the access log.
TEXTS_STATE_KEY = "texts"
ANALYZER_STATE_KEY = "analyzer"
LOGGED_TEXTS_STATE_KEY = "logged_texts"
REQUEST_ID_STATE_KEY = "request_id"


class JsonLinesFormatter(logging.Formatter):
    """A dict message becomes that JSON object; anything else a JSON object with a `message`."""

    def format(self, record: logging.LogRecord) -> str:
        if isinstance(record.msg, dict):
            payload: dict[str, Any] = dict(record.msg)
        else:
            payload = {
                "ts": _timestamp(record.created),
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": record.getMessage(),
            }
        if record.exc_info:
            payload["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure_logging(stream: Any = None) -> logging.Logger:
    """Give the service loggers one JSON-lines handler (once; later calls keep the first)."""
    logger = logging.getLogger(SERVICE_LOGGER)
    if not any(getattr(h, "_sentiment_service", False) for h in logger.handlers):
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(JsonLinesFormatter())
        handler._sentiment_service = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds")


def request_id_for(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _CLIENT_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class AccessLogMiddleware:
    """Times and records every HTTP request; turns an unhandled exception into a JSON 500."""

    def __init__(
        self, app: ASGIApp, metrics: ServiceMetrics, known_paths: frozenset[str], enabled: bool = True
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.known_paths = known_paths
        self.enabled = enabled
        self.access = logging.getLogger(ACCESS_LOGGER)
        self.errors = logging.getLogger(SERVICE_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        request_id = state[REQUEST_ID_STATE_KEY] = request_id_for(scope)
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            self.errors.exception(
                "unhandled error in request %s %s (request id %s)", scope["method"], scope["path"], request_id
            )
            state[ERROR_STATE_KEY] = "internal_error"
            if not response_started:
                await _send_internal_error(send_with_id, request_id)
        finally:
            seconds = time.perf_counter() - started
            self._record(scope, state, status, seconds, request_id)

    def _record(self, scope: Scope, state: dict[str, Any], status: int, seconds: float, request_id: str) -> None:
        route_path = getattr(scope.get("route"), "path", None)
        if route_path is None:  # answered before routing (401, 413): label it by its path if that is a route
            route_path = scope["path"] if scope["path"] in self.known_paths else UNMATCHED_PATH
        path_label = route_path
        self.metrics.observe_request(scope["method"], path_label, status, seconds)
        error = state.get(ERROR_STATE_KEY)
        if error is None and status >= 400:
            error = "http_error"
        if error is not None:
            self.metrics.errors.labels(error).inc()
        if not self.enabled:
            return
        record: dict[str, Any] = {
            "ts": _timestamp(time.time()),
            "request_id": request_id,
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "latency_ms": round(seconds * 1000, 3),
            "texts": state.get(TEXTS_STATE_KEY),
            "analyzer": state.get(ANALYZER_STATE_KEY),
            "error": error,
            "client": (scope.get("client") or (None,))[0],
        }
        if LOGGED_TEXTS_STATE_KEY in state:
            record["request_texts"] = state[LOGGED_TEXTS_STATE_KEY]
        self.access.info(record)


async def _send_internal_error(send: Send, request_id: str) -> None:
    body = json.dumps(
        error_body("internal_error", "internal server error; the log has the details", request_id=request_id)
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

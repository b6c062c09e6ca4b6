"""The request-body size limit, checked on Content-Length and again on the bytes actually streamed."""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import RequestTooLarge, error_body, record_error

BODY_LIMIT = "max_body_bytes"


def _too_large_message(limit: int) -> str:
    return f"request body is larger than the limit of {limit} bytes (SENTIMENT_MAX_BODY_BYTES)"


class BodySizeLimitMiddleware:
    """413 for a declared Content-Length over the limit; a chunked body that grows past it stops
    the request when the handler reads it (raised as `RequestTooLarge`, answered by the handlers)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_body_bytes:
            await self._reject(scope, send)
            return
        received = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge(_too_large_message(limit), BODY_LIMIT)
            return message

        await self.app(scope, limited_receive, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        record_error(scope.setdefault("state", {}), "too_large")
        body = json.dumps(error_body("too_large", _too_large_message(self.max_body_bytes), limit=BODY_LIMIT)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

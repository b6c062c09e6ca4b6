"""Optional API keys: when any are configured, every path except the open ones needs a valid key.

A key is sent as `Authorization: Bearer KEY` or `X-API-Key: KEY`. Keys are compared with
`hmac.compare_digest` against every configured key (no early exit), and never logged.
"""

from __future__ import annotations

import hmac
import json
from typing import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import error_body, record_error

# Liveness and readiness probes come from load balancers that hold no key; the page itself holds
# no data (it asks for the key and sends it with each call). Everything else needs a key.
OPEN_PATHS = frozenset({"/health", "/ready", "/"})
OPEN_PREFIXES = ("/static/",)
API_KEY_HEADER = "x-api-key"
_BEARER = "bearer "


def presented_key(headers: Headers) -> str | None:
    """The key a request carries, from X-API-Key or an Authorization bearer token."""
    key = headers.get(API_KEY_HEADER)
    if key:
        return key.strip()
    authorization = headers.get("authorization", "")
    if authorization[: len(_BEARER)].lower() == _BEARER:
        return authorization[len(_BEARER) :].strip()
    return None


class KeyChecker:
    """Holds the configured keys as bytes and answers, in constant time per key, whether one matches."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = tuple(key.encode("utf-8") for key in keys if key)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __repr__(self) -> str:  # never show the keys
        return f"KeyChecker({len(self._keys)} keys)"

    def is_valid(self, candidate: str | None) -> bool:
        if candidate is None:
            return False
        given = candidate.encode("utf-8", "surrogateescape")
        matched = False
        for key in self._keys:
            matched |= hmac.compare_digest(given, key)
        return matched


def is_open_path(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


_UNAUTHORIZED = json.dumps(
    error_body(
        "unauthorized",
        "missing or invalid API key; send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
    )
).encode()


class ApiKeyMiddleware:
    """Answers 401, and nothing else, to a request for a protected path without a valid key."""

    def __init__(self, app: ASGIApp, checker: KeyChecker) -> None:
        self.app = app
        self.checker = checker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.checker.is_valid(presented_key(Headers(scope=scope))):
            await self.app(scope, receive, send)
            return
        record_error(scope.setdefault("state", {}), "unauthorized")
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(_UNAUTHORIZED)).encode()),
                    (b"www-authenticate", b"Bearer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _UNAUTHORIZED})

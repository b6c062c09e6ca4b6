"""One JSON shape for every error response: `{"error": CODE, "message": TEXT, ...}`.

The exception handlers map library errors to status codes (unknown analyzer 404, unsupported mode
or invalid input 422, analyzer that cannot load 503) and record the error code in the request
state, where the access log and the metrics find it.
"""

from __future__ import annotations

from typing import Any, MutableMapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sentiment import InvalidInputError, ResourceError, SentimentError, UnknownAnalyzerError, UnsupportedModeError

ERROR_STATE_KEY = "error"

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid_request",
    503: "unavailable",
}


class RequestTooLarge(StarletteHTTPException):
    """A request over one of the configured limits (body bytes, texts, characters per text)."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(status_code=413, detail=message)
        self.limit = limit


class AnalyzerUnavailable(Exception):
    """A registered analyzer whose factory failed (a missing model file, a missing package)."""

    def __init__(self, name: str, cause: BaseException) -> None:
        self.name = name
        super().__init__(f"analyzer {name!r} could not be loaded: {type(cause).__name__}: {cause}")


def record_error(state: MutableMapping[str, Any], code: str) -> None:
    state[ERROR_STATE_KEY] = code


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def error_response(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    record_error(request.scope.setdefault("state", {}), code)
    return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    """("body", "texts", 3) -> "texts[3]"; the leading "body" says nothing to a client."""
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[1:]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = []
    for item in error.errors():
        location = item.get("loc", ())
        message = item.get("msg", "invalid value")
        if item.get("type") == "json_invalid":
            detail = (item.get("ctx") or {}).get("error", "")
            problems.append({"field": "body", "message": f"malformed JSON: {detail} at character {location[-1]}"})
        else:
            problems.append({"field": _field_name(location), "message": message})
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems) or "invalid request"
    return error_response(request, 422, "invalid_request", summary, errors=problems)


# FastAPI answers 400 with this detail when the body is not decodable JSON at all (invalid UTF-8,
# nesting deeper than the parser's recursion limit); for the client that is malformed JSON too.
_FASTAPI_BODY_PARSE_DETAIL = "There was an error parsing the body"


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    if error.status_code == 400 and error.detail == _FASTAPI_BODY_PARSE_DETAIL:
        reason = type(error.__cause__).__name__ if error.__cause__ is not None else "unparseable"
        message = f"malformed JSON: the body could not be parsed ({reason})"
        problems = [{"field": "body", "message": message}]
        return error_response(request, 422, "invalid_request", f"body: {message}", errors=problems)
    code = _CODES_BY_STATUS.get(error.status_code, "http_error")
    extra = {"limit": error.limit} if isinstance(error, RequestTooLarge) else {}
    return error_response(
        request, error.status_code, code, str(error.detail), headers=getattr(error, "headers", None), **extra
    )


async def _unknown_analyzer(request: Request, error: UnknownAnalyzerError) -> JSONResponse:
    return error_response(request, 404, "unknown_analyzer", str(error), valid=list(error.valid))


async def _unsupported_mode(request: Request, error: UnsupportedModeError) -> JSONResponse:
    return error_response(request, 422, "unsupported_mode", str(error), valid=list(error.valid))


async def _invalid_input(request: Request, error: InvalidInputError) -> JSONResponse:
    return error_response(request, 422, "invalid_input", str(error))


async def _resource_error(request: Request, error: ResourceError) -> JSONResponse:
    return error_response(request, 503, "resource_error", str(error))


async def _sentiment_error(request: Request, error: SentimentError) -> JSONResponse:
    """Any other error the library raises on purpose is about the input it was given."""
    return error_response(request, 422, "invalid_input", str(error))


async def _unavailable(request: Request, error: AnalyzerUnavailable) -> JSONResponse:
    return error_response(request, 503, "analyzer_unavailable", str(error))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(UnknownAnalyzerError, _unknown_analyzer)
    app.add_exception_handler(UnsupportedModeError, _unsupported_mode)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(ResourceError, _resource_error)
    app.add_exception_handler(SentimentError, _sentiment_error)
    app.add_exception_handler(AnalyzerUnavailable, _unavailable)

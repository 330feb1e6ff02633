"""One error shape for the whole API: ``{"error": "<CODE>", "message": "..."}``.

* :class:`AuthError` -> its status and code (plus ``WWW-Authenticate`` / ``Retry-After``).
* :class:`inboxapp.errors.AppError` (domain errors of the services) -> its status and code.
* Request validation -> 400: ``INVALID_<NAME>`` for a query or path parameter outside its
  documented schema (``INVALID_CLIENTID``), ``BAD_REQUEST`` for a missing parameter or a bad
  body (malformed JSON, missing fields, wrong types, control characters); the message names
  fields and problems, never the submitted values (passwords stay out).
* ``HTTPException`` -> its status with a code derived from it.
* Anything else -> 500 ``INTERNAL``; the traceback goes to the (scrubbed) log, not the body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from inboxapp.auth.tokens import AuthError
from inboxapp.errors import AppError
from inboxapp.logs import get_logger

log = get_logger("inboxapp.api")

_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "BAD_REQUEST",
    429: "RATE_LIMITED",
    503: "UNAVAILABLE",
}
MAX_VALIDATION_ISSUES = 5


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def internal_error_response() -> JSONResponse:
    return error_response(500, "INTERNAL", "Internal server error")


def code_for_status(status: int) -> str:
    if status in _STATUS_CODES:
        return _STATUS_CODES[status]
    try:
        return HTTPStatus(status).name
    except ValueError:
        return "INTERNAL" if status >= 500 else "BAD_REQUEST"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """A readable summary of validation problems: field locations and messages only."""
    parts: list[str] = []
    for error in errors[:MAX_VALIDATION_ISSUES]:
        if not isinstance(error, Mapping):
            continue
        kind = str(error.get("type", ""))
        if kind == "json_invalid":
            return "Malformed JSON body"
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
        where = ".".join(loc) or "body"
        if kind == "missing":
            parts.append(f"{where}: field required")
        else:
            parts.append(f"{where}: {_safe_message(error)}")
    if len(errors) > MAX_VALIDATION_ISSUES:
        parts.append(f"and {len(errors) - MAX_VALIDATION_ISSUES} more")
    return "Invalid request: " + ("; ".join(parts) or "malformed body")


def _safe_message(error: Mapping[str, Any]) -> str:
    """Pydantic's message, unless it could quote the input (then a generic one)."""
    if error.get("type") == "string_pattern_mismatch":
        return "not in the documented format, or contains characters that are not allowed"
    message = str(error.get("msg", "invalid value"))
    value = error.get("input")
    if isinstance(value, str | bytes) and value and str(value) in message:
        return "invalid value"
    return message.removeprefix("Value error, ")


async def _auth_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


def validation_error_code(errors: Sequence[Any]) -> str:
    """``INVALID_<NAME>`` when the first problem is a present query/path parameter's value."""
    first = errors[0] if errors else None
    if isinstance(first, Mapping) and first.get("type") != "missing":
        loc = list(first.get("loc", ()))
        if len(loc) == 2 and loc[0] in ("query", "path") and isinstance(loc[1], str):
            return "INVALID_" + loc[1].upper()
    return "BAD_REQUEST"


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    return error_response(400, validation_error_code(errors), describe_validation_errors(errors))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail
    if isinstance(detail, Mapping) and "error" in detail:
        code, message = str(detail["error"]), str(detail.get("message", ""))
    else:
        code = code_for_status(exc.status_code)
        message = detail if isinstance(detail, str) and detail else _phrase(exc.status_code)
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return error_response(exc.status_code, code, message, headers)


async def _unhandled_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("http.unhandled_exception", errorType=type(exc).__name__, exc_info=exc)
    return internal_error_response()


def register_error_handlers(api: FastAPI) -> None:
    api.add_exception_handler(AuthError, _auth_error)
    api.add_exception_handler(AppError, _app_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_exception_handler(Exception, _unhandled_error)

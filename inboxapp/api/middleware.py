"""Request context middleware (pure ASGI, so it also wraps the mounted Reflex backend).

Per HTTP request:

* a request id: the caller's ``x-request-id`` when it is a sane token (``[A-Za-z0-9._-]``, at
  most 128 characters), else a fresh uuid4 hex; bound into the log context as ``requestId`` and
  returned in ``x-request-id``;
* ``x-duration-ms`` (time to the response headers);
* for ``/api/*``: ``Cache-Control: private, no-store`` (unless the route set one) and
  ``Vary: Authorization``, so no shared cache keeps one user's data or tokens;
* one access-log line ``http.request`` with method, route template, status, ``result``
  (``ok|client_error|server_error``), latencyMs, the ``cache`` outcome (``x-cache``) when the
  route set one, the userId when known and the ``clientId`` query parameter when it is a UUID.
  Never the rest of the query string, headers or bodies;
* the ``inboxapp_http_request_duration_seconds`` histogram by route template
  (:func:`inboxapp.observability.metrics.observe_http`);
* an exception nothing else handled becomes a JSON 500 (traceback logged, not returned).

Websocket and lifespan traffic passes through untouched.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inboxapp.logs import bind_context, clear_context, get_logger
from inboxapp.observability.metrics import observe_http

from .errors import internal_error_response

log = get_logger("inboxapp.api.access")

REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
MAX_LOGGED_PATH = 200


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER:
            candidate = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def route_of(scope: Scope) -> str:
    """The matched route template (``/api/leads/{lead_id}``), else the bare path (no query)."""
    path_format = getattr(scope.get("route"), "path_format", None)
    if isinstance(path_format, str) and path_format:
        return path_format
    return str(scope.get("path", ""))[:MAX_LOGGED_PATH]


def metric_route(scope: Scope, api: bool) -> str:
    """A bounded route label: the template, ``/api/unmatched`` or ``frontend``."""
    path_format = getattr(scope.get("route"), "path_format", None)
    if isinstance(path_format, str) and path_format:
        return path_format
    return "/api/unmatched" if api else "frontend"


def result_of(status: int) -> str:
    return "ok" if status < 400 else "client_error" if status < 500 else "server_error"


def client_id_of(scope: Scope) -> str | None:
    """The ``clientId`` query parameter when it is a UUID (a workspace id is not PII)."""
    raw = scope.get("query_string", b"")
    if b"clientId=" not in raw:
        return None
    for value in parse_qs(raw.decode("latin-1")).get("clientId", ())[:1]:
        if _UUID.fullmatch(value):
            return value.lower()
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        request_id = request_id_from(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        api = is_api_path(str(scope.get("path", "")))
        clear_context()
        bind_context(requestId=request_id)
        status = 500
        response_started = False
        cache: str | None = None

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started, cache
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                cache = headers.get("x-cache")
                headers["x-request-id"] = request_id
                headers["x-duration-ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
                if api:
                    if "cache-control" not in headers:
                        headers["Cache-Control"] = "private, no-store"
                    headers.add_vary_header("Authorization")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            log.error("http.unhandled_exception", errorType=type(exc).__name__, exc_info=exc)
            if response_started:
                raise
            await internal_error_response()(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            fields: dict[str, Any] = {
                "method": scope.get("method"),
                "route": route_of(scope),
                "status": status,
                "result": result_of(status),
                "latencyMs": round(elapsed * 1000, 1),
            }
            if cache:
                fields["cache"] = cache
            if state.get("user_id"):
                fields["userId"] = state["user_id"]
            client_id = client_id_of(scope)
            if client_id:
                fields["clientId"] = client_id
            log.info("http.request", **fields)
            observe_http(str(scope.get("method", "")), metric_route(scope, api), status, elapsed)
            clear_context()

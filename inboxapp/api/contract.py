"""The OpenAPI document as the API's contract (``/api/openapi.json``).

* :func:`errors`: the documented error answers of a route, each with the one error body
  ``{"error", "message"}`` (:class:`ErrorBody`) and the headers that always come with it.
* :func:`install`: FastAPI's document, tidied so that it says only what the API does: no 422
  (validation problems are 400, see :mod:`.errors`), no ``null`` alternative for a query
  parameter (a parameter is absent, never null), ``x-request-id`` on every answer.
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi import FastAPI
from pydantic import BaseModel, Field

from inboxapp.cache.store import CacheStatus

_STRING = {"schema": {"type": "string"}}
REQUEST_ID = {"x-request-id": {**_STRING, "required": True, "description": "Request id"}}
READ_API = {
    "x-read-api-enabled": {
        **_STRING,
        "required": True,
        "description": "`true`, or `false` when the read API is switched off",
    }
}
CACHE = {
    "x-cache": {
        "schema": {"type": "string", "enum": list(get_args(CacheStatus))},
        "required": True,
        "description": "How the read was served",
    }
}


class ErrorBody(BaseModel):
    error: str = Field(description="A stable machine code, e.g. `INVALID_CLIENTID`")
    message: str = Field(description="What went wrong, for people (never echoes the input)")


_ERRORS: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("A parameter or the body is missing, malformed or outside its schema", {}),
    401: (
        "No bearer token, or an invalid or expired one, or its session has ended",
        {"WWW-Authenticate": {**_STRING, "required": True}},
    ),
    403: ("Not a member of the workspace, or the role may not do this", {}),
    404: ("No such resource visible to you (existence is never revealed)", {}),
    409: ("The request conflicts with the resource's state or an earlier request", {}),
    413: ("The request body is over its size limit", {}),
    429: ("Too many failed sign-ins; try again after `Retry-After` seconds", {}),
    503: ("Switched off (`READ_API_DISABLED`) or a service it needs is unavailable", {}),
}


def errors(*statuses: int, headers: dict[str, Any] | None = None) -> dict[int | str, Any]:
    """``responses=`` entries for ``statuses`` (``headers`` go on every one of them)."""
    return {
        status: {
            "model": ErrorBody,
            "description": _ERRORS[status][0],
            "headers": {**_ERRORS[status][1], **(headers or {})},
        }
        for status in statuses
    }


def install(api: FastAPI) -> None:
    """Serve the tidied document from ``api.openapi()`` (built once, like FastAPI's)."""
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        first = api.openapi_schema is None
        document = generate()
        if first:
            tidy(document)
        return document

    api.openapi = openapi  # type: ignore[method-assign]


def tidy(document: dict[str, Any]) -> None:
    for path in document.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
            for answer in operation.get("responses", {}).values():
                answer["headers"] = {**answer.get("headers", {}), **REQUEST_ID}
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _without_null(parameter["schema"])
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [X, {type: null}]`` (FastAPI's optional parameter) -> ``X``."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if "anyOf" not in schema or len(branches) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**branches[0], **rest}

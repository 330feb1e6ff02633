"""``POST /api/webhooks/{provider}/{webhookToken}``: thin (validate, store, queue).

Checks in this order, each a JSON error: a control character in the path (400), an unknown
provider or a token that opens no endpoint (404, one constant answer: nothing can be
enumerated), a database that cannot be reached (503, the provider retries), a body over 1 MiB
(413), a missing/wrong/expired signature where one is required or sent (401; nothing is
stored), a body that is not a JSON object (400) or not what the provider sends (400
``INVALID_PAYLOAD``). Then the event is stored once and queued: 202 ``accepted``, or 200
``duplicate`` / ``ignored``. Nothing here waits on Redis.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import orjson
import sqlalchemy.exc
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from inboxapp.api.contract import errors
from inboxapp.api.errors import error_response
from inboxapp.api.params import CONTROL_CHARS
from inboxapp.logs import bind_context, get_logger
from inboxapp.payloads import Id, Payload
from inboxapp.pipeline import providers
from inboxapp.pipeline.inbound import adapters
from inboxapp.pipeline.inbound.endpoints import TOKEN_PATTERN, Endpoint, find_endpoint
from inboxapp.pipeline.inbound.fields import PayloadError
from inboxapp.pipeline.inbound.settings import MAX_BODY_BYTES
from inboxapp.pipeline.inbound.signature import HEADER, SignatureError, verify
from inboxapp.pipeline.inbound.store import store_event
from inboxapp.secrets_box import SecretError

router = APIRouter(tags=["webhooks"])
log = get_logger("inboxapp.webhooks")
_CONTROL = re.compile(f"[{CONTROL_CHARS}]")
RETRY_AFTER = {"Retry-After": "5"}


class WebhookAck(Payload):
    status: Literal["accepted", "duplicate", "ignored"]
    eventId: Id


ProviderName = Annotated[
    str,
    Path(
        description="The campaign tool sending the event",
        json_schema_extra={"enum": [p.value for p in providers.Provider]},
    ),
]
WebhookToken = Annotated[
    str,
    Path(
        alias="webhookToken",
        description="The endpoint's secret token (`webhooks url` issues it); it alone selects "
        "the workspace",
        json_schema_extra={"pattern": TOKEN_PATTERN},
    ),
]
_BODY = {
    "requestBody": {
        "required": True,
        "description": "The provider's event, as it sends it (a JSON object of at most 1 MiB). "
        f"With a signing secret: `{HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "
        '"<t>." + raw body)>`, within 5 minutes.',
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
_ANSWERS: dict[int | str, Any] = {
    200: {
        "model": WebhookAck,
        "description": "A repeat (`duplicate`) or nothing to do (`ignored`)",
    },
    **errors(400, 401, 404, 413, 503),
}


def _not_found() -> JSONResponse:
    return error_response(404, "NOT_FOUND", "No such webhook endpoint")


@router.post(
    "/api/webhooks/{provider}/{webhookToken}",
    status_code=202,
    response_model=WebhookAck,
    responses=_ANSWERS,
    openapi_extra=_BODY,
    summary="Receive a provider webhook",
)
async def receive_webhook(request: Request, provider: ProviderName, token: WebhookToken) -> Any:
    """Store the event once and queue its processing (202); see the module docs."""
    if _CONTROL.search(provider):
        return error_response(400, "INVALID_PROVIDER", "provider contains a control character")
    if _CONTROL.search(token):
        return error_response(400, "INVALID_WEBHOOKTOKEN", "the token contains a control character")
    which = providers.parse(provider)
    if which is None:
        return _not_found()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _too_large()
    try:
        endpoint = await run_in_threadpool(find_endpoint, which, token)
    except sqlalchemy.exc.OperationalError:
        return _unavailable()
    except SecretError:
        log.error("webhook.secret_unreadable", provider=which.value)
        return _unavailable()
    if endpoint is None:
        return _not_found()
    bind_context(clientId=str(endpoint.client_id), provider=which.value)
    body = await _read_capped(request)
    if body is None:
        return _too_large()
    refused = _check_signature(endpoint, request.headers.get(HEADER), body)
    if refused is not None:
        return refused
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return error_response(400, "BAD_REQUEST", "Malformed JSON body")
    if not isinstance(payload, dict):
        return error_response(400, "BAD_REQUEST", "The body must be a JSON object")
    if _has_nul(payload):
        return error_response(400, "INVALID_CHARACTERS", "The body contains a NUL character")
    try:
        parsed = adapters.parse(which, payload)
    except PayloadError as exc:
        return error_response(400, "INVALID_PAYLOAD", f"Not a {which.value} event: {exc}")
    try:
        stored = await run_in_threadpool(store_event, endpoint.client_id, which, parsed, payload)
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError):
        return _unavailable()
    log.info("webhook.received", outcome=stored.status, eventId=str(stored.event_id))
    return JSONResponse(
        {"status": stored.status, "eventId": str(stored.event_id)},
        status_code=202 if stored.status == "accepted" else 200,
    )


def _check_signature(endpoint: Endpoint, header: str | None, body: bytes) -> JSONResponse | None:
    if endpoint.signing_secret is None or (header is None and not endpoint.require_signature):
        return None
    try:
        verify(endpoint.signing_secret.value, header, body)
    except SignatureError as exc:
        log.warning("webhook.signature_refused", errorCode=exc.code)
        return error_response(401, exc.code, exc.message, {"WWW-Authenticate": "Signature"})
    return None


def _has_nul(value: object) -> bool:
    """PostgreSQL cannot store NUL in text: such a body is refused, not a 500."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


async def _read_capped(request: Request) -> bytes | None:
    """The body, or None once it grows past the limit (not read further)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> JSONResponse:
    return error_response(413, "PAYLOAD_TOO_LARGE", "Webhook bodies are limited to 1 MiB")


def _unavailable() -> JSONResponse:
    return error_response(503, "UNAVAILABLE", "Try again shortly", RETRY_AFTER)

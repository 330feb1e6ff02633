"""A local stand-in for the five providers' send APIs: records deliveries, fails or stalls on
demand. ``make run`` starts it (``python -m inboxapp sandbox``) and points the demo
workspaces' credentials at it (``<sandbox>/<provider>`` as each provider's base URL).

Provider endpoints (the paths and required fields of the real APIs, under ``/<provider>``):

* ``POST /emailbison/api/replies/{reply_id}/reply`` (Bearer): ``message``, ``sender_email_id``,
  ``to_emails``
* ``POST /ghl/conversations/messages`` (Bearer, ``Version``): ``type``, ``contactId``, ``message``
* ``POST /linkedin/api/v1/chats/{chat_id}/messages`` (``X-API-KEY``, multipart ``text``) and
  ``POST /linkedin/api/v1/chats`` (``account_id``, ``attendees_ids``, ``text``)
* ``POST /smartlead/api/v1/campaigns/{campaign_id}/reply-email-thread?api_key=``:
  ``email_stats_id``, ``email_body``
* ``POST /instantly/api/v2/emails/reply`` (Bearer): ``eaccount``, ``reply_to_uuid``, ``body``

A request with an ``Idempotency-Key`` the sandbox has delivered already gets the first answer
again and is not delivered twice (what the outbox relies on). API keys are checked for
presence only and never stored.

Control (``/_sandbox``): ``GET deliveries`` (``?provider=``, ``?idempotencyKey=``),
``GET requests`` (every request with its time and answer), ``POST faults``
``{"status"?: 500|429|..., "count": n, "delayS"?: s, "retryAfterS"?: s, "provider"?, "match"?}``
(the next ``count`` matching requests fail with ``status`` and/or are answered ``delayS``
later; a slow request is recorded before the wait, like a provider that accepted it and then
stalled), ``DELETE faults``, ``DELETE deliveries`` (forget everything), ``GET health``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from inboxapp.pipeline.providers import Provider

MAX_RECORDS = 10_000


class FaultIn(BaseModel):
    status: int | None = Field(default=None, ge=400, le=599)
    count: int = Field(default=1, ge=1, le=1000)
    delayS: float = Field(default=0.0, ge=0, le=300)
    retryAfterS: float | None = Field(default=None, ge=0, le=3600)
    provider: Provider | None = None
    match: str | None = Field(default=None, max_length=500)
    """Only requests whose message text contains this."""


@dataclass
class Fault:
    status: int | None
    remaining: int
    delay_s: float
    retry_after_s: float | None
    provider: str | None
    match: str | None


@dataclass
class Delivery:
    id: str
    provider: str
    path: str
    idempotencyKey: str | None
    text: str
    fields: dict[str, Any]
    receivedAt: float
    providerMessageId: str
    requests: int = 1


@dataclass
class RequestLog:
    provider: str
    path: str
    idempotencyKey: str | None
    status: int
    at: float
    text: str


@dataclass
class State:
    deliveries: list[Delivery] = field(default_factory=list)
    by_key: dict[str, tuple[Delivery, dict[str, Any]]] = field(default_factory=dict)
    requests: list[RequestLog] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def take_fault(self, provider: str, text: str) -> Fault | None:
        for fault in self.faults:
            if fault.provider not in (None, provider):
                continue
            if fault.match is not None and fault.match not in text:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.remove(fault)
            return fault
        return None

    def log(self, provider: str, path: str, key: str | None, status: int, text: str) -> None:
        self.requests.append(RequestLog(provider, path, key, status, time.time(), text[:200]))
        del self.requests[:-MAX_RECORDS]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def build_sandbox() -> FastAPI:
    app = FastAPI(title="inboxapp provider sandbox", docs_url=None, redoc_url=None)
    state = State()
    app.state.sandbox = state

    async def handle(
        request: Request,
        provider: Provider,
        *,
        authorized: bool,
        fields: dict[str, Any],
        required: tuple[str, ...],
        text: str,
        answer: Any,
    ) -> JSONResponse:
        path = request.url.path
        key = request.headers.get("idempotency-key")
        if not authorized:
            state.log(provider.value, path, key, 401, text)
            return _error(401, "missing or malformed API key")
        missing = [f for f in required if fields.get(f) in (None, "", [])]
        if missing:
            state.log(provider.value, path, key, 422, text)
            return _error(422, f"missing fields: {', '.join(missing)}")
        if key is not None and key in state.by_key:
            first, body = state.by_key[key]
            first.requests += 1
            state.log(provider.value, path, key, 200, text)
            return JSONResponse(body, status_code=200)
        fault = state.take_fault(provider.value, text)
        if fault is not None and fault.status is not None:
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            headers = {"Retry-After": f"{fault.retry_after_s:g}"} if fault.retry_after_s else None
            state.log(provider.value, path, key, fault.status, text)
            return _error(fault.status, "sandbox fault", headers)
        number = next(state.counter)
        provider_id = f"sbx-{provider.value}-{number}"
        body = answer(provider_id, number)
        delivery = Delivery(
            id=str(uuid.uuid4()),
            provider=provider.value,
            path=path,
            idempotencyKey=key,
            text=text,
            fields={k: v for k, v in fields.items() if k not in ("api_key",)},
            receivedAt=time.time(),
            providerMessageId=provider_id,
        )
        state.deliveries.append(delivery)
        del state.deliveries[:-MAX_RECORDS]
        if key is not None:
            state.by_key[key] = (delivery, body)
        state.log(provider.value, path, key, 200, text)
        if fault is not None and fault.delay_s:  # accepted, then slow to answer
            await asyncio.sleep(fault.delay_s)
        return JSONResponse(body, status_code=200)

    def bearer(request: Request) -> bool:
        value = request.headers.get("authorization", "")
        return value.startswith("Bearer ") and len(value) > len("Bearer ")

    async def json_body(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    @app.post("/emailbison/api/replies/{reply_id}/reply")
    async def emailbison_reply(reply_id: str, request: Request) -> JSONResponse:
        data = await json_body(request)
        return await handle(
            request,
            Provider.EMAILBISON,
            authorized=bearer(request),
            fields={**data, "reply_id": reply_id},
            required=("message", "sender_email_id", "to_emails"),
            text=str(data.get("message", "")),
            answer=lambda pid, n: {
                "data": {"success": True, "message": "Reply sent", "reply": {"id": pid}}
            },
        )

    @app.post("/ghl/conversations/messages")
    async def ghl_message(request: Request) -> JSONResponse:
        data = await json_body(request)
        version = request.headers.get("version")
        return await handle(
            request,
            Provider.GHL,
            authorized=bearer(request) and bool(version),
            fields=data,
            required=("type", "contactId", "message"),
            text=str(data.get("message", "")),
            answer=lambda pid, n: {
                "conversationId": f"sbx-conversation-{data.get('contactId')}",
                "messageId": pid,
                "msg": "Message queued successfully.",
            },
        )

    async def unipile(
        request: Request, extra: dict[str, Any], required: tuple[str, ...]
    ) -> JSONResponse:
        form = await request.form()
        fields = {**{k: str(v) for k, v in form.items()}, **extra}
        return await handle(
            request,
            Provider.LINKEDIN,
            authorized=bool(request.headers.get("x-api-key")),
            fields=fields,
            required=required,
            text=str(fields.get("text", "")),
            answer=lambda pid, n: {
                "object": "MessageSent" if "chat_id" in extra else "ChatStarted",
                "message_id": pid,
                **({} if "chat_id" in extra else {"chat_id": f"sbx-chat-{n}"}),
            },
        )

    @app.post("/linkedin/api/v1/chats/{chat_id}/messages")
    async def unipile_message(chat_id: str, request: Request) -> JSONResponse:
        return await unipile(request, {"chat_id": chat_id}, ("text",))

    @app.post("/linkedin/api/v1/chats")
    async def unipile_chat(request: Request) -> JSONResponse:
        required = ("account_id", "attendees_ids", "text")
        return await unipile(request, {}, required)

    @app.post("/smartlead/api/v1/campaigns/{campaign_id}/reply-email-thread")
    async def smartlead_reply(campaign_id: str, request: Request) -> JSONResponse:
        data = await json_body(request)
        return await handle(
            request,
            Provider.SMARTLEAD,
            authorized=bool(request.query_params.get("api_key")),
            fields={**data, "campaign_id": campaign_id},
            required=("email_stats_id", "email_body"),
            text=str(data.get("email_body", "")),
            answer=lambda pid, n: {"ok": True, "message_id": pid},
        )

    @app.post("/instantly/api/v2/emails/reply")
    async def instantly_reply(request: Request) -> JSONResponse:
        data = await json_body(request)
        raw = data.get("body")
        body: dict[str, Any] = raw if isinstance(raw, dict) else {}
        return await handle(
            request,
            Provider.INSTANTLY,
            authorized=bearer(request),
            fields=data,
            required=("eaccount", "reply_to_uuid", "body"),
            text=str(body.get("text") or body.get("html") or ""),
            answer=lambda pid, n: {
                "id": pid,
                "subject": data.get("subject"),
                "eaccount": data.get("eaccount"),
                "reply_to_uuid": data.get("reply_to_uuid"),
            },
        )

    # -- control ---------------------------------------------------------------------------

    @app.get("/_sandbox/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/_sandbox/deliveries")
    def deliveries(provider: str | None = None, idempotencyKey: str | None = None) -> Any:
        found = [
            asdict(d)
            for d in state.deliveries
            if provider in (None, d.provider) and idempotencyKey in (None, d.idempotencyKey)
        ]
        return {"deliveries": found}

    @app.get("/_sandbox/requests")
    def requests(idempotencyKey: str | None = None) -> Any:
        found = [asdict(r) for r in state.requests if idempotencyKey in (None, r.idempotencyKey)]
        return {"requests": found}

    @app.post("/_sandbox/faults", status_code=201)
    def add_fault(fault: FaultIn) -> dict[str, int]:
        state.faults.append(
            Fault(
                fault.status,
                fault.count,
                fault.delayS,
                fault.retryAfterS,
                fault.provider.value if fault.provider else None,
                fault.match,
            )
        )
        return {"faults": len(state.faults)}

    @app.delete("/_sandbox/faults")
    def clear_faults() -> dict[str, int]:
        state.faults.clear()
        return {"faults": 0}

    @app.delete("/_sandbox/deliveries")
    def reset() -> dict[str, int]:
        state.deliveries.clear()
        state.by_key.clear()
        state.requests.clear()
        state.faults.clear()
        return {"deliveries": 0}

    return app


def base_url(root: str, provider: Provider) -> str:
    """The base URL a workspace's credentials use to send ``provider`` through the sandbox."""
    return f"{root.rstrip('/')}/{provider.value}"


def serve(port: int, host: str = "127.0.0.1") -> None:
    import uvicorn

    uvicorn.run(
        build_sandbox(),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,  # a stalled (fault) request does not hold up a stop
    )

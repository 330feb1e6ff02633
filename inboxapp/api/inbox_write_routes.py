"""Inbox write API: thin routes over the same services the UI uses (:mod:`inboxapp.inbox.actions`),
so row level security and the role rules are the same: client-portal users never write (403),
setters only on the leads assigned to them (403 for any other lead id, existing or not).

* ``POST /api/inbox/conversations/{leadId}/replies`` ``{"body", "channel"?}`` with an optional
  ``Idempotency-Key`` header: 202 ``{"messageId", "deliveryStatus"}``; the same key again
  answers the same message and sends nothing (``Idempotent-Replayed: true``); the same key for
  another message is 409 ``IDEMPOTENCY_KEY_REUSED``.
* Drafts: ``POST /api/inbox/drafts/{draftId}/approve`` (202, queued like a reply),
  ``.../reject`` and ``.../cancel-auto-send`` (204); ``POST
  /api/inbox/conversations/{leadId}/draft`` ``{"instruction"?}``: a new AI draft is queued (202;
  it supersedes the pending one when it is stored).
* Lead changes (204): ``PUT .../assignee``, ``.../status``, ``.../sentiment``, ``.../snooze``,
  ``POST .../read``.
* ``POST /api/inbox/messages/{messageId}/retry``: a failed send back in the queue (202).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Header, Path, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from inboxapp.ai import review
from inboxapp.api.contract import errors
from inboxapp.api.deps import CurrentUser
from inboxapp.api.params import ClientId, LeadId, _uuid
from inboxapp.domain.vocabulary import LEAD_STATUSES, SENTIMENT_TAGS
from inboxapp.inbox import actions
from inboxapp.inbox.params import parse_uuid
from inboxapp.inbox.payloads import DeliveryStatus
from inboxapp.payloads import UUID_PATTERN, Id, OneOf, Payload
from inboxapp.pipeline.outbound.outbox import REQUEST_KEY_PATTERN, Queued

router = APIRouter(tags=["inbox"])

_BAD_TEXT = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
MESSAGE_PATTERN = f"^[^{_BAD_TEXT}]*[^\\s{_BAD_TEXT}][^{_BAD_TEXT}]*$"
"""Message text: something besides spaces, no control characters but tab and line breaks."""
MessageText = Annotated[
    str,
    Field(min_length=1, max_length=actions.MAX_BODY, pattern=MESSAGE_PATTERN),
]
DraftId = Annotated[str, Path(alias="draftId", **_uuid("AI draft id"))]
MessageId = Annotated[str, Path(alias="messageId", **_uuid("Message id"))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string per reply (a UUID): a retry with the same key answers "
        "the same message and sends nothing",
        pattern=REQUEST_KEY_PATTERN,
    ),
]
WRITE_ERRORS = errors(400, 401, 403, 404, 409)
Route = TypeVar("Route", bound=Callable[..., Any])


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReplyIn(Body):
    body: MessageText
    channel: Literal["email", "sms", "linkedin"] | None = Field(
        default=None, description="Default: the channel of the lead's latest reply"
    )


class ApproveIn(Body):
    body: MessageText | None = Field(default=None, description="The edited text (default: as is)")


class RegenerateIn(Body):
    instruction: (
        Annotated[str, Field(max_length=review.MAX_INSTRUCTION, pattern=f"^[^{_BAD_TEXT}]*$")]
        | None
    ) = Field(default=None, description='What to change ("shorter", "mention the case study")')


class AssigneeIn(Body):
    userId: Annotated[str, Field(pattern=UUID_PATTERN, json_schema_extra={"format": "uuid"})] | None
    """A setter of the workspace, or null to unassign."""


class StatusIn(Body):
    status: Annotated[str, OneOf(LEAD_STATUSES)]


class SentimentIn(Body):
    sentiment: Annotated[str, OneOf(SENTIMENT_TAGS)]


class SnoozeIn(Body):
    until: AwareDatetime | None
    """When the lead wakes up (within a year), or null to wake it now."""


class DeliveryAck(Payload):
    messageId: Id
    deliveryStatus: DeliveryStatus


def _ids(user: Any, client_id: str, lead_id: str | None = None) -> tuple[uuid.UUID, ...]:
    out = [uuid.UUID(user.user_id), parse_uuid(client_id, "clientId")]
    if lead_id is not None:
        out.append(parse_uuid(lead_id, "leadId"))
    return tuple(out)


def _ack(queued: Queued) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if queued.replayed else None
    return JSONResponse(
        {"messageId": str(queued.message_id), "deliveryStatus": queued.delivery_status},
        status_code=202,
        headers=headers,
    )


def _done() -> Response:
    return Response(status_code=204)


LEAD_PATH = "/api/inbox/conversations/{leadId}"


def _no_content(
    method: str, path: str, summary: str, *, status: int = 204
) -> Callable[[Route], Route]:
    """A write route answering ``status`` (204 done, 202 queued) with an empty body."""
    return router.api_route(
        path,
        methods=[method],
        status_code=status,
        response_class=Response,
        responses=WRITE_ERRORS,
        summary=summary,
    )


ACCEPTED: dict[int | str, Any] = {202: {"model": DeliveryAck}, **WRITE_ERRORS}


@router.post(
    "/api/inbox/conversations/{leadId}/replies",
    status_code=202,
    response_model=DeliveryAck,
    responses={
        202: {
            "model": DeliveryAck,
            "description": "Queued for delivery (or the message an earlier request with the "
            "same Idempotency-Key created)",
            "headers": {
                "Idempotent-Replayed": {
                    "schema": {"type": "string", "enum": ["true"]},
                    "description": "Present when this answers an earlier request's message",
                }
            },
        },
        **WRITE_ERRORS,
    },
    summary="Reply to a lead",
)
def post_reply(
    user: CurrentUser,
    lead_id: LeadId,
    client_id: ClientId,
    payload: ReplyIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Queue a reply; it goes out through the lead's provider (``deliveryStatus`` follows)."""
    uid, cid, lid = _ids(user, client_id, lead_id)
    queued = actions.send_reply(
        uid, cid, lid, payload.body, payload.channel, request_key=idempotency_key
    )
    return _ack(queued)


@router.post(
    "/api/inbox/drafts/{draftId}/approve",
    status_code=202,
    response_model=DeliveryAck,
    responses=ACCEPTED,
    summary="Approve (and send) an AI draft",
)
def approve_draft(
    user: CurrentUser, draft_id: DraftId, client_id: ClientId, payload: ApproveIn
) -> JSONResponse:
    uid, cid = _ids(user, client_id)
    did = parse_uuid(draft_id, "draftId")
    return _ack(actions.send_draft(uid, cid, did, payload.body))


def _draft_route(action: str, change: Callable[..., Any], summary: str) -> None:
    """``POST /api/inbox/drafts/{draftId}/<action>`` (204): ``change(user, workspace, draft)``."""

    def route(user: CurrentUser, draft_id: DraftId, client_id: ClientId) -> Response:
        change(*_ids(user, client_id), parse_uuid(draft_id, "draftId"))
        return _done()

    route.__name__ = route.__qualname__ = change.__name__
    _no_content("POST", "/api/inbox/drafts/{draftId}/" + action, summary)(route)


_draft_route("reject", actions.reject_draft, "Reject an AI draft")
_draft_route(
    "cancel-auto-send",
    actions.cancel_auto_send,
    "Stop an AI draft from sending itself (it waits for review)",
)


@_no_content(
    "POST",
    "/api/inbox/conversations/{leadId}/draft",
    "Ask the AI for a new draft of the reply (optionally with an instruction)",
    status=202,
)
def regenerate_draft(
    user: CurrentUser, lead_id: LeadId, client_id: ClientId, payload: RegenerateIn
) -> Response:
    uid, cid = _ids(user, client_id)
    review.regenerate(uid, cid, parse_uuid(lead_id, "leadId"), payload.instruction)
    return Response(status_code=202)


@router.post(
    "/api/inbox/messages/{messageId}/retry",
    status_code=202,
    response_model=DeliveryAck,
    responses=ACCEPTED,
    summary="Retry a failed send",
)
def retry_message(user: CurrentUser, message_id: MessageId, client_id: ClientId) -> JSONResponse:
    uid, cid = _ids(user, client_id)
    return _ack(actions.retry_delivery(uid, cid, parse_uuid(message_id, "messageId")))


@_no_content(
    "PUT", LEAD_PATH + "/assignee", "Assign the lead to a setter (owners, admins, inbox managers)"
)
def put_assignee(
    user: CurrentUser, lead_id: LeadId, client_id: ClientId, payload: AssigneeIn
) -> Response:
    uid, cid, lid = _ids(user, client_id, lead_id)
    assignee = uuid.UUID(payload.userId) if payload.userId else None
    actions.assign(uid, cid, lid, assignee)
    return _done()


def _field_route(
    name: str, model: type[Body], change: Callable[..., Any], summary: str, field: str = ""
) -> None:
    """``PUT .../{leadId}/<name>`` (204): ``change(user, workspace, lead, payload.<field>)``
    (``field``: ``name`` unless told)."""

    def route(user: CurrentUser, lead_id: LeadId, client_id: ClientId, payload: Body) -> Response:
        change(*_ids(user, client_id, lead_id), getattr(payload, field or name))
        return _done()

    route.__annotations__ = {**route.__annotations__, "payload": model}
    route.__name__ = route.__qualname__ = f"put_{name}"
    _no_content("PUT", f"{LEAD_PATH}/{name}", summary)(route)


_field_route("status", StatusIn, actions.set_status, "Set the lead's status")
_field_route("sentiment", SentimentIn, actions.set_sentiment, "Set the lead's sentiment")
_field_route(
    "snooze", SnoozeIn, actions.snooze, "Snooze the lead until a time, or wake it", "until"
)


@_no_content("POST", LEAD_PATH + "/read", "Mark the conversation read")
def post_read(user: CurrentUser, lead_id: LeadId, client_id: ClientId) -> Response:
    uid, cid, lid = _ids(user, client_id, lead_id)
    actions.mark_read(uid, cid, lid)
    return _done()

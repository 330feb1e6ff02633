"""Inbox read API: thin routes that validate, check the flag and call the read path."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from inboxapp.api.deps import CurrentUser
from inboxapp.errors import AppError
from inboxapp.flags import INBOX_READ_API, read_flag
from inboxapp.inbox import queries, read
from inboxapp.inbox.params import parse_list_params, parse_uuid

router = APIRouter(tags=["inbox"])


class ReadApiDisabled(AppError):
    status = 503


def require_flag(name: str, response: Response) -> None:
    """503 ``READ_API_DISABLED`` when the read API is switched off (checked per request)."""
    flag = read_flag(name)
    if not flag.enabled:
        raise ReadApiDisabled(
            "READ_API_DISABLED",
            f"{name} is off ({flag.reason})",
            {"x-read-api-enabled": "false", "x-read-api-reason": flag.reason},
        )
    response.headers["x-read-api-enabled"] = "true"


def _result(response: Response, result: read.ReadResult) -> dict[str, Any]:
    response.headers["x-cache"] = result.cache
    return result.data


ClientIdParam = Annotated[str, Query(alias="clientId", description="Workspace id (UUID)")]


@router.get("/api/workspaces")
def workspaces(user: CurrentUser) -> dict[str, Any]:
    """The caller's workspaces with their effective role."""
    return {"workspaces": queries.list_workspaces(uuid.UUID(user.user_id))}


@router.get("/api/inbox/counts")
def inbox_counts(user: CurrentUser, response: Response, client_id: ClientIdParam) -> dict[str, Any]:
    require_flag(INBOX_READ_API, response)
    cid = parse_uuid(client_id, "clientId")
    return _result(response, read.counts(uuid.UUID(user.user_id), cid))


@router.get("/api/inbox/conversations")
def inbox_conversations(
    user: CurrentUser,
    response: Response,
    client_id: ClientIdParam,
    filter: str | None = None,
    cursor: str | None = None,
    limit: str | None = None,
    q: str | None = None,
    channel: str | None = None,
    sentiment: str | None = None,
    campaign_id: Annotated[str | None, Query(alias="campaignId")] = None,
    score: str | None = None,
) -> dict[str, Any]:
    require_flag(INBOX_READ_API, response)
    cid = parse_uuid(client_id, "clientId")
    params = parse_list_params(
        filter=filter,
        cursor=cursor,
        limit=limit,
        q=q,
        channel=channel,
        sentiment=sentiment,
        campaign_id=campaign_id,
        score=score,
    )
    return _result(response, read.conversations(uuid.UUID(user.user_id), cid, params))


@router.get("/api/inbox/conversations/{lead_id}")
def inbox_conversation(
    user: CurrentUser, response: Response, lead_id: str, client_id: ClientIdParam
) -> dict[str, Any]:
    require_flag(INBOX_READ_API, response)
    cid = parse_uuid(client_id, "clientId")
    lid = parse_uuid(lead_id, "leadId")
    return _result(response, read.conversation(uuid.UUID(user.user_id), cid, lid))

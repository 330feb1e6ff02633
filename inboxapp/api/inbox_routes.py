"""Inbox read API: thin routes that validate, check the flag and call the read path."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from inboxapp.api.contract import CACHE, READ_API, errors
from inboxapp.api.deps import CurrentUser
from inboxapp.api.params import (
    CampaignId,
    Channel,
    ClientId,
    Cursor,
    Filter,
    InboxAssignee,
    InboxLimit,
    LeadId,
    ListOrder,
    Score,
    Search,
    Sentiments,
    Snoozed,
)
from inboxapp.errors import AppError
from inboxapp.flags import INBOX_READ_API, read_flag
from inboxapp.inbox import queries, read
from inboxapp.inbox.params import DEFAULT_LIMIT, parse_list_params, parse_uuid
from inboxapp.inbox.payloads import (
    ConversationPage,
    ConversationPayload,
    CountsPayload,
    WorkspaceList,
)

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


def read_api_responses(*statuses: int) -> dict[int | str, Any]:
    """What a flagged read route answers besides 200: ``statuses`` and 503 when switched off."""
    return {
        200: {"headers": {**CACHE, **READ_API}},
        **errors(*statuses),
        **errors(503, headers=READ_API),
    }


def served(response: Response, result: read.ReadResult) -> dict[str, Any]:
    """The payload, with ``x-cache`` saying how it was served."""
    response.headers["x-cache"] = result.cache
    return result.data


@router.get("/api/workspaces", response_model=WorkspaceList, responses=errors(401))
def workspaces(user: CurrentUser) -> dict[str, Any]:
    """The caller's workspaces with their effective role."""
    return {"workspaces": queries.list_workspaces(uuid.UUID(user.user_id))}


@router.get(
    "/api/inbox/counts",
    response_model=CountsPayload,
    response_model_exclude_unset=True,
    responses=read_api_responses(400, 401, 403),
)
def inbox_counts(user: CurrentUser, response: Response, client_id: ClientId) -> dict[str, Any]:
    """The eight category counts (materialized, or live while the row is missing)."""
    require_flag(INBOX_READ_API, response)
    cid = parse_uuid(client_id, "clientId")
    return served(response, read.counts(uuid.UUID(user.user_id), cid))


@router.get(
    "/api/inbox/conversations",
    response_model=ConversationPage,
    responses=read_api_responses(400, 401, 403),
)
def inbox_conversations(
    user: CurrentUser,
    response: Response,
    client_id: ClientId,
    filter: Filter = "all",
    cursor: Cursor = None,
    limit: InboxLimit = DEFAULT_LIMIT,
    q: Search = None,
    channel: Channel = None,
    sentiment: Sentiments = None,
    campaign_id: CampaignId = None,
    score: Score = None,
    assignee: InboxAssignee = None,
    snoozed: Snoozed = False,
    order: ListOrder = "newest",
) -> dict[str, Any]:
    """One keyset page of the list, newest activity first (``order=oldest``: oldest first)."""
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
        assignee=assignee,
        snoozed=snoozed,
        order=order,
    )
    return served(response, read.conversations(uuid.UUID(user.user_id), cid, params))


@router.get(
    "/api/inbox/conversations/{leadId}",
    response_model=ConversationPayload,
    responses=read_api_responses(400, 401, 403, 404),
)
def inbox_conversation(
    user: CurrentUser, response: Response, lead_id: LeadId, client_id: ClientId
) -> dict[str, Any]:
    """One conversation: the lead, its messages and the pending AI draft."""
    require_flag(INBOX_READ_API, response)
    cid = parse_uuid(client_id, "clientId")
    lid = parse_uuid(lead_id, "leadId")
    return served(response, read.conversation(uuid.UUID(user.user_id), cid, lid))

"""Analytics read API: thin routes that check the flag, validate and call the read path.

Same rules as the inbox read API: Bearer auth, JSON errors, ``x-read-api-enabled`` and
``x-cache`` headers, 503 ``READ_API_DISABLED`` when ``ANALYTICS_READ_API_V1`` is off and
403 ``NOT_A_MEMBER`` for a foreign workspace. Windows: ``window=7d|30d|90d`` or
``window=custom&from=YYYY-MM-DD&to=YYYY-MM-DD`` (at most 180 days), in the workspace's zone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from inboxapp.analytics import read
from inboxapp.analytics.queries import parse_crm_params, parse_parts
from inboxapp.analytics.windows import WindowSpec, parse_window
from inboxapp.api.deps import CurrentUser
from inboxapp.api.inbox_routes import require_flag
from inboxapp.flags import ANALYTICS_READ_API
from inboxapp.inbox.params import parse_uuid
from inboxapp.inbox.read import ReadResult

router = APIRouter(tags=["analytics"])

ClientIdParam = Annotated[str, Query(alias="clientId", description="Workspace id (UUID)")]
WindowParam = Annotated[str | None, Query(description="7d, 30d (default), 90d or custom")]
FromParam = Annotated[str | None, Query(alias="from", description="custom window start")]
ToParam = Annotated[str | None, Query(alias="to", description="custom window end (inclusive)")]


def _result(response: Response, result: ReadResult) -> dict[str, Any]:
    response.headers["x-cache"] = result.cache
    return result.data


@dataclass(frozen=True)
class WindowRead:
    """Who asks for which workspace and window (flag, then clientId, then window checked)."""

    user_id: uuid.UUID
    client_id: uuid.UUID
    spec: WindowSpec


def window_read(
    user: CurrentUser,
    response: Response,
    client_id: ClientIdParam,
    window: WindowParam = None,
    from_: FromParam = None,
    to: ToParam = None,
) -> WindowRead:
    require_flag(ANALYTICS_READ_API, response)
    cid = parse_uuid(client_id, "clientId")
    return WindowRead(uuid.UUID(user.user_id), cid, parse_window(window, from_, to))


WindowReadDep = Annotated[WindowRead, Depends(window_read)]


@router.get("/api/analytics/overview")
def analytics_overview(
    req: WindowReadDep,
    response: Response,
    parts: Annotated[str | None, Query(description="core, breakdowns or all")] = None,
) -> dict[str, Any]:
    which = parse_parts(parts)
    return _result(response, read.overview(req.user_id, req.client_id, req.spec, which))


@router.get("/api/analytics/campaigns")
def analytics_campaigns(req: WindowReadDep, response: Response) -> dict[str, Any]:
    return _result(response, read.campaigns(req.user_id, req.client_id, req.spec))


@router.get("/api/analytics/setters")
def analytics_setters(req: WindowReadDep, response: Response) -> dict[str, Any]:
    return _result(response, read.setters(req.user_id, req.client_id, req.spec))


@router.get("/api/analytics/response-timing")
def analytics_response_timing(req: WindowReadDep, response: Response) -> dict[str, Any]:
    return _result(response, read.response_timing(req.user_id, req.client_id, req.spec))


@router.get("/api/analytics/crm/rows")
def analytics_crm_rows(
    user: CurrentUser,
    response: Response,
    client_id: ClientIdParam,
    window: Annotated[str | None, Query(description="leads created in it (default: all)")] = None,
    from_: FromParam = None,
    to: ToParam = None,
    cursor: str | None = None,
    limit: str | None = None,
    sort: Annotated[str | None, Query(description="[-]updatedAt, [-]createdAt, ...")] = None,
    status: str | None = None,
    sentiment: str | None = None,
    campaign_id: Annotated[str | None, Query(alias="campaignId")] = None,
    assignee: Annotated[str | None, Query(description="a user id or 'unassigned'")] = None,
    booked: Annotated[str | None, Query(description="true or false")] = None,
) -> dict[str, Any]:
    require_flag(ANALYTICS_READ_API, response)
    cid = parse_uuid(client_id, "clientId")
    spec = parse_window(window, from_, to) if (window or from_ or to) else None
    params = parse_crm_params(
        window=spec,
        sort=sort,
        cursor=cursor,
        limit=limit,
        status=status,
        sentiment=sentiment,
        campaign_id=campaign_id,
        assignee=assignee,
        booked=booked,
    )
    return _result(response, read.crm_rows(uuid.UUID(user.user_id), cid, params))

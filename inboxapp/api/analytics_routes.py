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

from fastapi import APIRouter, Depends, Response

from inboxapp.analytics import read
from inboxapp.analytics.payloads import (
    CampaignsPayload,
    CrmPage,
    OverviewPayload,
    ResponseTimingPayload,
    SettersPayload,
)
from inboxapp.analytics.queries import DEFAULT_LIMIT, DEFAULT_SORT, parse_crm_params, parse_parts
from inboxapp.analytics.windows import WindowSpec, parse_window
from inboxapp.api.deps import CurrentUser
from inboxapp.api.inbox_routes import read_api_responses, require_flag, served
from inboxapp.api.params import (
    Assignee,
    Booked,
    CampaignId,
    ClientId,
    CrmLimit,
    CrmWindow,
    Cursor,
    From,
    Parts,
    Sentiments,
    Sort,
    Statuses,
    To,
    Window,
)
from inboxapp.flags import ANALYTICS_READ_API
from inboxapp.inbox.params import parse_uuid

router = APIRouter(tags=["analytics"])
RESPONSES = read_api_responses(400, 401, 403)


@dataclass(frozen=True)
class WindowRead:
    """Who asks for which workspace and window (flag, then clientId, then window checked)."""

    user_id: uuid.UUID
    client_id: uuid.UUID
    spec: WindowSpec


def window_read(
    user: CurrentUser,
    response: Response,
    client_id: ClientId,
    window: Window = None,
    from_: From = None,
    to: To = None,
) -> WindowRead:
    require_flag(ANALYTICS_READ_API, response)
    cid = parse_uuid(client_id, "clientId")
    return WindowRead(uuid.UUID(user.user_id), cid, parse_window(window, from_, to))


WindowReadDep = Annotated[WindowRead, Depends(window_read)]


@router.get(
    "/api/analytics/overview",
    response_model=OverviewPayload,
    response_model_exclude_unset=True,
    responses=RESPONSES,
)
def analytics_overview(
    req: WindowReadDep, response: Response, parts: Parts = "all"
) -> dict[str, Any]:
    which = parse_parts(parts)
    return served(response, read.overview(req.user_id, req.client_id, req.spec, which))


@router.get("/api/analytics/campaigns", response_model=CampaignsPayload, responses=RESPONSES)
def analytics_campaigns(req: WindowReadDep, response: Response) -> dict[str, Any]:
    return served(response, read.campaigns(req.user_id, req.client_id, req.spec))


@router.get("/api/analytics/setters", response_model=SettersPayload, responses=RESPONSES)
def analytics_setters(req: WindowReadDep, response: Response) -> dict[str, Any]:
    return served(response, read.setters(req.user_id, req.client_id, req.spec))


@router.get(
    "/api/analytics/response-timing", response_model=ResponseTimingPayload, responses=RESPONSES
)
def analytics_response_timing(req: WindowReadDep, response: Response) -> dict[str, Any]:
    return served(response, read.response_timing(req.user_id, req.client_id, req.spec))


@router.get(
    "/api/analytics/crm/rows",
    response_model=CrmPage,
    response_model_exclude_unset=True,
    responses=RESPONSES,
)
def analytics_crm_rows(
    user: CurrentUser,
    response: Response,
    client_id: ClientId,
    window: CrmWindow = None,
    from_: From = None,
    to: To = None,
    cursor: Cursor = None,
    limit: CrmLimit = DEFAULT_LIMIT,
    sort: Sort = DEFAULT_SORT,
    status: Statuses = None,
    sentiment: Sentiments = None,
    campaign_id: CampaignId = None,
    assignee: Assignee = None,
    booked: Booked = None,
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
    return served(response, read.crm_rows(uuid.UUID(user.user_id), cid, params))

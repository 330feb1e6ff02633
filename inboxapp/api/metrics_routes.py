"""``GET /api/metrics``: this process's Prometheus metrics (text format 0.0.4).

Who may read it:

* a request from the loopback interface (``127.0.0.1`` / ``::1``) that did not come through a
  proxy (no ``X-Forwarded-For`` / ``Forwarded`` header): the local Prometheus agent;
* anyone else with a valid bearer access token of a user who is OWNER or ADMIN of at least one
  workspace (the metrics carry no tenant data, only route templates and totals);
* everyone else: 403 ``FORBIDDEN`` (401 when a token is sent but invalid or expired).

``INBOXAPP_METRICS_TRUST_LOOPBACK=0`` turns the loopback exemption off (e.g. when a proxy on the
same host forwards public traffic without an ``X-Forwarded-For`` header).
"""

from __future__ import annotations

import asyncio
import os
import uuid

from fastapi import APIRouter, Request, Response
from fastapi.security.utils import get_authorization_scheme_param

from inboxapp.api.contract import errors
from inboxapp.auth.service import verify_access_token
from inboxapp.errors import Forbidden
from inboxapp.inbox import queries
from inboxapp.logs import bind_context
from inboxapp.observability import metrics

router = APIRouter(tags=["operations"])

LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
ADMIN_ROLES = frozenset({"OWNER", "ADMIN"})
_PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def trust_loopback() -> bool:
    return os.environ.get("INBOXAPP_METRICS_TRUST_LOOPBACK", "1").strip().lower() not in (
        "0",
        "false",
        "no",
        "off",
    )


def is_local(request: Request) -> bool:
    host = request.client.host if request.client else ""
    if host not in LOOPBACK or not trust_loopback():
        return False
    return not any(h in request.headers for h in _PROXY_HEADERS)


def _is_admin(user_id: str) -> bool:
    rows = queries.list_workspaces(uuid.UUID(user_id))
    return any(row.get("role") in ADMIN_ROLES for row in rows)


async def authorize(request: Request) -> None:
    """Loopback, or an OWNER/ADMIN token; raises ``AuthError`` (401) / ``Forbidden`` (403)."""
    if is_local(request):
        return
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not token:
        raise Forbidden("FORBIDDEN", "Metrics are available locally or with an admin token")
    claims = verify_access_token(token)  # AuthError -> 401 for a bad or expired token
    request.state.user_id = claims.user_id
    bind_context(userId=claims.user_id)
    if not await asyncio.to_thread(_is_admin, claims.user_id):
        raise Forbidden("FORBIDDEN", "Metrics need the OWNER or ADMIN role in a workspace")


@router.get(
    "/api/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
        **errors(401, 403),
    },
)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus metrics of this process (loopback or OWNER/ADMIN token)."""
    await authorize(request)
    body = await asyncio.to_thread(metrics.render)
    return Response(
        content=body,
        media_type=metrics.CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )

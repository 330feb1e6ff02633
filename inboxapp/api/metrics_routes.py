"""``GET /api/metrics``: this process's Prometheus metrics (text format 0.0.4).

Who may read it (``Authorization: Bearer <token>``):

* the scrape token ``Settings.metrics_token`` (compared in constant time): the
  Prometheus agent;
* a valid access token of a user who is OWNER or ADMIN of at least one workspace (the metrics
  carry no tenant data, only route templates and totals);
* everyone else: 403 ``FORBIDDEN`` (401 when a bearer token is neither the scrape token nor a
  valid access token). Where the request comes from never matters: a reverse proxy on the same
  host makes loopback callers public.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid

from fastapi import APIRouter, Request, Response
from fastapi.security.utils import get_authorization_scheme_param

from inboxapp.api.contract import errors
from inboxapp.auth.service import authenticate
from inboxapp.config import get_settings
from inboxapp.domain import roles
from inboxapp.domain.roles import Capability
from inboxapp.errors import Forbidden
from inboxapp.inbox import queries
from inboxapp.logs import bind_context
from inboxapp.observability import (
    collectors,  # noqa: F401 (registers the scrape-time samplers)
    metrics,
)

router = APIRouter(tags=["operations"])


def is_scrape_token(token: str) -> bool:
    """True when ``token`` is the configured scrape token (constant-time comparison)."""
    expected = get_settings().metrics_token
    if expected is None:
        return False
    return hmac.compare_digest(token.encode(), expected.get_secret_value().encode())


def _is_admin(user_id: str) -> bool:
    rows = queries.list_workspaces(uuid.UUID(user_id))
    return any(roles.can(row.get("role"), Capability.ADMIN) for row in rows)


async def authorize(request: Request) -> None:
    """The scrape token, or an OWNER/ADMIN access token; raises ``AuthError`` (401) /
    ``Forbidden`` (403)."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not token:
        raise Forbidden("FORBIDDEN", "Metrics need the scrape token or an admin token")
    if is_scrape_token(token):
        return
    # AuthError -> 401 for a bad or expired token or an ended session
    claims = await asyncio.to_thread(authenticate, token)
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
    """Prometheus metrics of this process (scrape token or OWNER/ADMIN token)."""
    await authorize(request)
    body = await asyncio.to_thread(metrics.render)
    return Response(
        content=body,
        media_type=metrics.CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )

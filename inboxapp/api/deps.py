"""FastAPI dependencies shared by every router.

* :func:`current_user` / :data:`CurrentUser`: a valid Bearer access token of a live session
  or 401 (``UNAUTHORIZED`` when missing, ``INVALID_TOKEN`` / ``TOKEN_EXPIRED`` when bad,
  ``INVALID_TOKEN`` after logout, revocation or disabling), always with
  ``WWW-Authenticate: Bearer``. Binds ``userId`` into the log context.
* :func:`bind_route_context`: app-wide; binds the matched route template as ``route``.
* :func:`client_ip`: the peer address used for rate limiting.

Both context binders are ``async`` on purpose: they run in the request's own task, so the
context they bind reaches the (threadpool) route function and the access log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from inboxapp.auth.service import AccessClaims, AuthError, authenticate
from inboxapp.logs import bind_context

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="accessToken",
    description="Access token from POST /api/auth/token",
)


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AccessClaims:
    if credentials is None or not credentials.credentials:
        raise AuthError("UNAUTHORIZED", "A bearer access token is required")
    claims = authenticate(credentials.credentials)
    request.state.user_id = claims.user_id
    bind_context(userId=claims.user_id)
    return claims


CurrentUser = Annotated[AccessClaims, Depends(current_user)]


async def bind_route_context(request: Request) -> None:
    path_format = getattr(request.scope.get("route"), "path_format", None)
    if isinstance(path_format, str) and path_format:
        bind_context(route=path_format)


def client_ip(request: Request) -> str:
    """The peer address (the ASGI server applies trusted ``X-Forwarded-For`` itself)."""
    return request.client.host if request.client else "unknown"

"""Supabase Auth backend: used by :mod:`inboxapp.auth.service` when ``SUPABASE_URL`` and
``SUPABASE_ANON_KEY`` are set.

Passwords and refresh tokens are checked by Supabase (``sign_in_with_password``,
``refresh_session``); access tokens are verified locally with the project's JWT secret
(``JWT_SECRET``) and issuer ``<SUPABASE_URL>/auth/v1``. A fresh client per call keeps one user's
session out of another's request (the client stores the session it signs in with).
"""

from __future__ import annotations

from typing import Any, NoReturn

import httpx
from supabase import create_client
from supabase.lib.client_options import SyncClientOptions
from supabase_auth.errors import AuthApiError, AuthRetryableError
from supabase_auth.errors import AuthError as SupabaseAuthError

from inboxapp.config import get_settings
from inboxapp.logs import get_logger

from .tokens import AuthError, TokenPair

log = get_logger("inboxapp.auth.supabase")

_BANNED = ("user_banned",)


def issuer() -> str:
    """The ``iss`` claim Supabase Auth puts into this project's access tokens."""
    url = get_settings().supabase_url or ""
    return f"{url.rstrip('/')}/auth/v1"


def _client() -> Any:
    settings = get_settings()
    if not (settings.supabase_url and settings.supabase_anon_key):
        raise AuthError("AUTH_UNAVAILABLE", "Supabase Auth is not configured", 503)
    options = SyncClientOptions(auto_refresh_token=False, persist_session=False)
    return create_client(settings.supabase_url, settings.supabase_anon_key, options)


def login(email: str, password: str) -> TokenPair:
    try:
        response = _client().auth.sign_in_with_password({"email": email, "password": password})
    except Exception as exc:
        _raise(exc, "INVALID_CREDENTIALS", "Invalid email or password")
    return _pair(response, "INVALID_CREDENTIALS", "Invalid email or password")


def refresh(refresh_token: str) -> TokenPair:
    try:
        response = _client().auth.refresh_session(refresh_token)
    except Exception as exc:
        _raise(exc, "INVALID_REFRESH_TOKEN", "Invalid refresh token")
    return _pair(response, "INVALID_REFRESH_TOKEN", "Invalid refresh token")


def logout(refresh_token: str) -> None:
    """Revoke the session the refresh token belongs to.

    Idempotent: a token Supabase rejects (unknown, revoked) is already logged out. An unreachable
    Supabase raises ``AUTH_UNAVAILABLE`` so the caller knows the session may still be live.
    """
    client = _client()
    try:
        client.auth.refresh_session(refresh_token)
        client.auth.sign_out({"scope": "local"})
    except AuthApiError as exc:
        if 400 <= exc.status < 500 and exc.status != 429:
            log.info("auth.supabase_logout_noop", status=exc.status)
            return
        _raise(exc, "INVALID_REFRESH_TOKEN", "Invalid refresh token")
    except Exception as exc:
        _raise(exc, "INVALID_REFRESH_TOKEN", "Invalid refresh token")


def _pair(response: Any, code: str, message: str) -> TokenPair:
    session = getattr(response, "session", None)
    user = getattr(response, "user", None) or getattr(session, "user", None)
    if session is None or user is None or not session.access_token or not session.refresh_token:
        raise AuthError(code, message)
    return TokenPair(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_in=int(session.expires_in or get_settings().access_token_ttl_s),
        user_id=str(user.id),
        email=user.email or "",
    )


def _raise(exc: Exception, code: str, message: str) -> NoReturn:
    """Map a Supabase client error to our :class:`AuthError` (no Supabase text leaks out)."""
    if isinstance(exc, AuthError):
        raise exc
    if isinstance(exc, AuthApiError) and exc.status == 429:
        raise AuthError("RATE_LIMITED", "Too many attempts, try again later", 429) from None
    if isinstance(exc, AuthApiError) and 400 <= exc.status < 500:
        log.info("auth.supabase_rejected", status=exc.status, supabaseCode=exc.code)
        raise AuthError(code, message) from None
    if (
        isinstance(exc, SupabaseAuthError)
        and not isinstance(exc, AuthRetryableError)
        and (exc.code in _BANNED or exc.code == "invalid_credentials")
    ):
        raise AuthError(code, message) from None
    if isinstance(exc, SupabaseAuthError | httpx.HTTPError | OSError):
        log.warning("auth.supabase_unavailable", errorType=type(exc).__name__)
        raise AuthError("AUTH_UNAVAILABLE", "Authentication service unavailable", 503) from None
    raise exc

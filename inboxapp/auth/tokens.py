"""Token primitives shared by the local and the Supabase auth backends.

* Access tokens: Supabase-compatible HS256 JWTs (``sub``, ``role``, ``aud``, ``email``, ``exp``,
  ``iat``, ``iss``, ``session_id``), verified strictly (algorithm pinned, claims required).
* Refresh tokens: opaque random strings; only their SHA-256 is ever stored.
* :class:`AuthError`, :class:`AccessClaims` and :class:`TokenPair`: the auth service's vocabulary,
  free of web types so the HTTP API and the Reflex UI share it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt

ALGORITHM = "HS256"
AUDIENCE = "authenticated"
ROLE = "authenticated"
LOCAL_ISSUER = "inboxapp"
LEEWAY_S = 30
"""Clock skew tolerated on ``exp``/``iat`` (Supabase's server clock is not ours)."""
MAX_TOKEN_CHARS = 8192
REQUIRED_CLAIMS = ("exp", "iat", "sub", "aud")


class AuthError(Exception):
    """An authentication failure the caller may see: a stable code, a safe message, a status."""

    def __init__(
        self, code: str, message: str, status: int = 401, *, retry_after: int | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers that belong with this error (challenge, back-off)."""
        headers: dict[str, str] = {}
        if self.status == 401:
            bad_token = self.code in ("INVALID_TOKEN", "TOKEN_EXPIRED")
            headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if bad_token else "Bearer"
        if self.retry_after is not None:
            headers["Retry-After"] = str(max(1, self.retry_after))
        return headers


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """The verified identity carried by an access token."""

    user_id: str
    email: str
    exp: int
    session_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenPair:
    """What a successful login or refresh hands back."""

    access_token: str
    refresh_token: str
    expires_in: int
    user_id: str
    email: str
    session_id: str | None = None
    token_type: str = field(default="bearer")

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "user": {"id": self.user_id, "email": self.email},
        }

    def __repr__(self) -> str:  # never put the tokens into a traceback or a log line
        return f"TokenPair(user_id={self.user_id!r}, expires_in={self.expires_in})"


def issue_access_token(
    *,
    user_id: str,
    email: str,
    session_id: str | None,
    secret: str,
    ttl_s: int,
    now: int | None = None,
    issuer: str = LOCAL_ISSUER,
) -> str:
    """Sign a Supabase-shaped access token for ``user_id``."""
    iat = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "sub": user_id,
        "role": ROLE,
        "aud": AUDIENCE,
        "email": email,
        "iat": iat,
        "exp": iat + ttl_s,
        "iss": issuer,
    }
    if session_id is not None:
        claims["session_id"] = session_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(
    token: str, *, secret: str, issuer: str, verify_exp: bool = True
) -> AccessClaims:
    """Verify signature, algorithm, audience, issuer, expiry and required claims.

    ``verify_exp=False`` accepts an expired token (to tell whose session it was, never to
    authorize). Raises :class:`AuthError` (``TOKEN_EXPIRED`` or ``INVALID_TOKEN``); never returns
    partial claims.
    """
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise AuthError("INVALID_TOKEN", "Invalid access token")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=issuer,
            leeway=LEEWAY_S,
            options={
                "require": list(REQUIRED_CLAIMS),
                "verify_signature": True,
                "verify_exp": verify_exp,
            },
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("TOKEN_EXPIRED", "Access token expired") from None
    except jwt.PyJWTError:
        raise AuthError("INVALID_TOKEN", "Invalid access token") from None
    sub = claims.get("sub")
    if claims.get("role") != ROLE or not isinstance(sub, str) or not _is_uuid(sub):
        raise AuthError("INVALID_TOKEN", "Invalid access token")
    email = claims.get("email")
    session_id = claims.get("session_id")
    return AccessClaims(
        user_id=sub,
        email=email if isinstance(email, str) else "",
        exp=int(claims["exp"]),
        session_id=session_id if isinstance(session_id, str) else None,
    )


def new_refresh_token() -> tuple[str, str]:
    """Return ``(token, sha256 hex)``: hand out the token, store only the hash."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True

"""Authentication service: plain functions shared by the HTTP API and the Reflex UI.

* :func:`login` / :func:`refresh` / :func:`logout` issue, rotate and revoke sessions. Locally a
  session is a refresh-token *family*: every refresh revokes the presented token and issues the
  next one in the same family; presenting a revoked token again revokes the whole family
  (reuse detection). With Supabase configured the same functions go through Supabase Auth.
* :func:`verify_access_token` checks an access token (local or Supabase) without a database hit.
* :func:`me` returns the caller and the workspaces row level security lets them open.

Never logged: emails, passwords, tokens. Log lines carry a ``userId`` and a reason code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlmodel import Session, col, select

from inboxapp.config import get_settings
from inboxapp.db.engine import owner_session, service_session, user_session
from inboxapp.db.models import RefreshToken, User
from inboxapp.logs import get_logger

from . import sessions, supabase_auth
from .passwords import verify_password
from .ratelimit import login_limiter
from .tokens import (
    LOCAL_ISSUER,
    AccessClaims,
    AuthError,
    TokenPair,
    decode_access_token,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
)

__all__ = [
    "AccessClaims",
    "AuthError",
    "Me",
    "TokenPair",
    "authenticate",
    "disable_user",
    "login",
    "logout",
    "me",
    "refresh",
    "verify_access_token",
]

log = get_logger("inboxapp.auth")

MAX_REFRESH_TOKEN_CHARS = 512
MAX_EMAIL_CHARS = 320
MAX_PASSWORD_CHARS = 1024
WORKSPACES_SQL = sa.text(
    'SELECT c.id, c.name, w.role FROM app.my_workspaces() w JOIN "Client" c ON c.id = w."clientId"'
    " ORDER BY c.name, c.id"
)
_BAD_CREDENTIALS = ("INVALID_CREDENTIALS", "Invalid email or password")
_BAD_REFRESH = ("INVALID_REFRESH_TOKEN", "Invalid or expired refresh token")


@dataclass(frozen=True, slots=True)
class Me:
    """The signed-in user and the workspaces they can open, with their effective role."""

    user: dict[str, str]
    workspaces: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"user": dict(self.user), "workspaces": [dict(w) for w in self.workspaces]}


def login(email: str, password: str, ip: str) -> TokenPair:
    """Check email + password and open a new session.

    Raises ``AuthError``: ``RATE_LIMITED`` (429, with ``retry_after``) after too many failures
    for this email and IP, else ``INVALID_CREDENTIALS`` (401) for an unknown email, a wrong
    password or a disabled user alike (same message, same argon2 cost).
    """
    email = email.strip()
    retry_after = login_limiter.retry_after(email, ip)
    if retry_after is not None:
        log.info("auth.login_failed", reason="rate_limited")
        raise AuthError(
            "RATE_LIMITED",
            "Too many failed sign-in attempts, try again later",
            429,
            retry_after=retry_after,
        )
    if (
        not email
        or not password
        or len(email) > MAX_EMAIL_CHARS
        or len(password) > MAX_PASSWORD_CHARS
    ):
        _login_failed(email, ip, "malformed")  # also bounds the argon2 work per attempt
    if get_settings().supabase_enabled:
        return _login_supabase(email, password, ip)

    with service_session() as session:
        user = session.exec(
            select(User).where(sa.func.lower(col(User.email)) == email.lower())
        ).first()
    # Always one argon2 verification (against a dummy hash when the user is unknown).
    password_ok = verify_password(user.passwordHash if user else None, password)
    if user is None:
        _login_failed(email, ip, "unknown_user")
    if not password_ok:
        _login_failed(email, ip, "bad_password")
    if user.disabledAt is not None:
        _login_failed(email, ip, "disabled")
    with service_session() as session:
        pair = _issue(session, user, family_id=uuid.uuid4())
    login_limiter.reset(email, ip)
    log.info("auth.login", userId=pair.user_id, backend="local")
    return pair


def refresh(refresh_token: str) -> TokenPair:
    """Rotate a refresh token: the presented one is revoked and a new pair is issued.

    Raises ``AuthError("INVALID_REFRESH_TOKEN", 401)`` for unknown, expired or revoked tokens and
    for disabled or deleted users; a revoked token presented again revokes its whole family.
    """
    if get_settings().supabase_enabled:
        pair = supabase_auth.refresh(refresh_token)
        if _locally_disabled(pair.user_id):
            log.info("auth.refresh_failed", reason="disabled", userId=pair.user_id)
            raise AuthError(*_BAD_REFRESH)
        log.info("auth.refresh", userId=pair.user_id, backend="supabase")
        return pair

    if not refresh_token or len(refresh_token) > MAX_REFRESH_TOKEN_CHARS:
        log.info("auth.refresh_failed", reason="malformed")
        raise AuthError(*_BAD_REFRESH)
    token_hash = hash_refresh_token(refresh_token)
    now = datetime.now(UTC)
    outcome: TokenPair | str
    user_id: str | None = None
    # Decide inside the transaction, raise after it commits (a revocation must not roll back).
    with service_session() as session:
        row = session.exec(
            select(RefreshToken).where(col(RefreshToken.tokenHash) == token_hash).with_for_update()
        ).first()
        if row is None:
            outcome = "unknown"
        else:
            user_id = str(row.userId)
            user = session.get(User, row.userId)
            if row.revokedAt is not None:
                _revoke_family(session, row.familyId, now)
                outcome = "reused"
            elif row.expiresAt <= now:
                outcome = "expired"
            elif user is None or user.disabledAt is not None:
                _revoke_family(session, row.familyId, now)
                outcome = "disabled"
            else:
                row.revokedAt = now
                session.add(row)
                outcome = _issue(session, user, family_id=row.familyId, now=now)
    if isinstance(outcome, str):
        if outcome == "reused":
            log.warning("auth.refresh_reuse_detected", userId=user_id, reason=outcome)
        else:
            log.info("auth.refresh_failed", userId=user_id, reason=outcome)
        raise AuthError(*_BAD_REFRESH)
    log.info("auth.refresh", userId=outcome.user_id, backend="local")
    return outcome


def logout(refresh_token: str) -> None:
    """Revoke the session (the whole refresh-token family). Unknown tokens are a no-op."""
    if get_settings().supabase_enabled:
        supabase_auth.logout(refresh_token)
        log.info("auth.logout", backend="supabase")
        return
    if not refresh_token or len(refresh_token) > MAX_REFRESH_TOKEN_CHARS:
        return
    token_hash = hash_refresh_token(refresh_token)
    with service_session() as session:
        row = session.exec(
            select(RefreshToken).where(col(RefreshToken.tokenHash) == token_hash)
        ).first()
        if row is not None:
            _revoke_family(session, row.familyId, datetime.now(UTC))
    log.info("auth.logout", userId=str(row.userId) if row else None, backend="local")


def verify_access_token(token: str, *, verify_exp: bool = True) -> AccessClaims:
    """Verify an access token (signature, ``HS256`` only, audience, issuer, expiry).

    This checks the token alone; :func:`authenticate` also checks that its session is still
    signed in. ``verify_exp=False`` only identifies the session of an expired token.

    Raises ``AuthError``: ``TOKEN_EXPIRED`` or ``INVALID_TOKEN`` (401).
    """
    settings = get_settings()
    issuer = supabase_auth.issuer() if settings.supabase_enabled else LOCAL_ISSUER
    return decode_access_token(
        token, secret=settings.signing_secret, issuer=issuer, verify_exp=verify_exp
    )


def authenticate(token: str) -> AccessClaims:
    """The identity of a request: a valid access token whose session is still signed in.

    Raises ``AuthError``: ``TOKEN_EXPIRED`` / ``INVALID_TOKEN`` for a bad token, also
    ``INVALID_TOKEN`` ("Your session has ended") when the session was signed out or revoked, or
    its user disabled or deleted (:mod:`.sessions`: in memory, current within a second), and
    ``AUTH_UNAVAILABLE`` (503) when that cannot be decided because the database is down.
    """
    claims = verify_access_token(token)
    require_live_session(claims.user_id, claims.session_id)
    return claims


def require_live_session(user_id: str, session_id: str | None) -> None:
    """Raise ``AuthError`` unless the session is still signed in (see :func:`authenticate`)."""
    try:
        if get_settings().supabase_enabled:
            # Supabase owns its sessions; the local mirror still decides who is disabled.
            if _locally_disabled(user_id):
                raise sessions.SessionEnded("user_disabled")
        else:
            sessions.check(user_id, session_id)
    except sessions.SessionEnded as exc:
        log.info("auth.session_refused", userId=user_id, reason=exc.reason)
        raise AuthError("INVALID_TOKEN", "Your session has ended; sign in again") from None
    except sa.exc.SQLAlchemyError:
        log.warning("auth.session_check_unavailable", userId=user_id)
        raise AuthError(
            "AUTH_UNAVAILABLE", "Sign-in cannot be checked right now; try again shortly", 503
        ) from None


def peek_live_session(user_id: str, session_id: str | None) -> bool | None:
    """Whether the session is live when this process knows it without I/O, else None (then
    :func:`require_live_session` decides)."""
    if get_settings().supabase_enabled:
        return None
    uid, sid = _uuid_or_none(user_id), _uuid_or_none(session_id)
    if uid is None or sid is None:
        return False
    known = sessions.registry().cached(uid, sid)
    if known is None:
        return None
    return known.live and known.user_id == uid


def session_of_refresh_token(refresh_token: str) -> str | None:
    """The session (family id) a refresh token belongs to, revoked or not; None if unknown."""
    if not refresh_token or len(refresh_token) > MAX_REFRESH_TOKEN_CHARS:
        return None
    with service_session() as session:
        family = session.exec(
            select(RefreshToken.familyId).where(
                col(RefreshToken.tokenHash) == hash_refresh_token(refresh_token)
            )
        ).first()
    return str(family) if family else None


def disable_user(user_id: uuid.UUID) -> bool:
    """Disable a user and revoke every session of theirs; True when the user exists."""
    now = datetime.now(UTC)
    with owner_session() as session:  # the runtime role may not change users
        user = session.get(User, user_id)
        if user is None:
            return False
        if user.disabledAt is None:
            user.disabledAt = now
            session.add(user)
        families = session.exec(
            select(RefreshToken.familyId)
            .where(col(RefreshToken.userId) == user_id, col(RefreshToken.revokedAt).is_(None))
            .distinct()
        ).all()
        for family in families:
            _revoke_family(session, family, now)
    log.info("auth.user_disabled", userId=str(user_id), sessions=len(families))
    return True


def me(user_id: str) -> Me:
    """The user's profile and workspaces (``app.my_workspaces()``, decided by RLS).

    Raises ``AuthError("INVALID_TOKEN", 401)`` when the user no longer exists or is disabled.
    """
    try:
        uid = uuid.UUID(user_id)
    except ValueError:
        raise AuthError("INVALID_TOKEN", "Invalid access token") from None
    with service_session() as session:
        user = session.get(User, uid)
    if user is None or user.disabledAt is not None:
        log.info("auth.me_denied", userId=user_id, reason="missing" if user is None else "disabled")
        raise AuthError("INVALID_TOKEN", "User no longer exists or is disabled")
    with user_session(uid) as session:
        rows = session.execute(WORKSPACES_SQL).all()
    return Me(
        user={"id": str(user.id), "email": user.email, "displayName": user.displayName},
        workspaces=[{"id": str(r.id), "name": r.name, "role": r.role} for r in rows],
    )


def _issue(
    session: Session, user: User, *, family_id: uuid.UUID, now: datetime | None = None
) -> TokenPair:
    """Store a new refresh token of ``family_id`` and sign a matching access token."""
    settings = get_settings()
    now = now or datetime.now(UTC)
    token, token_hash = new_refresh_token()
    session.add(
        RefreshToken(
            userId=user.id,
            familyId=family_id,
            tokenHash=token_hash,
            createdAt=now,
            expiresAt=now + timedelta(seconds=settings.refresh_token_ttl_s),
        )
    )
    access = issue_access_token(
        user_id=str(user.id),
        email=user.email,
        session_id=str(family_id),
        secret=settings.signing_secret,
        ttl_s=settings.access_token_ttl_s,
        now=int(now.timestamp()),
    )
    return TokenPair(
        access_token=access,
        refresh_token=token,
        expires_in=settings.access_token_ttl_s,
        user_id=str(user.id),
        email=user.email,
        session_id=str(family_id),
    )


def _revoke_family(session: Session, family_id: uuid.UUID, now: datetime) -> None:
    """End a session: revoke its live tokens and tell every process (``app.auth_change``)."""
    session.execute(
        sa.update(RefreshToken)
        .where(col(RefreshToken.familyId) == family_id, col(RefreshToken.revokedAt).is_(None))
        .values(revokedAt=now)
    )
    sessions.note_revoked(session, family_id)
    sessions.registry().forget(family_id)


def _login_failed(email: str, ip: str, reason: str) -> NoReturn:
    login_limiter.record_failure(email, ip)
    log.info("auth.login_failed", reason=reason)
    raise AuthError(*_BAD_CREDENTIALS)


def _login_supabase(email: str, password: str, ip: str) -> TokenPair:
    try:
        pair = supabase_auth.login(email, password)
    except AuthError as exc:
        if exc.code == "INVALID_CREDENTIALS":
            _login_failed(email, ip, "supabase_rejected")
        raise
    if _locally_disabled(pair.user_id):
        _login_failed(email, ip, "disabled")
    login_limiter.reset(email, ip)
    log.info("auth.login", userId=pair.user_id, backend="supabase")
    return pair


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _locally_disabled(user_id: str) -> bool:
    """True when the local ``User`` mirror marks this (Supabase) user as disabled."""
    try:
        uid = uuid.UUID(user_id)
    except ValueError:
        return False
    with service_session() as session:
        user = session.get(User, uid)
    return user is not None and user.disabledAt is not None

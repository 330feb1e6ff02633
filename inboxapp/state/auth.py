"""Browser session: sign in, keep the token pair in localStorage, refresh it, sign out.

The token pair lives in ``rx.LocalStorage`` (string values) so a reload keeps the session.
Every auth call is blocking (database): it runs in a worker thread via ``asyncio.to_thread``.
Regular (non-background) handlers are serialized per browser tab, so a refresh token is never
rotated twice concurrently by the same tab.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from inboxapp.auth import service as auth_service
from inboxapp.auth.tokens import AuthError, TokenPair
from inboxapp.logs import get_logger
from inboxapp.state.base import GuardedSetters

log = get_logger("inboxapp.ui")

LOGIN_ROUTE = "/login"
HOME_ROUTE = "/"
NEXT_PARAM = "next"
"""The sign-in page's ``?next=``: where to go after signing in (a deep link that met a
signed-out tab survives the login)."""
MAX_NEXT = 2000


def safe_next(value: object) -> str:
    """``value`` when it is a path of this site (``/...``, not ``//host`` nor a scheme, no
    control characters, not the sign-in page itself); else the home page."""
    text = value if isinstance(value, str) else ""
    if (
        not text.startswith("/")
        or text.startswith(("//", "/\\"))
        or len(text) > MAX_NEXT
        or any(ord(c) < 32 or c == "\\" for c in text)
        or text.split("?", 1)[0] == LOGIN_ROUTE
    ):
        return HOME_ROUTE
    return text


def login_url(next_path: str = "") -> str:
    """The sign-in page, with ``?next=`` when ``next_path`` is worth coming back to."""
    target = safe_next(next_path)
    if target == HOME_ROUTE:
        return LOGIN_ROUTE
    return f"{LOGIN_ROUTE}?{urlencode({NEXT_PARAM: target})}"


# Refresh a little before the access token expires, so a page load never races the expiry.
EXPIRY_MARGIN_S = 30

MSG_MISSING_FIELDS = "Enter your email address and password."
MSG_BAD_CREDENTIALS = "That email and password don't match. Check them and try again."
MSG_RATE_LIMITED = "Too many sign-in attempts. Wait a few minutes, then try again."
MSG_UNAVAILABLE = "We couldn't sign you in right now. Please try again in a moment."
MSG_SIGNED_OUT = "You were signed out. Sign in again to continue."


# Browser-side clean-up to run at sign-out (session caches); registered with ``on_logout``.
_LOGOUT_EVENTS: list[Any] = []


def on_logout(event: Any) -> None:
    """Run ``event`` (a client-side event, e.g. ``rx.call_script``) when the user logs out."""
    _LOGOUT_EVENTS.append(event)


def login_error_message(exc: AuthError) -> str:
    """A short, human message for a failed sign-in (never the raw exception)."""
    if exc.status == 429:
        return MSG_RATE_LIMITED
    if exc.status in (400, 401, 403):
        return MSG_BAD_CREDENTIALS
    return MSG_UNAVAILABLE


@dataclass(frozen=True)
class SessionCheck:
    """Who the stored session belongs to, and the rotated pair when it was refreshed."""

    user_id: str
    session_id: str
    rotated: TokenPair | None = None


def resolve_session(access: str, refresh: str, expires_at: str) -> SessionCheck | None:
    """Authenticate the access token (valid and its session live), or rotate the pair with the
    refresh token (blocking).

    Returns ``None`` when the stored session is no longer valid. Infrastructure failures
    (database down) propagate: they must not sign the user out.
    """
    if access and not _expiring(expires_at):
        try:
            claims = auth_service.authenticate(access)
            return SessionCheck(str(claims.user_id), claims.session_id or "")
        except AuthError as exc:
            if exc.status == 503:
                raise
            # expired, revoked or signed out: fall through to the refresh token
    if refresh:
        try:
            pair = auth_service.refresh(refresh)
        except AuthError:
            return None
        return SessionCheck(str(pair.user_id), session_id_of(pair), rotated=pair)
    return None


def session_id_of(pair: TokenPair) -> str:
    """The session of a freshly issued pair (local pairs name it; else its access token)."""
    if pair.session_id:
        return pair.session_id
    try:
        return auth_service.verify_access_token(pair.access_token).session_id or ""
    except AuthError:
        return ""


def _expiring(expires_at: str) -> bool:
    try:
        return float(expires_at) - EXPIRY_MARGIN_S <= time.time()
    except ValueError:
        return False  # unknown expiry: let the verifier decide


class AuthState(GuardedSetters, rx.State):
    """The signed-in session of this browser tab (tokens persist across reloads)."""

    # sync=True: a rotation in one tab reaches the other tabs, which would otherwise present
    # the old refresh token and trip the service's reuse detection (revoking the session).
    access_token: str = rx.LocalStorage("", name="inbox_access_token", sync=True)
    refresh_token: str = rx.LocalStorage("", name="inbox_refresh_token", sync=True)
    expires_at: str = rx.LocalStorage("", name="inbox_expires_at", sync=True)

    user_email: str = ""
    display_name: str = ""
    login_error: str = ""
    session_notice: str = ""
    """"You were signed out": set by the session guard when the session ended elsewhere."""
    submitting: bool = False

    _user_id: str = ""
    _session_id: str = ""
    """The session (refresh-token family) this tab's private state belongs to."""
    _sid: str = ""
    """The socket the state is bound to (see :mod:`inboxapp.state.guard`)."""
    _old_sids: list[str] = []
    _memberships_seen: int = -1
    """How many membership changes of the user this process had heard of when the workspaces
    were last loaded (``sessions.Registry.membership_version``); -1 before that."""

    # ------------------------------------------------------------------ setters
    def _set_user(self, user_id: str, email: str, display_name: str) -> None:
        self._put_all({"_user_id": user_id, "user_email": email, "display_name": display_name})

    def _store_pair(self, pair: TokenPair) -> None:
        expires_at = str(int(time.time()) + int(pair.expires_in))
        if self.access_token != pair.access_token:
            self.access_token = pair.access_token
        if self.refresh_token != pair.refresh_token:
            self.refresh_token = pair.refresh_token
        if self.expires_at != expires_at:
            self.expires_at = expires_at
        if self._user_id != str(pair.user_id):
            self._user_id = str(pair.user_id)
        session_id = session_id_of(pair)
        if self._session_id != session_id:
            self._session_id = session_id
        if self.user_email != pair.email:
            self.user_email = pair.email

    def _clear_session(self) -> None:
        for name in ("access_token", "refresh_token", "expires_at", "user_email", "display_name"):
            if getattr(self, name) != "":
                setattr(self, name, "")
        if self._user_id:
            self._user_id = ""
        if self._session_id:
            self._session_id = ""

    # ------------------------------------------------------------------ helpers
    @rx.var
    def user_initials(self) -> str:
        source = self.display_name or self.user_email
        parts = [p for p in source.replace("@", " ").replace(".", " ").split() if p]
        return ("".join(p[0] for p in parts[:2]) or "?").upper()

    async def _current_user_id(self) -> str:
        """The verified user id of the stored session ("" when signed out); rotates tokens.

        Raises whatever the database raises when it is unreachable.
        """
        if not self.access_token and not self.refresh_token:
            return ""
        check = await asyncio.to_thread(
            resolve_session, self.access_token, self.refresh_token, self.expires_at
        )
        if check is None:
            self._clear_session()
            return ""
        if check.rotated is not None:
            self._store_pair(check.rotated)
        else:
            if self._user_id != check.user_id:
                self._user_id = check.user_id
            if self._session_id != check.session_id:
                self._session_id = check.session_id
        return check.user_id

    # ------------------------------------------------------------------ events
    @rx.event
    def check_session(self) -> None:
        """Nothing itself: the session guard checks the session before every event, and a
        background task that found the session gone sends this to let it sign the tab out."""

    @rx.event
    async def login(self, form_data: dict[str, Any]) -> AsyncIterator[Any]:
        """Sign in with the submitted form; the password never enters the state."""
        if self.submitting:
            return
        if self._user_id and self.access_token:
            # Already signed in (e.g. a second Enter queued behind the first): no new session.
            yield rx.redirect(HOME_ROUTE, replace=True)
            return
        email = str(form_data.get("email") or "").strip()
        password = str(form_data.get("password") or "")
        if not email or not password:
            self._put("login_error", MSG_MISSING_FIELDS)
            return
        self._put("login_error", "")
        if self.session_notice:
            self.session_notice = ""
        self._put("submitting", True)
        yield  # show the loading state now
        pair: TokenPair | None = None
        try:
            pair = await asyncio.to_thread(
                auth_service.login, email, password, self.router.session.client_ip or ""
            )
        except AuthError as exc:
            self._put("login_error", login_error_message(exc))
        except Exception:
            log.exception("ui.login_failed")
            self._put("login_error", MSG_UNAVAILABLE)
        finally:
            self._put("submitting", False)
        if pair is not None:
            self._store_pair(pair)
            yield rx.redirect(self._next_page(), replace=True)

    @rx.event
    async def redirect_if_signed_in(self) -> AsyncIterator[Any]:
        """``on_load`` of the sign-in page: skip it when the stored session is still valid."""
        self._put("submitting", False)
        try:
            user_id = await self._current_user_id()
        except Exception:
            log.exception("ui.session_check_failed")
            return
        if user_id:
            yield rx.redirect(self._next_page(), replace=True)

    def _next_page(self) -> str:
        return safe_next(self.router.url.query_parameters.get(NEXT_PARAM, HOME_ROUTE))

    @rx.event
    async def logout(self) -> AsyncIterator[Any]:
        """Revoke the refresh token, forget the session in this browser, go to sign-in."""
        refresh_token = self.refresh_token
        self._clear_session()
        self.reset()
        yield [*_LOGOUT_EVENTS, rx.redirect(LOGIN_ROUTE, replace=True)]
        if refresh_token:
            try:
                await asyncio.to_thread(auth_service.logout, refresh_token)
            except AuthError:
                pass  # already revoked or expired: nothing left to do
            except Exception:
                log.exception("ui.logout_failed")

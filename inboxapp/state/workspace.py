"""The active workspace: which workspaces the user has, which one the URL selects.

The active workspace lives in the URL (``?clientId=<uuid>``). ``load`` (the page's on_load)
verifies the session, then a background task fetches ``me()`` without holding the state lock.
Each load takes a new request number; a response for an older load is dropped, and only the
latest load ends the loading flag (always, in ``finally``).

A page that shows workspace data registers the event that loads it with
:func:`on_workspace_ready`; it runs once the active workspace of that page is settled (and
never for a dropped, older load).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from inboxapp.auth import service as auth_service
from inboxapp.auth import sessions
from inboxapp.auth.tokens import AuthError
from inboxapp.domain import roles
from inboxapp.domain.roles import Capability
from inboxapp.logs import get_logger
from inboxapp.state.auth import HOME_ROUTE, LOGIN_ROUTE, AuthState, login_url
from inboxapp.state.base import next_request

log = get_logger("inboxapp.ui")

CLIENT_PARAM = "clientId"


# Route -> event to run once ``fetch_workspaces`` has settled the active workspace there.
_READY_EVENTS: dict[str, Any] = {}

MSG_NO_ACCESS = "You don't have access to the workspace in that link, so we opened {name} instead."
MSG_LOAD_FAILED = "We couldn't load your workspaces. Check your connection and reload the page."


def workspace_url(client_id: str, route: str = HOME_ROUTE) -> str:
    return f"{route}?{urlencode({CLIENT_PARAM: client_id})}"


def _route_key(path: str) -> str:
    return path.rstrip("/") or "/"


def on_workspace_ready(route: str, event: Any) -> None:
    """Run ``event`` after each load of ``route`` that settled on an active workspace."""
    _READY_EVENTS[_route_key(route)] = event


def _field(item: Any, name: str) -> str:
    value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
    return "" if value is None else str(value)


def workspace_rows(workspaces: Any) -> list[dict[str, str]]:
    """Plain ``{"id","name","role","role_label"}`` rows from ``me().workspaces``."""
    rows: list[dict[str, str]] = []
    for item in workspaces or []:
        role = _field(item, "role")
        rows.append(
            {
                "id": _field(item, "id"),
                "name": _field(item, "name") or "Untitled workspace",
                "role": role,
                "role_label": roles.label(role),
            }
        )
    return rows


class WorkspaceState(AuthState):
    """Workspaces of the signed-in user and the one selected by ``?clientId=``."""

    workspaces: list[dict[str, str]] = []
    active_id: str = ""
    active_name: str = ""
    active_role: str = ""
    """The role key (``OWNER``, ``SETTER``, ...) in the active workspace."""
    notice: str = ""
    load_error: str = ""
    loading: bool = True
    ready: bool = False

    _request: int = 0
    _requested: str = ""
    _route: str = ""
    _loaded_for: str = ""
    _notice_for: str = ""

    # ------------------------------------------------------------------ setters
    def _set_active(self, row: Mapping[str, str] | None) -> None:
        values = ("", "", "") if row is None else (row["id"], row["name"], row["role"])
        self._put_all(dict(zip(("active_id", "active_name", "active_role"), values, strict=True)))

    def _forget_workspaces(self) -> None:
        self._put("ready", False)
        self._put("workspaces", [])
        self._set_active(None)
        self._put("notice", "")
        self._put("load_error", "")
        self._loaded_for = ""
        self._notice_for = ""

    # ------------------------------------------------------------------ computed
    @rx.var
    def active_role_label(self) -> str:
        return roles.label(self.active_role)

    @rx.var
    def can_admin(self) -> bool:
        """Owner or admin of the active workspace (pages check again on the server)."""
        return roles.can(self.active_role, Capability.ADMIN)

    @rx.var
    def has_workspaces(self) -> bool:
        return len(self.workspaces) > 0

    @rx.var
    def show_spinner(self) -> bool:
        """The full-page spinner: nothing to show yet (first load, or leaving for sign-in)."""
        return not self.ready and self.active_id == "" and self.load_error == ""

    # ------------------------------------------------------------------ events
    @rx.event
    async def load(self) -> AsyncIterator[Any]:
        """``on_load`` of the workspace page: check the session, then fetch in the background."""
        request = next_request()
        self._request = request
        self._put("loading", True)
        self._put("load_error", "")
        yield
        handed_off = False
        try:
            user_id = await self._current_user_id()
            if not user_id:
                self._forget_workspaces()
                yield rx.redirect(login_url(self._here()), replace=True)
                return
            if self._loaded_for and self._loaded_for != user_id:
                self._forget_workspaces()  # another user signed in in this tab
            self._requested = self.router.url.query_parameters.get(CLIENT_PARAM, "")
            self._route = _route_key(self.router.url.path)
            handed_off = True
            yield WorkspaceState.fetch_workspaces
        except Exception:
            log.exception("ui.session_check_failed")
            self._put("load_error", MSG_LOAD_FAILED)
        finally:
            if not handed_off and request == self._request:
                self._put("loading", False)

    def _here(self) -> str:
        """This page's path and query (to come back to after signing in)."""
        url = self.router.url
        query = urlencode(dict(url.query_parameters))
        return f"{url.path}?{query}" if query else str(url.path)

    @rx.event(background=True)
    async def fetch_workspaces(self) -> AsyncIterator[Any]:
        """Fetch ``me()`` off the state lock; apply it only if no newer load started since."""
        async with self:
            request, requested, user_id = self._request, self._requested, self._user_id
            route = self._route
        rows: list[dict[str, str]] | None = None
        profile: tuple[str, str] = ("", "")
        signed_out = False
        redirect_to = ""
        settled = False
        memberships = -1
        try:
            if not user_id:
                signed_out = True
            else:
                memberships = sessions.registry().membership_version(user_id)
                me = await asyncio.to_thread(auth_service.me, user_id)
                rows = workspace_rows(getattr(me, "workspaces", []))
                user = getattr(me, "user", None)
                profile = (_field(user, "email"), _field(user, "displayName"))
        except AuthError as exc:
            log.info("ui.me_refused", userId=user_id, reason=exc.code)
            signed_out = exc.status == 401  # user deleted or disabled since sign-in
        except Exception:
            log.exception("ui.workspaces_load_failed", userId=user_id)
        finally:
            async with self:
                if request == self._request:
                    if signed_out:
                        self._clear_session()
                        self._forget_workspaces()
                        redirect_to = LOGIN_ROUTE
                    elif rows is None:
                        self._put("load_error", MSG_LOAD_FAILED)
                    else:
                        redirect_to = self._apply(user_id, rows, profile, requested)
                        settled = not redirect_to and self.active_id != ""
                        self._memberships_seen = memberships
                    self._put("loading", False)
        if redirect_to:
            yield rx.redirect(redirect_to, replace=True)
        elif settled and route in _READY_EVENTS:
            yield _READY_EVENTS[route]

    def _apply(
        self,
        user_id: str,
        rows: list[dict[str, str]],
        profile: tuple[str, str],
        requested: str,
    ) -> str:
        """Show ``rows``; returns the URL to move to when ``requested`` is not usable."""
        email, display_name = profile
        self._set_user(user_id, email or self.user_email, display_name)
        self._loaded_for = user_id
        self._put("workspaces", rows)
        self._put("ready", True)
        if not rows:
            self._set_active(None)
            self._put("notice", "")
            return ""
        chosen = next((row for row in rows if row["id"] == requested), None)
        if chosen is not None:
            self._set_active(chosen)
            keep_notice = self._notice_for == requested
            self._notice_for = ""
            if not keep_notice:
                self._put("notice", "")
            return ""
        fallback = rows[0]
        self._set_active(fallback)
        if requested:
            self._put("notice", MSG_NO_ACCESS.format(name=fallback["name"]))
            self._notice_for = fallback["id"]
        else:
            self._put("notice", "")
            self._notice_for = ""
        return workspace_url(fallback["id"])

    @rx.event
    def switch_workspace(self, client_id: str) -> Any:
        """The workspace switcher: move the URL to ``?clientId=``; the load follows.

        The switch takes a new request number: a load still in flight for an earlier choice is
        dropped (it can no longer put its workspace back after this one was picked) and its
        loading flag is released here; the load that the navigation starts owns the next one.
        """
        row = next((r for r in self.workspaces if r["id"] == client_id), None)
        if row is None:
            return None
        in_url = self.router.url.query_parameters.get(CLIENT_PARAM, "")
        if client_id == self.active_id and client_id == in_url:
            return None
        self._request = next_request()
        self._put("loading", False)
        self._set_active(row)
        self._put("notice", "")
        self._notice_for = ""
        # Stay on the current page when it loads per workspace (inbox, analytics); else inbox.
        route = _route_key(self.router.url.path)
        return rx.redirect(
            workspace_url(client_id, route if route in _READY_EVENTS else HOME_ROUTE)
        )

    @rx.event
    def dismiss_notice(self) -> None:
        self._put("notice", "")
        self._notice_for = ""

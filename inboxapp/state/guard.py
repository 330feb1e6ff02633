"""The session guard: every Reflex event runs for the signed-in session that owns the state.

A Reflex client token only names a state; it is not a credential. This App middleware
(``preprocess`` runs under the state lock before every event, user or chained, foreground or
background) enforces three rules:

1. **The state belongs to one session.** ``AuthState._session_id`` is the session (refresh-token
   family) whose user the private state serves. When a socket connects (the boot event
   ``hydrate_and_load`` carries the browser's stored tokens) and presents no tokens of that
   session, the whole state tree is reset *before* the snapshot is sent: a socket with a
   stolen client token gets a fresh, signed-out state and nothing of the previous owner's.
2. **Events come from the socket the state is bound to.** The boot event binds the state to
   its socket id; a browser event from any other socket is dropped (an older socket of the
   same tab) or resets the state (a socket that never proved the session).
3. **The session is still live.** :func:`inboxapp.auth.sessions.check` (memory, current within
   a second): a signed-out, revoked or disabled session resets the state, sets the "You were
   signed out" notice and sends the tab to the sign-in page.

A change of the user's memberships heard since the workspaces were loaded queues a reload of
the workspace list (a removed member leaves the workspace, a new role shows).

Chained events (``yield`` from our own handlers) carry the producing event's socket and skip
rule 2; rules 1 and 3 still apply to them.

4. **Updates go only to the socket the state is bound to** (:func:`install`): a background
   task still running for a closed tab must not hand its next update to whoever connects with
   that tab's client token. Until a new socket proves the session (its boot event), nothing
   is sent to it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.constants.state import FIELD_MARKER
from reflex_base.event import Event
from reflex_base.event.context import EventContext

from inboxapp.auth import service as auth_service
from inboxapp.auth import sessions
from inboxapp.auth.tokens import AuthError
from inboxapp.logs import get_logger, session_key
from inboxapp.state import event_gate
from inboxapp.state.auth import LOGIN_ROUTE, MSG_SIGNED_OUT, AuthState
from inboxapp.state.workspace import WorkspaceState

if TYPE_CHECKING:
    from reflex.app import App

log = get_logger("inboxapp.ui.guard")

BOOT_EVENT = "hydrate_and_load"
MAX_OLD_SOCKETS = 8
MAX_BINDINGS = 50_000

_bound: dict[str, str] = {}
"""client token -> the socket (sid) its state is bound to, in this process (oldest first)."""


def bind(token: str, sid: str) -> None:
    """Let updates for ``token`` go to ``sid`` (and to no other socket)."""
    _bound.pop(token, None)
    _bound[token] = sid
    while len(_bound) > MAX_BINDINGS:
        del _bound[next(iter(_bound))]


def may_receive(token: str, sid: str | None) -> bool:
    """Whether an update for ``token`` may go to socket ``sid``."""
    bound = _bound.get(token)
    return bound is None or bound == sid


def _vars_of(payload: Any) -> dict[str, Any]:
    """The browser storage values a boot event presents, keyed ``(state, var)``."""
    raw = payload.get("vars") if isinstance(payload, dict) else None
    return raw if isinstance(raw, dict) else {}


def presented_tokens(payload: Any) -> tuple[str, str]:
    """``(access_token, refresh_token)`` as the browser stored them ("" when absent)."""
    want = AuthState.get_full_name()
    found = {"access_token": "", "refresh_token": ""}
    for key, value in _vars_of(payload).items():
        if not isinstance(key, str) or not isinstance(value, str):
            continue
        state_name, _, var_name = key.rpartition(".")
        var_name = var_name.removesuffix(FIELD_MARKER)
        if state_name == want and var_name in found:
            found[var_name] = value
    return found["access_token"], found["refresh_token"]


def session_of(access_token: str, refresh_token: str) -> str:
    """The session the stored tokens belong to ("" when they prove none). Blocking."""
    if access_token:
        try:
            claims = auth_service.verify_access_token(access_token, verify_exp=False)
        except AuthError:
            claims = None
        if claims is not None and claims.session_id:
            return claims.session_id
    if refresh_token:
        return auth_service.session_of_refresh_token(refresh_token) or ""
    return ""


def _state_classes(cls: type[BaseState]) -> list[type[BaseState]]:
    out: list[type[BaseState]] = []
    pending = list(cls.get_substates())
    while pending:
        sub = pending.pop()
        out.append(sub)
        pending.extend(sub.get_substates())
    return out


async def reset_tree(root: BaseState) -> None:
    """Every var of every state of this client back to its default (private ones too).

    A state manager that loads substates lazily (Redis) is made to load all of them first,
    so nothing of the previous owner survives in an unloaded branch.
    """
    for cls in _state_classes(type(root)):
        await root.get_state(cls)
    hydrated = getattr(root, "is_hydrated", False)  # the page stays rendered; the data goes
    root.reset()
    if hydrated:
        root.is_hydrated = True


async def _update(root: BaseState, events: list[Any]) -> StateUpdate:
    try:
        delta = await root._get_resolved_delta()
    finally:
        root._clean()
    return StateUpdate(delta=delta, events=Event.from_event_type(events) if events else [])


class SessionGuardMiddleware(Middleware):
    """Binds the state to its session and socket and checks the session on every event."""

    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        root = state._get_root_state()
        auth = await root.get_state(AuthState)
        ctx = EventContext.get()
        sid = str(ctx.router_data.get("sid") or "")
        boot = event.name.rsplit(".", 1)[-1] == BOOT_EVENT
        if boot:
            access, refresh = presented_tokens(event.payload)
            presented = await asyncio.to_thread(session_of, access, refresh)
            if auth._session_id and presented != auth._session_id:
                log.warning("ui.state_reset", reason="other_session", tab=session_key(ctx.token))
                await reset_tree(root)
            self._bind(auth, sid)
            bind(ctx.token, sid)
        elif ctx.parent_txid is None and sid and sid != auth._sid and _holds_private(auth):
            if sid in auth._old_sids:
                return StateUpdate()  # a previous socket of this tab: nothing to do there
            log.warning("ui.state_reset", reason="unbound_socket", tab=session_key(ctx.token))
            await reset_tree(root)
            return await _update(root, [])
        event_gate.note_user(ctx.token, auth._user_id)
        if not auth._user_id:
            return None
        if not boot and auth._memberships_seen >= 0:
            heard = sessions.registry().membership_version(auth._user_id)
            if heard != auth._memberships_seen:  # a role granted, changed or taken away
                auth._memberships_seen = -1
                reload: list[Any] = [WorkspaceState.load]
                await ctx.enqueue(*Event.from_event_type(reload))
        try:
            await require_live(auth._user_id, auth._session_id)
        except AuthError as exc:
            if exc.status == 503:
                return None  # the database does not answer: the handler reports it
            log.info("ui.signed_out", reason=exc.code, tab=session_key(ctx.token))
            await reset_tree(root)
            auth.session_notice = MSG_SIGNED_OUT
            if boot:
                return None  # the hydrate sends the fresh state; its on_load redirects
            return await _update(root, [rx.redirect(LOGIN_ROUTE, replace=True)])
        return None

    @staticmethod
    def _bind(auth: AuthState, sid: str) -> None:
        if not sid or sid == auth._sid:
            return
        if auth._sid:
            auth._old_sids = [auth._sid, *auth._old_sids][:MAX_OLD_SOCKETS]
        auth._sid = sid


async def require_live(user_id: str, session_id: str) -> None:
    """Raise ``AuthError`` unless the session is live: from memory when this process knows it,
    else one lookup in a worker thread."""
    known = auth_service.peek_live_session(user_id, session_id)
    if known is None:
        await asyncio.to_thread(auth_service.require_live_session, user_id, session_id)
    elif not known:
        raise AuthError("INVALID_TOKEN", "Your session has ended; sign in again")


def _holds_private(auth: AuthState) -> bool:
    return bool(auth._user_id or auth._session_id or auth.access_token or auth.refresh_token)


def install(app: rx.App) -> None:
    """Add the guard to ``app``: the middleware, the event gate (flood control and event
    validation, :mod:`inboxapp.state.event_gate`) and the delivery check on every update."""
    app.add_middleware(SessionGuardMiddleware())
    namespace = app.event_namespace
    if namespace is None:
        return
    event_gate.install(namespace)
    deliver = namespace.emit_update
    dropped: set[str] = set()

    async def emit_update(update: StateUpdate, token: str) -> None:
        record = namespace._token_manager.token_to_socket.get(token)
        if record is not None and not may_receive(token, record.sid):
            key = session_key(token)
            if key not in dropped and len(dropped) < MAX_BINDINGS:
                dropped.add(key)
                log.warning("ui.update_withheld", reason="unbound_socket", tab=key)
            return
        await deliver(update, token)

    namespace.emit_update = emit_update  # type: ignore[method-assign]

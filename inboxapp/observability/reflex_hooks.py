"""Reflex event hooks: log context for every event, and the loop detector (debug gate only).

The hook is Reflex's supported App middleware (``app.add_middleware``): in Reflex 0.10.1 the
event processor (``BaseStateEventProcessor._execute_event``) awaits every middleware's
``preprocess(app, state, event)`` for every event it runs (user events, chained ``yield``
events, ``on_load``, background handlers before they leave the lock), with the session's
``EventContext`` (client token, txid, router data) set. ``postprocess`` is no longer called in
0.10.1, so nothing here relies on it. A middleware returning ``None`` lets the event run
unchanged.

* :class:`EventLogContextMiddleware` (always installed; a few dict operations per event): binds
  ``requestId`` (the event's transaction id), ``route`` (the page path), ``clientId`` (the
  ``?clientId=`` of the page) and ``handler`` (``State.handler``) into the structlog context, so
  every log line an event handler writes, and the background work it starts (realtime
  subscriptions, ``asyncio.to_thread`` reads), carries them.
* :class:`LoopDetectorMiddleware` (only when ``DebugSettings.loops`` is on; nothing is
  installed otherwise): feeds :class:`~inboxapp.observability.loops.LoopDetector` with
  (session, handler) and, once per loop episode, logs ``reflex.loop_detected`` (handler,
  clientId, counts, a hash of the session token; no PII) and pushes a ``console.warn`` to that
  browser tab.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

import structlog
from reflex.middleware import Middleware

from inboxapp.config import DebugSettings
from inboxapp.logs import get_logger, session_key
from inboxapp.observability.loops import LoopDetector, LoopWarning, enabled

if TYPE_CHECKING:
    from reflex.app import App
    from reflex.state import BaseState, StateUpdate
    from reflex_base.event import Event
    from reflex_base.event.context import EventContext

log = get_logger("inboxapp.reflex")

LOOP_EVENT = "reflex.loop_detected"
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_CONTEXT_KEYS = ("requestId", "route", "clientId", "handler")


def event_context() -> EventContext | None:
    from reflex_base.event.context import EventContext

    try:
        return EventContext.get()
    except LookupError:
        return None


def handler_name(event_name: str) -> str:
    """``WorkspaceState.load`` for a registered handler, else the last two name parts."""
    try:
        from reflex_base.registry import RegistrationContext

        registered = RegistrationContext.get().event_handlers.get(event_name)
        if registered is not None:
            qualname = str(registered.handler.fn.__qualname__)
            return ".".join(qualname.split(".")[-2:])  # drop "<locals>" of nested classes
    except (LookupError, AttributeError):
        pass
    parts = event_name.rsplit(".", 2)
    return ".".join(parts[-2:])


def _router_data(ctx: EventContext | None, event: Event) -> dict[str, Any]:
    data = getattr(event, "router_data", None) or (ctx.router_data if ctx is not None else None)
    return data if isinstance(data, dict) else {}


def page_client_id(state: BaseState | None, router_data: dict[str, Any]) -> str | None:
    """The workspace of the page (``?clientId=``), else a loaded state's ``active_id``."""
    query = router_data.get("query")
    value = query.get("clientId") if isinstance(query, dict) else None
    if not value and state is not None:
        try:
            value = state.router.url.query_parameters.get("clientId")
        except Exception:
            value = None
    if not value and state is not None:
        value = _loaded_active_id(state)
    return value.lower() if isinstance(value, str) and _UUID.fullmatch(value) else None


def _loaded_active_id(state: BaseState) -> str | None:
    """``active_id`` of an already loaded substate (never loads one)."""
    pending: list[Any] = [state]
    seen = 0
    while pending and seen < 64:
        current = pending.pop()
        seen += 1
        value = current.__dict__.get("active_id")
        if isinstance(value, str) and value:
            return value
        substates = getattr(current, "substates", None)
        if isinstance(substates, dict):
            pending.extend(substates.values())
    return None


class EventLogContextMiddleware(Middleware):
    """Binds requestId/route/clientId/event into the log context of every Reflex event."""

    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        try:
            ctx = event_context()
            router = _router_data(ctx, event)
            pathname = router.get("pathname")
            values = {
                "requestId": (ctx.txid if ctx is not None and ctx.txid else uuid.uuid4().hex),
                "route": pathname if isinstance(pathname, str) else None,
                "clientId": page_client_id(state, router),
                "handler": handler_name(event.name),
            }
            structlog.contextvars.unbind_contextvars(*_CONTEXT_KEYS)
            structlog.contextvars.bind_contextvars(
                **{k: v for k, v in values.items() if v is not None}
            )
        except Exception as exc:  # never break an event for a log field
            log.debug("reflex.log_context_failed", error=type(exc).__name__)
        return None


def console_script(warning: LoopWarning, client_id: str | None) -> str:
    message = (
        f"[inboxapp] event loop detected: {warning.handler} fired {warning.count} times in "
        f"{warning.window_s:g} s (threshold {warning.threshold})"
        + (f" in workspace {client_id}" if client_id else "")
        + ". See the server log line reflex.loop_detected."
    )
    return f"console.warn({json.dumps(message)})"


class LoopDetectorMiddleware(Middleware):
    """Counts events per (session, handler); reports a loop once per episode."""

    def __init__(self, detector: LoopDetector | None = None) -> None:
        self.detector = detector or LoopDetector.from_settings()

    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        ctx = event_context()
        if ctx is None or not ctx.token:
            return None
        warning = self.detector.record(ctx.token, handler_name(event.name), time.monotonic())
        if warning is not None:
            try:
                await self.report(ctx, state, event, warning)
            except Exception as exc:  # the report must never break the event
                log.debug("reflex.loop_report_failed", error=type(exc).__name__)
        return None

    async def report(
        self, ctx: EventContext, state: BaseState, event: Event, warning: LoopWarning
    ) -> None:
        client_id = page_client_id(state, _router_data(ctx, event))
        log.warning(
            LOOP_EVENT,
            handler=warning.handler,
            clientId=client_id,
            count=warning.count,
            total=warning.total,
            windowS=warning.window_s,
            threshold=warning.threshold,
            ratePerS=warning.rate_per_s,
            session=session_key(warning.session),
        )
        import reflex as rx
        from reflex_base.event import Event as ReflexEvent

        events = ReflexEvent.from_event_type(rx.call_script(console_script(warning, client_id)))
        await ctx.emit_event(*events)


def install(app: App, settings: DebugSettings | None = None) -> LoopDetectorMiddleware | None:
    """Add the event hooks to ``app``; the loop detector only behind ``DebugSettings.loops``
    (of ``settings``, or this process's).

    Returns the loop middleware (tests read its detector), or None when the gate is off.
    """
    app.add_middleware(EventLogContextMiddleware())
    if not enabled(settings):
        return None
    middleware = LoopDetectorMiddleware(LoopDetector.from_settings(settings))
    app.add_middleware(middleware)
    log.info(
        "reflex.loop_detector_installed",
        threshold=middleware.detector.threshold,
        windowS=middleware.detector.window_s,
    )
    return middleware

"""The event gate: every browser event is checked before Reflex queues it.

Reflex hands each ``event`` packet of a socket to ``EventNamespace.on_event``, which parses it
and queues it for the event processor. :func:`install` wraps that method, so an event that
fails a check here never reaches the queue, the state lock or a handler:

* **Malformed** (not an object, no string ``name``, a payload that is not an object): dropped.
* **Unknown** (no registered handler of that name) or **mistyped** (an argument the handler
  does not take, a required one missing, a value that is not of the argument's plain type):
  dropped. Reflex would otherwise log the whole value and a traceback for each; here one line
  per tab and reason carries the event name only (truncated, control characters removed).
* **Over budget**: a token bucket per tab (``FloodSettings.tab_burst``/``tab_rate``) and one per
  signed-in user across that user's tabs in this process (``user_burst``/``user_rate``). An
  event beyond either is dropped, ``inboxapp_events_dropped_total{reason}`` rises and one line
  per throttle episode is logged. One tab flooding therefore costs the server a dict lookup
  per packet, not a handler run: other users keep their latency.

Background loads that do get through are further coalesced per tab and bounded per user by
:mod:`inboxapp.observability.load_slots`. The user of a tab is learnt from the session guard
(:func:`note_user`), which knows which session a state serves.
"""

from __future__ import annotations

import functools
import inspect
import re
import time
import types
import typing
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reflex_base.registry import RegistrationContext

from inboxapp.config import flood_settings
from inboxapp.logs import get_logger, session_key
from inboxapp.observability.metrics import EVENTS_DROPPED

if TYPE_CHECKING:
    from reflex.app import EventNamespace

log = get_logger("inboxapp.ui.gate")

MAX_TABS = 50_000
"""Tabs (and users) whose buckets and reports are remembered (oldest forgotten first)."""
NAME_CHARS = 120
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")
_PLAIN: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int, str),  # Reflex turns a numeric string into the int
    float: (int, float, str),
    bool: (bool,),
    dict: (dict,),
    list: (list,),
}


@dataclass(slots=True)
class Bucket:
    """A token bucket: ``burst`` events at once, refilled at ``rate`` per second."""

    burst: float
    rate: float
    tokens: float
    stamp: float

    @classmethod
    def full(cls, burst: float, rate: float, now: float) -> Bucket:
        return cls(burst, rate, burst, now)

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class _Lru(OrderedDict[str, Any]):
    def remember(self, key: str, value: Any) -> Any:
        self[key] = value
        self.move_to_end(key)
        while len(self) > MAX_TABS:
            self.popitem(last=False)
        return value


_tab_buckets = _Lru()
_user_buckets = _Lru()
_tab_users = _Lru()
_reported = _Lru()
"""tab key -> reasons already logged for it (a throttle episode ends when it is let through)."""


def note_user(token: str, user_id: str) -> None:
    """Tell the gate which user the tab ``token`` serves ("" when signed out)."""
    if _tab_users.get(token) != user_id:
        _tab_users.remember(token, user_id)


def printable_name(name: object) -> str:
    """An event name fit for a log line: printable ASCII, at most ``NAME_CHARS`` characters."""
    text = name if isinstance(name, str) else type(name).__name__
    return _UNPRINTABLE.sub("?", text[:NAME_CHARS])


def _accepts(hint: Any, value: Any) -> bool:
    """Whether ``value`` fits ``hint`` (plain types and ``X | None``; anything else passes)."""
    if hint is Any or hint is inspect.Parameter.empty:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(arg, value) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    base = origin or hint
    allowed = _PLAIN.get(base)
    if allowed is None:
        return True  # a model or dataclass: Reflex validates it
    if isinstance(value, bool) and bool not in allowed:
        return False
    if base in (int, float) and isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
    return isinstance(value, allowed)


@functools.lru_cache(maxsize=4096)
def _signature(name: str) -> tuple[dict[str, inspect.Parameter], dict[str, Any]] | None:
    """(arguments by name, type hints) of the handler ``name``; None when it takes any."""
    fn = RegistrationContext.get().event_handlers[name].handler.fn
    try:
        params = list(inspect.signature(fn).parameters.values())[1:]  # drop ``self``
        hints = typing.get_type_hints(fn)
    except Exception:
        return None  # not introspectable: leave it to Reflex
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {p.name: p for p in params if p.kind is not p.VAR_POSITIONAL}, hints


def payload_problem(name: str, payload: Any) -> str | None:
    """``"unknown"``, ``"mistyped"`` or None when ``name(**payload)`` is a valid call."""
    if name not in RegistrationContext.get().event_handlers:
        return "unknown"
    if not isinstance(payload, dict):
        return "mistyped"
    shape = _signature(name)
    if shape is None:
        return None
    by_name, hints = shape
    for key, value in payload.items():
        if key not in by_name or not _accepts(hints.get(key, Any), value):
            return "mistyped"
    missing = [p for p in by_name.values() if p.default is p.empty and p.name not in payload]
    return "mistyped" if missing else None


def _report(token: str, reason: str, **fields: Any) -> bool:
    """Log ``reason`` for this tab once (until :func:`_recovered`); True when logged now."""
    key = session_key(token)
    seen: set[str] | None = _reported.get(key)
    if seen is None:
        seen = _reported.remember(key, set())
    if reason in seen:
        return False
    seen.add(reason)
    log.warning("ui.event_dropped", reason=reason, tab=key, **fields)
    return True


def _recovered(token: str) -> None:
    seen = _reported.get(session_key(token))
    if seen:
        seen.discard("throttled")


def within_budget(token: str, now: float | None = None) -> bool:
    """Take one event from the tab's bucket and its user's; False when either is empty."""
    settings = flood_settings()
    now = time.monotonic() if now is None else now
    tab = _tab_buckets.get(token) or _tab_buckets.remember(
        token, Bucket.full(settings.tab_burst, settings.tab_rate, now)
    )
    if not tab.take(now):
        return False
    user = _tab_users.get(token)
    if not user:
        return True
    bucket = _user_buckets.get(user) or _user_buckets.remember(
        user, Bucket.full(settings.user_burst, settings.user_rate, now)
    )
    return bool(bucket.take(now))


def admit(token: str, data: Any) -> str | None:
    """None when the event ``data`` of tab ``token`` may be queued, else why it is dropped."""
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        reason, name = "malformed", None
    elif not within_budget(token):
        reason, name = "throttled", data["name"]
    else:
        name = data["name"]
        problem = payload_problem(name, data.get("payload", {}))
        if problem is None:
            _recovered(token)
            return None
        reason = problem
    EVENTS_DROPPED.labels(reason=reason).inc()
    fields = {"eventName": printable_name(name)} if name is not None else {}
    _report(token, reason, **fields)
    return reason


def install(namespace: EventNamespace) -> None:
    """Check every event the namespace receives before Reflex parses and queues it."""
    receive = namespace.on_event

    async def on_event(sid: str, data: Any) -> None:
        token = namespace.sid_to_token.get(sid)
        if token is None:
            EVENTS_DROPPED.labels(reason="no_tab").inc()
            return
        if admit(token, data) is None:
            await receive(sid, data)

    namespace.on_event = on_event  # type: ignore[method-assign]

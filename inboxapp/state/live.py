"""Live inbox updates: the framework-free parts of ``InboxState.live_updates``
(:mod:`inboxapp.state.inbox_live`).

One background task per browser tab listens to the realtime subscription of the tab's active
workspace (:func:`inboxapp.realtime.subscribe`) and, on a signal, re-reads through the read path
and updates the tab with ONE ``async with self``. This module holds what that task needs besides
the state itself:

* **Who owns a tab** (:func:`claim`, :func:`owns`, :func:`release`): the process-local half of the
  single-listener guard. ``on_load`` re-runs on every websocket reconnect and every workspace
  switch, so a tab may start several listeners; the newest claims the tab, and the older ones
  leave (see ``InboxState.live_updates`` for the other layers of the guard).
* **Shared re-reads** (:func:`shared_future`, :func:`shared_now`): the fresh counts / first page
  are fetched once per (workspace, scope, list parameters, hub version) in this process with
  :meth:`~inboxapp.realtime.hub.Hub.fetch_once` and fanned out, never once per session. The
  read runs as the first caller's user through the RLS read path; every user of one scope sees
  the same rows (``global``: owner/admin/manager/portal; a setter: their own leads).
* **Shared formatting** (:func:`formatted_rows`): list rows are formatted once per (read, time
  zone), not once per session.
* **Fan-out pacing** (:func:`apply_slot`): at most ``LiveSettings.apply_concurrency`` sessions
  of this process apply an update at the same moment (FIFO); the early ones finish early instead
  of all finishing last.
* **Session refresh** (:func:`rotate_once`): one refresh-token rotation per refresh token in this
  process; tabs of one browser share the session, and two concurrent rotations of the same
  refresh token would trip the auth service's reuse detection and sign the user out.
* Timing: debounce, heartbeat, tab checks and the reconnect backoff.
* Counters (:data:`STATS`) and, for benchmarks only, ``ToolSettings.live_stats_file=<path>``:
  each process writes its counters and its hub's stats to ``<path>.<pid>`` every second (JSON).

The timings are :class:`inboxapp.config.LiveSettings`. Debounce: a signal after a quiet period
(no refresh in the last ``debounce_s``) refreshes at once (leading edge); signals that arrive
within ``debounce_s`` of the last refresh wait until it has passed and are drained into ONE
refresh (trailing edge). ``leading_edge`` off makes it a plain trailing debounce (every refresh
waits ``debounce_s`` after the first signal).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import gc
import hashlib
import json
import os
import random
import time
import uuid
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from inboxapp import runtime_tuning
from inboxapp.auth import service as auth_service
from inboxapp.auth.tokens import AuthError, TokenPair
from inboxapp.config import get_settings, live_settings, tool_settings
from inboxapp.logs import get_logger
from inboxapp.realtime.hub import Hub

log = get_logger("inboxapp.ui")

T = TypeVar("T")


BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 30.0
SHARED_TTL_S = 2.0
"""A shared read serves callers arriving up to this long after it finished."""
ROTATED_TTL_S = 60.0
"""A rotated pair is handed to other tabs presenting the same old refresh token this long."""
REFRESH_MARGIN_S = 60.0
"""A token of another tab is adopted only when it is valid at least this much longer."""

clock = time.monotonic
wall = time.time

STATUS_CONNECTING = "connecting"
STATUS_LIVE = "live"
STATUS_RECONNECTING = "reconnecting"
STATUS_OFFLINE = "offline"

# What a refresh re-reads.
READ_COUNTS = "counts"
READ_ALL = "all"


# ---------------------------------------------------------------------------------- timing


def backoff_delay(attempt: int) -> float:
    """Reconnect pause after ``attempt`` failures in a row: 1, 2, 4 ... 30 s, +-20 % jitter."""
    base = min(BACKOFF_MAX_S, BACKOFF_MIN_S * 2 ** max(0, attempt - 1))
    jittered = base * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)
    return min(BACKOFF_MAX_S, max(BACKOFF_MIN_S, jittered))


def heartbeat_delay() -> float:
    return live_settings().heartbeat_s * random.uniform(0.9, 1.1)  # noqa: S311 (jitter)


def debounce_wait(first_signal: float, last_refresh: float, now: float) -> float:
    """Seconds to wait before refreshing for a signal first seen at ``first_signal``."""
    s = live_settings()
    if s.leading_edge:
        return max(0.0, last_refresh + s.debounce_s - now)
    return max(0.0, first_signal + s.debounce_s - now)


# ---------------------------------------------------------------------------------- owners

_OWNERS: dict[str, str] = {}
"""Browser tab (client token) -> id of the live listener that owns it, in this process."""


def new_listener_id() -> str:
    return uuid.uuid4().hex


def claim(tab: str, listener: str) -> None:
    """``listener`` is now the tab's only listener (older ones leave at their next check)."""
    _OWNERS[tab] = listener
    STATS["started"] += 1
    runtime_tuning.note_growth()
    _ensure_stats_writer()


def owns(tab: str, listener: str) -> bool:
    return _OWNERS.get(tab) == listener


def release(tab: str, listener: str) -> None:
    if _OWNERS.get(tab) == listener:
        del _OWNERS[tab]


def listeners() -> int:
    """Live listeners running in this process (one per tab)."""
    return len(_OWNERS)


def tab_connected(tab: str) -> bool:
    """Whether the tab's websocket is connected to THIS process (True when it cannot be told).

    The subscription lives in this process's hub: a tab that reconnected to another worker
    (Redis state manager) gets a listener there, so this one must end.
    """
    try:
        from reflex_base.registry import RegistrationContext

        namespace = RegistrationContext.get().app.event_namespace
        if namespace is None:
            return True
        manager = namespace._token_manager
        record = manager.token_to_socket.get(tab)
        return record is not None and record.instance_id == manager.instance_id
    except Exception:  # private API moved, no app context: the other bounds still apply
        return True


# ---------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class View:
    """What one tab shows, captured under its state lock: the inputs of a shared re-read."""

    client_id: str
    user_id: str
    gen: int
    list_params: Mapping[str, Any]
    selected: str = ""
    tz: str = ""
    session_id: str = ""

    @functools.cached_property
    def list_key(self) -> str:
        """A stable hash of the first page's parameters (tab + filters)."""
        raw = json.dumps(dict(self.list_params), sort_keys=True, default=str)
        return hashlib.blake2s(raw.encode(), digest_size=12).hexdigest()


@dataclass
class Run:
    """One running listener (mutable; lives in the background task)."""

    listener: str
    tab: str
    view: View
    token: str
    reason: str = ""
    """Why the listener stops ("" while it runs)."""
    shown: str = ""
    """The status this listener last showed (live / reconnecting)."""
    shown_counts: Mapping[str, int] | None = None
    shown_rows: list[dict[str, str]] | None = None
    """The counts and first page this listener last applied: a refresh that reads the same
    skips the state lock (no delta; e.g. the counts recompute after an exact live count)."""
    refreshes: int = 0
    started: float = field(default_factory=time.monotonic)


@dataclass
class Signal:
    """Coalesced realtime events (or a heartbeat) waiting for one refresh."""

    first_at: float
    ops: set[str] = field(default_factory=set)
    lead_ids: set[str] = field(default_factory=set)
    version: int = 0
    heartbeat: bool = False

    @property
    def reads(self) -> str:
        """``counts`` after a counts recompute only; everything else re-reads list + counts."""
        if self.heartbeat or self.ops - {"COUNTS"}:
            return READ_ALL
        return READ_COUNTS

    @property
    def resync(self) -> bool:
        return self.heartbeat or "RESYNC" in self.ops

    def add(self, op: str, lead_ids: Any, version: int) -> None:
        self.ops.add(op)
        self.lead_ids.update(str(i) for i in lead_ids)
        self.version = max(self.version, version)


# ---------------------------------------------------------------------------------- reads


def shared_future(
    hub: Hub, key: Hashable, compute: Callable[[], T], *, shared: bool = True
) -> asyncio.Future[T]:
    """``compute()`` once per ``key`` in this process (see :meth:`Hub.fetch_once`); await
    the result through ``asyncio.shield``. ``shared=False``: a read of this caller's own."""
    if not shared:
        return asyncio.ensure_future(asyncio.to_thread(compute))
    return hub.shared_future(key, compute, ttl=SHARED_TTL_S)


def shared_now(hub: Hub, key: Hashable) -> tuple[bool, Any]:
    """A shared read that already finished (no await): ``(True, value)`` or ``(False, None)``."""
    return hub.shared_result(key, ttl=SHARED_TTL_S)


def sharing_enabled() -> bool:
    """Hosted Supabase subscriptions have per-subscription versions: nothing to share by."""
    return not get_settings().supabase_url


_FORMATTED: dict[tuple[Hashable, str], tuple[float, Any, list[dict[str, str]]]] = {}


def formatted_rows(
    key: Hashable,
    tz: str,
    page: Mapping[str, Any],
    fmt: Callable[[list[dict[str, Any]], datetime, str], list[dict[str, str]]],
) -> list[dict[str, str]]:
    """``fmt(items, now, tz)`` once per (shared read, time zone); callers must not mutate it."""
    now = time.monotonic()
    cache_key = (key, tz)
    hit = _FORMATTED.get(cache_key)
    if hit is not None and hit[1] is page and now - hit[0] < SHARED_TTL_S * 2:
        return hit[2]
    if len(_FORMATTED) > 512:
        for k in [k for k, v in _FORMATTED.items() if now - v[0] >= SHARED_TTL_S * 2]:
            del _FORMATTED[k]
    rows = fmt(list(page.get("items") or []), datetime.now(UTC), tz)
    _FORMATTED[cache_key] = (now, page, rows)
    return rows


def merge_first_page(
    shown: list[dict[str, str]], first: list[dict[str, str]], page_size: int
) -> list[dict[str, str]]:
    """A fresh first page, followed by the further pages the tab had loaded ("Load more").

    Rows of the later pages that moved into the first page are dropped there; those pages are
    otherwise kept as they were until the tab's next full reload.
    """
    if len(shown) <= page_size:
        return list(first)
    ids = {row.get("id") for row in first}
    return [*first, *(row for row in shown[page_size:] if row.get("id") not in ids)]


# ---------------------------------------------------------------------------------- fan-out

_slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None


def apply_slot() -> asyncio.Semaphore:
    """The fan-out semaphore of the running event loop."""
    global _slots
    loop = asyncio.get_running_loop()
    if _slots is None or _slots[0] is not loop:
        _slots = (loop, asyncio.Semaphore(live_settings().apply_concurrency))
    return _slots[1]


# ---------------------------------------------------------------------------------- stats

STATS: collections.Counter[str] = collections.Counter()
"""This process's live-update counters: ``started`` listeners, ``refreshes`` applied,
``status`` updates, ``fallbacks`` (per-tab loads yielded), ``dropped`` (stale results)."""

_stats_task: asyncio.Task[None] | None = None


def stats_snapshot() -> dict[str, Any]:
    from inboxapp.realtime import subscription

    hub = subscription._hub
    return {
        "pid": os.getpid(),
        "at": time.time(),
        "listeners": listeners(),
        "live": dict(STATS),
        "hub": hub.stats.snapshot() if hub is not None else {},
        "subscribers": hub.subscriber_count() if hub is not None else 0,
    }


_gc_started = 0.0


def _profile_window(flag: str, profiler: Any) -> Any:
    """Benchmarks only: profile the event loop thread while the file ``flag`` exists; dump the
    stats to ``<flag>.<pid>.prof`` when it is removed."""
    import cProfile

    if profiler is None and os.path.exists(flag):
        profiler = cProfile.Profile()
        profiler.enable()
    elif profiler is not None and not os.path.exists(flag):
        profiler.disable()
        profiler.dump_stats(f"{flag}.{os.getpid()}.prof")
        profiler = None
    return profiler


def _gc_timer(phase: str, info: dict[str, Any]) -> None:
    """Benchmarks only: time spent in full (generation 2) garbage collections."""
    global _gc_started
    if info.get("generation") != 2:
        return
    if phase == "start":
        _gc_started = time.perf_counter()
    else:
        STATS["gc2_us"] += round((time.perf_counter() - _gc_started) * 1e6)
        STATS["gc2"] += 1


def _ensure_stats_writer() -> None:
    """Benchmarks only: ``ToolSettings.live_stats_file`` set -> write :func:`stats_snapshot`."""
    global _stats_task
    path = tool_settings().live_stats_file
    if not path or (_stats_task is not None and not _stats_task.done()):
        return
    target = f"{path}.{os.getpid()}"
    gc.callbacks.append(_gc_timer)

    async def write_forever() -> None:
        profile_flag = tool_settings().live_profile  # benchmarks: profile a window
        profiler: Any = None

        def write(snapshot: dict[str, Any]) -> None:
            with contextlib.suppress(OSError):
                tmp = f"{target}.tmp"
                with open(tmp, "w") as out:
                    json.dump(snapshot, out)
                os.replace(tmp, target)

        while True:
            await asyncio.to_thread(write, stats_snapshot())
            if profile_flag:
                profiler = _profile_window(profile_flag, profiler)
            await asyncio.sleep(0.25 if profile_flag else 1.0)

    _stats_task = asyncio.get_running_loop().create_task(write_forever())


# ---------------------------------------------------------------------------------- session

_ROTATIONS: dict[str, tuple[float, asyncio.Future[TokenPair]]] = {}


def _token_key(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


async def rotate_once(refresh_token: str) -> TokenPair:
    """Rotate ``refresh_token`` once in this process; concurrent and recent callers presenting
    the same token get the same new pair (instead of tripping reuse detection).

    Raises ``AuthError`` when the session is no longer valid.
    """
    if not refresh_token:
        raise AuthError("INVALID_REFRESH_TOKEN", "No session to refresh")
    key = _token_key(refresh_token)
    now = time.monotonic()
    for k in [k for k, (at, f) in _ROTATIONS.items() if f.done() and now - at > ROTATED_TTL_S]:
        del _ROTATIONS[k]
    entry = _ROTATIONS.get(key)
    if entry is None or (entry[1].done() and entry[1].exception() is not None):
        task = asyncio.get_running_loop().create_task(
            asyncio.to_thread(auth_service.refresh, refresh_token)
        )
        entry = _ROTATIONS[key] = (now, task)
    return await asyncio.shield(entry[1])


def token_expiry(access_token: str) -> float:
    """The expiry (epoch seconds) of a valid access token, 0.0 when it is not valid."""
    if not access_token:
        return 0.0
    try:
        return float(auth_service.verify_access_token(access_token).exp)
    except AuthError:
        return 0.0

"""What a UI session uses: ``async with subscribe(client_id, access_token) as sub``.

::

    async with subscribe(client_id, access_token, key=tab_token) as sub:
        while True:
            event = await sub.next_event(timeout=60 + jitter)   # None: heartbeat refetch
            ...

* :func:`subscribe` verifies the access token (signature, expiry) and that the user may open
  the workspace (raises ``AuthError`` / ``Forbidden``), then registers with the process hub
  (starting its one LISTEN connection lazily) or, with ``SUPABASE_URL`` set, joins a hosted
  Supabase Realtime channel with the user's token. Leaving the block unsubscribes.
* ``key`` (e.g. the browser tab's client token): a newer subscription with the same key
  supersedes the older one, whose ``next_event`` then raises :class:`SubscriptionClosed`. This
  keeps one listener per tab although Reflex re-runs ``on_load`` on every reconnect.
* :meth:`Subscription.next_event` returns a :class:`~.feed.RealtimeEvent` or ``None`` on
  timeout. Events coalesce while nobody reads (lead ids accumulate, the latest version wins).
* Token expiry: after ``exp`` the subscription delivers nothing; :meth:`refresh_token` with the
  session's next access token resumes it with a ``RESYNC`` event if anything was missed. Pass
  ``refresh=`` (an async callable returning a fresh access token) to have that done
  ``REFRESH_MARGIN_S`` before expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from inboxapp.auth.service import AuthError, authenticate, verify_access_token
from inboxapp.config import get_settings, libpq_url, realtime_settings
from inboxapp.domain.scope import Scope
from inboxapp.errors import BadRequest, Forbidden
from inboxapp.logs import get_logger

from . import visibility
from .feed import FeedEvent, Op, RealtimeEvent, parse_uuid
from .hub import Hub
from .pg_feed import PgChangeFeed

log = get_logger(__name__)

MAX_PENDING_LEADS = 500
"""A reader further behind than this gets one ``RESYNC`` instead of a long id list."""
REFRESH_MARGIN_S = 60.0
HEARTBEAT_S = 60.0
"""The process hub's leading edge: an isolated change goes out after this, not the window."""
COUNTS_PACE_S = 0.5
"""The process hub's ``COUNTS`` pacing for busy workspaces (see ``Hub.counts_pace``)."""

TokenRefresher = Callable[[], Awaitable[str]]
_OP_ORDER: tuple[Op, ...] = ("RESYNC", "INSERT", "UPDATE", "COUNTS")


class SubscriptionClosed(Exception):
    """The subscription ended (superseded by the same key, hub shut down, or left)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def heartbeat_timeout(base: float = HEARTBEAT_S, jitter: float = 0.1) -> float:
    """``base`` seconds +- ``jitter`` (fraction), so sessions do not refetch in lockstep."""
    return base * random.uniform(1 - jitter, 1 + jitter)  # noqa: S311 (not security)


class Subscription:
    """One session's subscription to one workspace (create with :func:`subscribe`)."""

    def __init__(
        self,
        client_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        role: str,
        expires_at: float,
        session_id: uuid.UUID | None = None,
        key: str | None = None,
        live: Callable[[], bool] = lambda: True,
    ) -> None:
        self.client_id = client_id
        self.user_id = user_id
        self.role = role
        """Effective role (checked at subscribe time, refreshed by the hub on every batch)."""
        self.expires_at = expires_at
        self.session_id = session_id
        self.key = key
        self.denied: str | None = None
        """Why the last batch withheld events (``not_member``, ``session_revoked``) or None."""
        self.received = 0
        self._live = live
        self._wakeup = asyncio.Event()
        self._version = 0
        self._ids: dict[uuid.UUID, None] = {}
        self._ops: set[Op] = set()
        self._missed = False
        self._closed: str | None = None
        self._feed: Any = None  # SupabaseLeadFeed in hosted mode (for set_auth)
        self._local_version = 0

    # -- state ------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed is not None

    @property
    def expired(self) -> bool:
        return self.expires_at <= time.time()

    @property
    def expires_in(self) -> float:
        return self.expires_at - time.time()

    @property
    def live(self) -> bool:
        """Connected to the change feed (drive a live/reconnecting indicator with it)."""
        return not self.closed and self._live()

    @property
    def scope(self) -> str:
        """``global``, or the setter's own user id (what the user's inbox is scoped to)."""
        return Scope.of(self.role, self.user_id).key

    @property
    def pending(self) -> bool:
        return bool(self._ops)

    # -- hub side ---------------------------------------------------------------------------

    def _post(self, version: int, lead_ids: tuple[uuid.UUID, ...], op: Op) -> None:
        if self.closed:
            return
        if self.expired:
            self._missed = True
            return
        self._version = max(self._version, version)
        if op == "RESYNC" or "RESYNC" in self._ops:
            self._ops = {"RESYNC"}
            self._ids.clear()
        else:
            self._ops.add(op)
            for lead_id in lead_ids:
                self._ids[lead_id] = None
            if len(self._ids) > MAX_PENDING_LEADS:
                self._ops = {"RESYNC"}
                self._ids.clear()
        self._wakeup.set()

    def _mark_missed(self) -> None:
        self._missed = True

    def _close(self, reason: str) -> None:
        if self._closed is None:
            self._closed = reason
        self._wakeup.set()

    def _on_feed_event(self, event: FeedEvent) -> None:
        """Sink of a per-subscription feed (hosted Supabase: the server already applied RLS)."""
        if event.client_id != self.client_id:
            return
        self._local_version += 1
        self._post(self._local_version, event.lead_ids, event.op)

    # -- reader side ------------------------------------------------------------------------

    def _take(self) -> RealtimeEvent:
        op = next(o for o in _OP_ORDER if o in self._ops)
        ids = tuple(self._ids) if op in ("INSERT", "UPDATE") else ()
        self._ops = set()
        self._ids = {}
        self.received += 1
        return RealtimeEvent(self.client_id, ids, op, self._version)

    async def next_event(self, timeout: float | None = None) -> RealtimeEvent | None:
        """The next (coalesced) event, or ``None`` after ``timeout`` seconds without one.

        Raises :class:`SubscriptionClosed` once the subscription is closed or superseded.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._closed is not None:
                raise SubscriptionClosed(self._closed)
            if self._ops:
                if not self.expired:
                    return self._take()
                self._ops, self._ids, self._missed = set(), {}, True
            self._wakeup.clear()
            if deadline is None:
                await self._wakeup.wait()
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                async with asyncio.timeout(remaining):  # no extra task, unlike wait_for
                    await self._wakeup.wait()
            except TimeoutError:
                return None

    def __aiter__(self) -> AsyncIterator[RealtimeEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[RealtimeEvent]:
        with contextlib.suppress(SubscriptionClosed):
            while True:
                event = await self.next_event()
                if event is not None:
                    yield event

    async def refresh_token(self, access_token: str) -> None:
        """Extend the subscription with the session's next access token (same user).

        Raises ``AuthError`` for an invalid or expired token, a session that ended, or another
        user's token.
        """
        claims = await asyncio.to_thread(authenticate, access_token)
        if claims.user_id != str(self.user_id):
            raise AuthError("INVALID_TOKEN", "Access token belongs to another user")
        if claims.exp <= time.time():
            raise AuthError("TOKEN_EXPIRED", "Access token expired")
        missed = self._missed or self.expired
        self.expires_at = float(claims.exp)
        session_id = parse_uuid(claims.session_id)
        if session_id is not None and self.session_id is not None:
            self.session_id = session_id
        if self._feed is not None:
            await self._feed.set_auth(access_token)
        if missed:
            self._missed = False
            self._post(self._version, (), "RESYNC")


# -- process hub ---------------------------------------------------------------------------

_hub: Hub | None = None


def process_hub() -> Hub:
    """This process's hub (created on first use, bound to the running event loop)."""
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.closed or (_hub.loop is not None and _hub.loop is not loop):
        conninfo = libpq_url(get_settings().runtime_url)
        tuning = realtime_settings()
        _hub = Hub(
            PgChangeFeed(conninfo),
            check_sessions=not get_settings().supabase_enabled,
            lead_delay=tuning.lead_delay_s,
            executor=_executor(),
            max_parallel=tuning.parallel,
            counts_pace=COUNTS_PACE_S,
        )
    return _hub


_threads: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    """The process hub's threads (``RealtimeSettings.threads``, default 16): its batch
    queries and the sessions' shared re-reads wait on the database, and the loop's default
    executor (6 threads on 2 cores) is shared with every other blocking call of the app.
    ``RealtimeSettings.parallel`` (default 8) bounds the workspaces decided at once."""
    global _threads
    if _threads is None:
        _threads = ThreadPoolExecutor(realtime_settings().threads, thread_name_prefix="realtime")
    return _threads


async def shutdown() -> None:
    """Close the process hub and its LISTEN connection (tests, app shutdown)."""
    global _hub
    hub, _hub = _hub, None
    if hub is not None:
        await hub.close()


# -- subscribe -----------------------------------------------------------------------------


async def _auto_refresh(sub: Subscription, refresh: TokenRefresher) -> None:
    while not sub.closed:
        await asyncio.sleep(max(1.0, sub.expires_in - REFRESH_MARGIN_S))
        if sub.closed or sub.expires_in > REFRESH_MARGIN_S:
            continue
        try:
            await sub.refresh_token(await refresh())
        except Exception as exc:
            log.info("realtime.token_refresh_failed", error=type(exc).__name__)
            await asyncio.sleep(15)


@asynccontextmanager
async def subscribe(
    client_id: uuid.UUID | str,
    access_token: str,
    *,
    key: str | None = None,
    refresh: TokenRefresher | None = None,
    hub: Hub | None = None,
) -> AsyncIterator[Subscription]:
    """Subscribe the token's user to one workspace's invalidation events.

    Raises ``AuthError`` (invalid/expired token, revoked session) or ``Forbidden``
    (``NOT_A_MEMBER``) before anything is registered.
    """
    cid = parse_uuid(client_id)
    if cid is None:
        raise BadRequest("INVALID_CLIENT_ID", "invalid workspace id")
    claims = verify_access_token(access_token)
    if claims.exp <= time.time():
        raise AuthError("TOKEN_EXPIRED", "Access token expired")
    user_id = uuid.UUID(claims.user_id)
    settings = get_settings()
    hosted = bool(settings.supabase_url)
    session_id = None if settings.supabase_enabled else parse_uuid(claims.session_id)
    sessions = [session_id] if session_id is not None else []
    access = await asyncio.to_thread(visibility.subscriber_access, cid, [user_id], sessions)
    role = access.roles.get(user_id)
    if role is None:
        raise Forbidden("NOT_A_MEMBER", "you are not a member of this workspace")
    if session_id is not None and session_id not in access.live_sessions:
        raise AuthError("INVALID_TOKEN", "Session was signed out")

    sub = Subscription(
        cid, user_id, role=role, expires_at=float(claims.exp), session_id=session_id, key=key
    )
    refresher = asyncio.create_task(_auto_refresh(sub, refresh)) if refresh else None
    try:
        if hosted:
            async with _hosted(sub, access_token):
                yield sub
        else:
            the_hub = hub or process_hub()
            sub._live = lambda: the_hub.feed_connected
            await the_hub.register(sub)
            try:
                yield sub
            finally:
                await the_hub.unregister(sub)
    finally:
        sub._close("unsubscribed")
        if refresher is not None:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher


@asynccontextmanager
async def _hosted(sub: Subscription, access_token: str) -> AsyncIterator[None]:
    """Hosted Supabase Realtime: one channel per subscription, authorized by the user's token."""
    from .supabase_feed import SupabaseLeadFeed

    settings = get_settings()
    assert settings.supabase_url
    feed = SupabaseLeadFeed(settings.supabase_url, settings.supabase_anon_key, access_token)
    sub._feed = feed
    sub._live = lambda: feed.connected
    try:
        await feed.start(sub._on_feed_event)
        await feed.watch(sub.client_id)
        yield
    finally:
        await feed.close()

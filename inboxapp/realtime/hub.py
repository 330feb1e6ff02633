"""The per-process realtime hub: version-based, batched, RLS-checked fan-out of invalidations.

Flow for one workspace::

    feed event ─▶ pending batch (coalesces for ``batch_window`` s, per workspace, not per session;
                  optionally the first change after a quiet window waits only ``lead_delay`` s)
               ─▶ version += 1
               ─▶ 1 access query (roles + live sessions of this workspace's subscribers)
               ─▶ 1 RLS visibility query per distinct scope (``global`` or one setter)
               ─▶ each subscriber gets {clientId, leadIds visible/relevant to it, op, version}

* Version-based, not a queue: a subscriber accumulates lead ids and remembers the latest version
  until it reads them, so a busy session never loses a signal and never builds a backlog.
* Queries per batch are bounded by ``1 + distinct scopes``, never by the number of subscribers.
* A setter is also told about leads that left their scope (a change with ``oldAssignee`` = them
  and another ``newAssignee``) although RLS no longer shows those leads: their counts drop.
* Subscribers whose access token expired receive nothing (and get ``RESYNC`` after
  :meth:`Subscription.refresh_token`); users who lost access to the workspace, disabled users and
  revoked sessions (refresh-token family revoked: logout, reuse detection) receive nothing from
  the next batch on.
* Workspaces without a subscriber in this process are ignored at once (no batch, no query).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import time
import uuid
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TypeVar

from inboxapp.domain.scope import GLOBAL_KEY, Scope
from inboxapp.logs import get_logger
from inboxapp.observability.metrics import observe_realtime_delivery

from . import visibility
from .feed import ChangeFeed, FeedEvent, Op

log = get_logger(__name__)

T = TypeVar("T")
GLOBAL = GLOBAL_KEY
MANY_SUBSCRIBERS = 20
"""From this many subscribers of one workspace in a process, live updates count exactly (see
``inboxapp.state.live``) and ``COUNTS`` events are paced (:attr:`Hub.counts_pace`)."""
MAX_BATCH_LEADS = 2000
"""More changed leads than this in one batch (an import): tell everyone to RESYNC instead."""


class Subscriber(Protocol):
    """What the hub needs from a subscription (see :class:`~.subscription.Subscription`)."""

    client_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID | None
    key: str | None
    expires_at: float
    denied: str | None
    role: str

    @property
    def closed(self) -> bool: ...

    def _post(self, version: int, lead_ids: tuple[uuid.UUID, ...], op: Op) -> None: ...

    def _mark_missed(self) -> None: ...

    def _close(self, reason: str) -> None: ...


@dataclass
class HubStats:
    feed_events: int = 0
    batches: int = 0
    access_queries: int = 0
    visibility_queries: int = 0
    deliveries: int = 0
    failed_batches: int = 0
    shared_computes: int = 0
    shared_hits: int = 0
    shared_compute_us: int = 0
    """Time the shared reads spent computing in their threads (summed)."""
    shared_total_us: int = 0
    """Time from starting a shared read to its result on the event loop (summed)."""

    @property
    def db_queries(self) -> int:
        return self.access_queries + self.visibility_queries

    def snapshot(self) -> dict[str, int]:
        return {**asdict(self), "db_queries": self.db_queries}


@dataclass
class _LeadAcc:
    inserted: bool = False
    gone: bool = False
    new_assignees: set[uuid.UUID | None] = field(default_factory=set)
    left: set[uuid.UUID] = field(default_factory=set)
    """Users the lead was assigned to before a change that assigned it elsewhere."""


@dataclass
class _Batch:
    started: float
    due: float
    """When the batch is flushed (``started`` + the window, or sooner on a leading edge)."""
    leads: dict[uuid.UUID, _LeadAcc] = field(default_factory=dict)
    resync: bool = False
    counts: bool = False


Decision = tuple[tuple[uuid.UUID, ...], Op] | None


@dataclass
class _Decided:
    per_subscriber: list[Decision]
    denied: list[str | None]
    roles: list[str | None] = field(default_factory=list)
    access_queries: int = 0
    visibility_queries: int = 0


def _scope(role: str, user_id: uuid.UUID) -> str:
    return Scope.of(role, user_id).key


class Hub:
    """One per process (see :func:`inboxapp.realtime.subscription.process_hub`)."""

    def __init__(
        self,
        feed: ChangeFeed,
        *,
        batch_window: float = 0.1,
        check_sessions: bool = True,
        max_parallel: int = 4,
        retry_delay: float = 1.0,
        lead_delay: float | None = None,
        executor: Executor | None = None,
        counts_pace: float = 0.0,
    ) -> None:
        self.feed = feed
        self.executor = executor
        """Threads for the blocking batch decisions and shared reads (None: the loop's default
        executor, which has only ``min(32, cpus + 4)`` threads for the whole app)."""
        self.batch_window = batch_window
        self.lead_delay = None if lead_delay is None else min(lead_delay, batch_window)
        """Leading edge (off when None): a batch that starts more than ``batch_window`` after
        the workspace's previous one is flushed after ``lead_delay`` s (the notifications of one
        transaction arrive together), saving the window's latency on isolated changes; changes
        arriving meanwhile coalesce into the next batch as usual."""
        self.counts_pace = counts_pace
        """A ``COUNTS`` event (a materialized recompute landed) of a workspace with at least
        ``MANY_SUBSCRIBERS`` subscribers here waits this long (0: no pacing), coalescing with
        later ones. Such tabs already show exact counts (live updates count exactly from
        that many tabs on), so the event mostly confirms them; waking hundreds of tabs for it
        while the change itself is still being fanned out only delays that fan-out."""
        self.check_sessions = check_sessions
        self.retry_delay = retry_delay
        self.stats = HubStats()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closed = False
        self._subs: dict[uuid.UUID, set[Subscriber]] = {}
        self._by_key: dict[str, Subscriber] = {}
        self._versions: dict[uuid.UUID, int] = {}
        self._pending: dict[uuid.UUID, _Batch] = {}
        self._last_batch: dict[uuid.UUID, float] = {}
        self._flushers: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._parallel = asyncio.Semaphore(max_parallel)
        self._start_lock = asyncio.Lock()
        self._started = False
        self._shared: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}
        self._paced: dict[uuid.UUID, asyncio.TimerHandle] = {}

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the feed once (lazily, on the first subscription)."""
        if self._started:
            return
        async with self._start_lock:
            if self._started:
                return
            if self.closed:
                raise RuntimeError("the realtime hub is shut down")
            self.loop = asyncio.get_running_loop()
            await self.feed.start(self._on_feed_event)
            self._started = True

    async def close(self) -> None:
        self.closed = True
        for task in list(self._flushers.values()):
            task.cancel()
        for task in list(self._flushers.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._flushers.clear()
        for handle in self._paced.values():
            handle.cancel()
        self._paced.clear()
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub._close("shutdown")
        self._subs.clear()
        self._by_key.clear()
        self._pending.clear()
        await self.feed.close()

    @property
    def feed_connected(self) -> bool:
        return self.feed.connected

    # -- subscribers -----------------------------------------------------------------------

    async def register(self, sub: Subscriber) -> None:
        """Add a subscriber; one with the same ``key`` (e.g. a browser tab) is superseded."""
        await self.start()
        if sub.key is not None:
            previous = self._by_key.get(sub.key)
            if previous is not None and previous is not sub:
                await self.unregister(previous)
                previous._close("superseded")
            self._by_key[sub.key] = sub
        subs = self._subs.setdefault(sub.client_id, set())
        first = not subs
        subs.add(sub)
        if first:
            await self.feed.watch(sub.client_id)

    async def unregister(self, sub: Subscriber) -> None:
        if sub.key is not None and self._by_key.get(sub.key) is sub:
            del self._by_key[sub.key]
        subs = self._subs.get(sub.client_id)
        if subs is None or sub not in subs:
            return
        subs.discard(sub)
        if not subs:
            del self._subs[sub.client_id]
            self._pending.pop(sub.client_id, None)
            self._last_batch.pop(sub.client_id, None)
            await self.feed.unwatch(sub.client_id)

    def subscriber_count(self, client_id: uuid.UUID | None = None) -> int:
        if client_id is not None:
            return len(self._subs.get(client_id, ()))
        return sum(len(s) for s in self._subs.values())

    def version(self, client_id: uuid.UUID) -> int:
        return self._versions.get(client_id, 0)

    # -- shared re-reads -------------------------------------------------------------------

    async def fetch_once(self, key: Hashable, compute: Callable[[], T], *, ttl: float = 2.0) -> T:
        """Single-flight re-read: callers with the same ``key`` share ONE ``compute()``.

        ``compute`` (blocking) runs in a thread; callers arriving while it runs, or up to ``ttl``
        seconds after it finished, get the same result. This is how a process fetches the fresh
        counts / first page once per (workspace, scope) and fans them out to its sessions. The
        key MUST pin everything the result depends on, e.g. ``("list", client_id,
        sub.scope, filter params, event.version)``; ``compute`` must read as a user of exactly
        that scope (RLS makes every user of one scope see the same rows).
        """
        return await asyncio.shield(self.shared_future(key, compute, ttl=ttl))

    def shared_future(
        self, key: Hashable, compute: Callable[[], T], *, ttl: float = 2.0
    ) -> asyncio.Future[T]:
        """The future behind :meth:`fetch_once` (no await): starts ``compute()`` unless a read
        of ``key`` is running or finished less than ``ttl`` s ago. Await it through
        ``asyncio.shield`` (a cancelled caller must not cancel the others' read); starting
        several reads first and awaiting them one by one costs no task per caller."""
        now = time.monotonic()
        if len(self._shared) > 256:
            self._shared = {
                k: v for k, v in self._shared.items() if not v[1].done() or now - v[0] < ttl
            }
        entry = self._shared.get(key)
        if entry is not None and (not entry[1].done() or now - entry[0] < ttl):
            self.stats.shared_hits += 1
            return entry[1]
        # A task of its own: a caller that is cancelled (tab closed) does not fail the others.
        stats = self.stats

        def timed() -> T:
            started = time.perf_counter()
            try:
                return compute()
            finally:
                stats.shared_compute_us += round((time.perf_counter() - started) * 1e6)

        task: asyncio.Task[T] = asyncio.get_running_loop().create_task(self._in_thread(timed))
        self._shared[key] = (now, task)
        stats.shared_computes += 1

        def finished(done: asyncio.Task[T]) -> None:
            stats.shared_total_us += round((time.monotonic() - now) * 1e6)
            failed = done.cancelled() or done.exception() is not None
            if self._shared.get(key, (0.0, None))[1] is done:
                if failed:
                    del self._shared[key]  # never share a failure
                else:
                    self._shared[key] = (time.monotonic(), done)

        task.add_done_callback(finished)
        return task

    def shared_result(self, key: Hashable, *, ttl: float = 2.0) -> tuple[bool, Any]:
        """A finished, successful :meth:`fetch_once` result for ``key`` of the last ``ttl``
        seconds, without awaiting: ``(True, value)``, else ``(False, None)``. Lets hundreds of
        sessions pick up one shared read without a task each."""
        entry = self._shared.get(key)
        if entry is None:
            return False, None
        at, future = entry
        if (
            not future.done()
            or future.cancelled()
            or future.exception() is not None
            or time.monotonic() - at >= ttl
        ):
            return False, None
        self.stats.shared_hits += 1
        return True, future.result()

    async def _in_thread(self, fn: Callable[[], T]) -> T:
        """Run blocking ``fn`` in the hub's executor (with the caller's context variables)."""
        if self.executor is None:
            return await asyncio.to_thread(fn)
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(context.run, fn))

    # -- batching --------------------------------------------------------------------------

    def _on_feed_event(self, event: FeedEvent) -> None:
        """Feed sink (event loop thread): accumulate into the workspace's pending batch."""
        self.stats.feed_events += 1
        cid = event.client_id
        if cid not in self._subs or self.closed:
            return
        if (
            event.op == "COUNTS"
            and self.counts_pace > 0
            and len(self._subs[cid]) >= MANY_SUBSCRIBERS
        ):
            if cid not in self._paced:
                self._paced[cid] = asyncio.get_running_loop().call_later(
                    self.counts_pace, self._release_counts, event
                )
            return
        self._accumulate(event)

    def _release_counts(self, event: FeedEvent) -> None:
        self._paced.pop(event.client_id, None)
        if event.client_id in self._subs and not self.closed:
            self._accumulate(event)

    def _accumulate(self, event: FeedEvent) -> None:
        cid = event.client_id
        batch = self._pending.get(cid)
        if batch is None:
            now = time.monotonic()
            due = now + self.batch_window
            lead = self.lead_delay
            if lead is not None and now - self._last_batch.get(cid, -1e9) >= self.batch_window:
                due = now + lead  # quiet before: flush soon
            self._last_batch[cid] = now
            batch = self._pending[cid] = _Batch(started=now, due=due)
        if event.op == "RESYNC":
            batch.resync = True
            batch.leads.clear()
        elif event.op == "COUNTS":
            batch.counts = True
        elif not batch.resync:
            for change in event.changes:
                acc = batch.leads.get(change.lead_id)
                if acc is None:
                    acc = batch.leads[change.lead_id] = _LeadAcc()
                acc.inserted |= event.op == "INSERT"
                acc.gone |= change.gone
                if not change.gone:
                    acc.new_assignees.add(change.new_assignee)
                old = change.old_assignee
                if old is not None and (change.gone or old != change.new_assignee):
                    acc.left.add(old)
            if len(batch.leads) > MAX_BATCH_LEADS:
                batch.resync = True
                batch.leads.clear()
        task = self._flushers.get(cid)
        if task is None or task.done():
            self._flushers[cid] = asyncio.get_running_loop().create_task(self._flush_loop(cid))

    async def _flush_loop(self, cid: uuid.UUID) -> None:
        """Flush the workspace's batches one after another (versions stay in order)."""
        try:
            while True:
                batch = self._pending.get(cid)
                if batch is None:
                    return
                wait = batch.due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                batch = self._pending.pop(cid, None)
                if batch is None:
                    return
                async with self._parallel:
                    ok = await self._process(cid, batch)
                if not ok:
                    await asyncio.sleep(self.retry_delay)
        finally:
            if self._flushers.get(cid) is asyncio.current_task():
                del self._flushers[cid]

    async def _process(self, cid: uuid.UUID, batch: _Batch) -> bool:
        subs = [s for s in self._subs.get(cid, ()) if not s.closed]
        if not subs:
            return True
        now = time.time()
        live: list[Subscriber] = []
        for sub in subs:
            if sub.expires_at <= now:
                sub._mark_missed()  # token expired: nothing until refreshed, then RESYNC
            else:
                live.append(sub)
        version = self._versions[cid] = self._versions.get(cid, 0) + 1
        if not live:
            return True
        people = [(s.user_id, s.session_id) for s in live]
        try:
            decided = await self._in_thread(functools.partial(self._decide, cid, batch, people))
        except Exception:
            self.stats.failed_batches += 1
            log.exception("realtime.batch_failed", clientId=str(cid))
            # The batch is lost: whoever is still subscribed re-reads once the database answers.
            retry = self._pending.get(cid)
            if retry is None:
                now = time.monotonic()
                retry = self._pending[cid] = _Batch(started=now, due=now + self.batch_window)
            retry.resync = True
            retry.leads.clear()
            return False
        self.stats.batches += 1
        self.stats.access_queries += decided.access_queries
        self.stats.visibility_queries += decided.visibility_queries
        rows = zip(live, decided.per_subscriber, decided.denied, decided.roles, strict=True)
        delivered = 0
        for sub, decision, denied, role in rows:
            sub.denied = denied
            if role is not None:
                sub.role = role
            if decision is not None and not sub.closed:
                sub._post(version, decision[0], decision[1])
                delivered += 1
        self.stats.deliveries += delivered
        if delivered:
            observe_realtime_delivery(time.monotonic() - batch.started, delivered)
        return True

    def _decide(
        self,
        cid: uuid.UUID,
        batch: _Batch,
        people: Sequence[tuple[uuid.UUID, uuid.UUID | None]],
    ) -> _Decided:
        """Blocking part of a batch (worker thread): access + visibility, no hub state."""
        check = self.check_sessions
        users = {u for u, _ in people}
        sessions = {s for _, s in people if s is not None} if check else set()
        access = visibility.subscriber_access(cid, users, sessions)
        out = _Decided([], [], access_queries=1)

        scopes: dict[str, uuid.UUID] = {}  # scope -> representative user
        sub_scopes: list[str | None] = []
        for user_id, session_id in people:
            role = access.roles.get(user_id)
            out.roles.append(role)
            if role is None:
                sub_scopes.append(None)
                out.denied.append("not_member")
            elif check and session_id is not None and session_id not in access.live_sessions:
                sub_scopes.append(None)
                out.denied.append("session_revoked")
            else:
                scope = _scope(role, user_id)
                scopes.setdefault(scope, user_id)
                sub_scopes.append(scope)
                out.denied.append(None)

        per_scope: dict[str, Decision] = {}
        for scope, rep in scopes.items():
            per_scope[scope] = self._scope_decision(cid, batch, scope, rep, out)
        out.per_subscriber = [per_scope[s] if s is not None else None for s in sub_scopes]
        return out

    def _scope_decision(
        self, cid: uuid.UUID, batch: _Batch, scope: str, rep: uuid.UUID, out: _Decided
    ) -> Decision:
        if batch.resync:
            return ((), "RESYNC")
        relevant: tuple[uuid.UUID, ...] = ()
        if batch.leads:
            if scope == GLOBAL:
                candidates = [i for i, a in batch.leads.items() if not a.gone]
            else:
                candidates = [i for i, a in batch.leads.items() if rep in a.new_assignees]
            visible: set[uuid.UUID] = set()
            if candidates:
                visible = visibility.visible_lead_ids(rep, cid, candidates)
                out.visibility_queries += 1
            if scope == GLOBAL:
                relevant = tuple(i for i, a in batch.leads.items() if i in visible or a.gone)
            else:
                relevant = tuple(i for i, a in batch.leads.items() if i in visible or rep in a.left)
        if relevant:
            inserted = any(batch.leads[i].inserted for i in relevant)
            return (relevant, "INSERT" if inserted else "UPDATE")
        if batch.counts:
            return ((), "COUNTS")
        return None

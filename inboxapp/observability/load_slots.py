"""Coalesced background loads: per tab and kind one database read at a time, per user a bound.

The state's load handlers (``InboxState.load_list``, ``AnalyticsState.load_view``, ...) are
background tasks: each takes a new request number under the state lock, reads off the event
loop, and applies its result only while its request is still the latest of its kind. Nothing
stopped a tab from starting a thousand of them at once, all reading. :func:`coalesced` wraps
the read of such a handler:

* **One read per (tab, kind) at a time.** A load that arrives while one is reading waits for
  it; when it finishes, only the newest waiter (highest request number) reads, and the older
  waiters return ``superseded`` at once (their results would be dropped anyway, since a newer
  request of the same kind exists). However many loads a tab queues, at most two reads of a
  kind are ever outstanding for it (the running one and the newest), and the newest always runs
  with the latest inputs: the "run again once at the end" of a coalescer, with the handlers'
  request-number rules unchanged. A result is never shared between requests: a load queued
  after a write must not receive a read that started before the write.
* **At most ``FloodSettings.user_reads`` reads per user in this process** (a semaphore per
  user), so one user with many tabs cannot take every worker thread (the default executor has
  ``cpus + 4``) and starve the others.

The read runs in a task of its own: a handler cancelled mid-read (Reflex ends a page's load
chain on navigation) leaves the read to finish (threads cannot be interrupted), and the slot
stays busy until it does, so the bounds hold under cancellation too. Outside a Reflex event
(no tab) a read only takes the user's bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from reflex_base.event.context import EventContext

from inboxapp.config import flood_settings

T = TypeVar("T")
S = TypeVar("S")


@dataclass(slots=True)
class _Slot:
    running: asyncio.Future[Any] | None = None
    newest: int = 0
    waiting: int = 0


@dataclass(slots=True)
class _UserReads:
    semaphore: asyncio.Semaphore
    users: int = 0


_slots: dict[tuple[str, str], _Slot] = {}
_users: dict[str, _UserReads] = {}
STATS = {"reads": 0, "superseded": 0, "waited": 0}


def _tab() -> str:
    try:
        return EventContext.get().token or ""
    except LookupError:
        return ""


async def bounded(user: str, read: Callable[[], Awaitable[T]]) -> T:
    """``await read()`` within ``user``'s bound of concurrent reads in this process."""
    entry = _users.get(user)
    if entry is None:
        entry = _users[user] = _UserReads(asyncio.Semaphore(flood_settings().user_reads))
    entry.users += 1
    try:
        async with entry.semaphore:
            STATS["reads"] += 1
            return await read()
    finally:
        entry.users -= 1
        if not entry.users and _users.get(user) is entry:
            del _users[user]


def _release(key: tuple[str, str], slot: _Slot, task: asyncio.Future[Any]) -> None:
    if slot.running is task:
        slot.running = None
        if not slot.waiting and _slots.get(key) is slot:
            del _slots[key]


async def coalesced(
    kind: str, request: int, user: str, read: Callable[[], Awaitable[T]], superseded: S
) -> T | S:
    """``await read()`` for the current tab's load of ``kind`` with request number
    ``request``, or ``superseded`` when a newer request of that kind came in meanwhile."""
    tab = _tab()
    if not tab:
        return await bounded(user, read)
    key = (tab, kind)
    slot = _slots.get(key)
    if slot is None:
        slot = _slots[key] = _Slot()
    slot.newest = max(slot.newest, request)
    while slot.running is not None:
        slot.waiting += 1
        STATS["waited"] += 1
        try:
            await asyncio.wait({slot.running})
        finally:
            slot.waiting -= 1
        if request < slot.newest:
            STATS["superseded"] += 1
            if slot.running is None and not slot.waiting and _slots.get(key) is slot:
                del _slots[key]
            return superseded
    if request < slot.newest:
        STATS["superseded"] += 1
        return superseded
    task: asyncio.Task[T] = asyncio.ensure_future(bounded(user, read))
    slot.running = task
    task.add_done_callback(lambda done: _release(key, slot, done))
    return await asyncio.shield(task)

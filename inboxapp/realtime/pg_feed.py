"""Postgres LISTEN implementation of the change feed: ONE connection per process.

The connection LISTENs on ``lead_changes`` (migration 0006: ids of changed leads, per statement
and workspace) and ``inbox_counts`` (:mod:`inboxapp.counts.recompute`: a workspace id after its
materialized counts changed). It connects as the runtime role: LISTEN needs no privilege and has
no access control, which is why the payloads are ids only; visibility is decided later, by the
hub, with row level security.

Failure handling: a dropped connection (server restart, ``pg_terminate_backend``, network) is
noticed at once by the pending read; a silently dead one by a ``SELECT 1`` probe after
``probe_interval`` seconds without traffic (plus TCP keepalives). The feed reconnects with capped
exponential backoff and jitter and, after every (re)connect, emits a ``RESYNC`` event for each
watched workspace, since notifications sent while disconnected are lost for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from typing import Any

import psycopg

from inboxapp.logs import get_logger

from .feed import ChangeFeed, FeedEvent, FeedSink, LeadChange, parse_uuid

LEAD_CHANNEL = "lead_changes"
COUNTS_CHANNEL = "inbox_counts"
CHANNELS = (LEAD_CHANNEL, COUNTS_CHANNEL)

log = get_logger(__name__)


def parse_notification(channel: str, payload: str) -> FeedEvent | None:
    """Turn one NOTIFY payload into an event; None (and a log line) when it is malformed."""
    if channel == COUNTS_CHANNEL:
        cid = parse_uuid(payload.strip())
        return FeedEvent(cid, "COUNTS") if cid else None
    if channel != LEAD_CHANNEL:
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != 1:
        return None
    cid = parse_uuid(data.get("c"))
    op = data.get("op")
    rows = data.get("r")
    if cid is None or op not in ("INSERT", "UPDATE") or not isinstance(rows, list):
        return None
    gone = data.get("gone") is True
    changes: list[LeadChange] = []
    for row in rows:
        if not isinstance(row, list) or len(row) != 3:
            return None
        lead_id = parse_uuid(row[0])
        if lead_id is None:
            return None
        changes.append(LeadChange(lead_id, parse_uuid(row[1]), parse_uuid(row[2]), gone))
    return FeedEvent(cid, "INSERT" if op == "INSERT" else "UPDATE", tuple(changes))


def quick_client_id(channel: str, payload: str) -> uuid.UUID | None:
    """The workspace of a notification without parsing it (None: parse to find out).

    ``jsonb`` renders keys by length, then bytewise, so the trigger's payloads start with
    ``{"c": "<clientId>"``; imports send thousands of them, mostly for unwatched workspaces.
    """
    if channel == COUNTS_CHANNEL:
        return parse_uuid(payload.strip())
    if channel == LEAD_CHANNEL and payload.startswith(_LEAD_PREFIX):
        return parse_uuid(payload[len(_LEAD_PREFIX) : len(_LEAD_PREFIX) + 36])
    return None


_LEAD_PREFIX = '{"c": "'


class PgChangeFeed(ChangeFeed):
    """LISTEN on one psycopg ``AsyncConnection``; reconnects and announces resyncs."""

    def __init__(
        self,
        conninfo: str,
        *,
        probe_interval: float = 30.0,
        backoff_initial: float = 0.2,
        backoff_max: float = 5.0,
        connect_timeout: int = 5,
    ) -> None:
        self._conninfo = conninfo
        self._probe_interval = probe_interval
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._connect_timeout = connect_timeout
        self._sink: FeedSink | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._closing = False
        self._connected = False
        self._watched: dict[uuid.UUID, int] = {}
        self.backend_pid: int | None = None
        """PID of the listening backend (tests terminate it to simulate a drop)."""
        self.connections = 0
        """Successful connects so far (1 + reconnects)."""
        self.notifications = 0
        self.skipped = 0
        self.malformed = 0

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def watched(self) -> frozenset[uuid.UUID]:
        return frozenset(self._watched)

    async def start(self, sink: FeedSink, *, wait: float = 5.0) -> None:
        """Start the listener task (once) and wait up to ``wait`` s for the first connect.

        If the database is unreachable the feed keeps retrying in the background; subscribers
        get a ``RESYNC`` once it connects.
        """
        if self._task is None:
            self._sink = sink
            self._task = asyncio.create_task(self._run(), name="inboxapp-realtime-pg-feed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=wait)

    async def close(self) -> None:
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._connected = False

    async def watch(self, client_id: uuid.UUID) -> None:
        self._watched[client_id] = self._watched.get(client_id, 0) + 1

    async def unwatch(self, client_id: uuid.UUID) -> None:
        left = self._watched.get(client_id, 0) - 1
        if left > 0:
            self._watched[client_id] = left
        else:
            self._watched.pop(client_id, None)

    # -- internals -------------------------------------------------------------------------

    def _emit(self, event: FeedEvent) -> None:
        if self._sink is None:
            return
        try:
            self._sink(event)
        except Exception:
            log.exception("realtime.sink_failed", clientId=str(event.client_id))

    def _dispatch(self, channel: str, payload: str) -> None:
        self.notifications += 1
        cid = quick_client_id(channel, payload)
        if cid is not None and cid not in self._watched:
            self.skipped += 1  # no subscriber of that workspace in this process: skip parsing
            return
        event = parse_notification(channel, payload)
        if event is None:
            self.malformed += 1
            log.warning("realtime.bad_notification", channel=channel, size=len(payload))
            return
        self._emit(event)

    def _delay(self, attempt: int) -> float:
        base = min(self._backoff_max, self._backoff_initial * (2 ** max(0, attempt - 1)))
        return base * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        conn = await psycopg.AsyncConnection.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=self._connect_timeout,
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
            application_name="inboxapp-realtime",
        )
        try:
            for channel in CHANNELS:
                await conn.execute(f"LISTEN {channel}")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _run(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                conn = await self._connect()
            except (psycopg.Error, OSError) as exc:
                attempt += 1
                delay = self._delay(attempt)
                log.warning(
                    "realtime.listen_connect_failed", attempt=attempt, retryInS=round(delay, 2),
                    error=type(exc).__name__,
                )  # fmt: skip
                await asyncio.sleep(delay)
                continue
            try:
                self.connections += 1
                self.backend_pid = conn.info.backend_pid
                self._connected = True
                attempt = 0
                self._ready.set()
                log.info("realtime.listening", reconnect=self.connections > 1)
                # Anything may have been missed before this connect: every watched workspace
                # re-reads (cheap: one refetch per workspace and scope in the UI).
                for client_id in list(self._watched):
                    self._emit(FeedEvent(client_id, "RESYNC"))
                await self._listen(conn)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                log.warning("realtime.listen_dropped", error=type(exc).__name__)
            finally:
                self._connected = False
                with contextlib.suppress(Exception):
                    await conn.close()
            if not self._closing:
                attempt += 1
                await asyncio.sleep(self._delay(attempt))

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while not self._closing:
            async for note in conn.notifies(timeout=self._probe_interval):
                self._dispatch(note.channel, note.payload)
            # Quiet for a while: make sure the connection is still alive. Notifications that
            # arrive during the probe are kept in psycopg's backlog for the next notifies().
            await asyncio.wait_for(conn.execute("SELECT 1"), timeout=self._connect_timeout)

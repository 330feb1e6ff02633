"""Realtime on the REAL Reflex backend with two granian worker processes and Reflex's Redis
state manager: subscribers on either worker receive their events exactly once.

Production runs ``reflex run --env prod`` with ``REFLEX_REDIS_URL`` set (Redis state manager
and token manager) and several granian workers. A browser tab's websocket lands on one worker
(the kernel spreads connections over the workers' listening sockets); the page's ``on_load``
starts the tab's live listener there, and that worker's process hub delivers the tab's events.
``tests/realtime/test_realtime_workers.py`` proves the hub side with two script processes; this test
runs the actual backend (``--backend-only``, two workers) and talks to it like browsers do:

1. Seeds a workspace (owner, two admins, two setters with their own leads, unassigned leads,
   all in "Requires attention") and a second workspace, signs everyone in, and starts the
   backend with ``INBOXAPP_LIVE_STATS_FILE`` so each worker process writes its listener and
   hub counters to ``<path>.<pid>`` every second.
2. Connects browserless sessions (:class:`benchmarks.realtime.Session`: Socket.IO websocket,
   the boot ``hydrate_and_load`` event with the user's tokens) until they are all live,
   reconnects a few tabs (same client token, new websocket, either worker), and checks that
   two worker processes serve the port (psutil), that sessions of the watched workspace
   landed on BOTH of them, that every tab has exactly one listener and one hub subscription,
   and that the tabs' state lives in Redis.
3. Writes a few inbound replies through the service layer (each carries a unique marker),
   each once both workers' hubs have decided the one before (their counters, not a pause),
   and checks that every session entitled to a change (global-scope users; a setter only for
   its own leads) receives the marker, that no other session does (the other setter, the
   other workspace), and that the hubs of both workers together delivered exactly one event
   per entitled subscription and change (``deliveries`` counts one per subscriber and batch;
   one batch per change in each worker): no duplicate from the other worker, nothing lost,
   and still one listener per tab afterwards.
4. Heartbeat and reconnect (same backend, ``INBOXAPP_LIVE_HEARTBEAT_S=2``): a change the feed
   never announces (triggers disabled for that statement, as if the LISTEN connection had
   been down) reaches the tabs through the heartbeat refetch; after every LISTEN connection is
   terminated, the hubs reconnect and the next change arrives as usual.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import pytest
import redis

from benchmarks.realtime import (
    Change,
    Person,
    Session,
    Workspace,
    close_all,
    connect_all,
    load_workspace,
    receivers,
    write_change,
)
from inboxapp.auth.service import login
from inboxapp.cache.store import get_cache
from inboxapp.config import libpq_url
from inboxapp.processes import reflex_env, stop_group
from inboxapp.tools.prod_server import free_port
from tests.factories import (
    PASSWORD,
    add_member,
    create_lead,
    create_message,
    create_user,
    create_workspace,
)

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
START_TIMEOUT_S = 120.0
CONNECT_TIMEOUT_S = 60.0
DELIVERY_TIMEOUT_S = 20.0
STATS_TIMEOUT_S = 10.0
SETTLE_TIMEOUT_S = 20.0
RECONNECTS = 4
MAX_EXTRA_ROUNDS = 5
HEARTBEAT_S = 2.0
"""Rounds of extra sessions when every session happened to land on one worker."""


# ---------------------------------------------------------------------------------- backend


@dataclass
class Backend:
    proc: subprocess.Popen[bytes]
    base: str
    port: int
    stats_file: Path
    log_path: Path
    redis_url: str

    def tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- last lines of {self.log_path} ---\n" + "\n".join(text.splitlines()[-lines:])

    def worker_pids(self) -> set[int]:
        """Processes of the backend's tree (the root excluded) listening on its port."""
        try:
            root = psutil.Process(self.proc.pid)
            children = root.children(recursive=True)
        except psutil.NoSuchProcess:
            return set()
        pids = set()
        for child in children:
            try:
                conns = child.net_connections(kind="tcp")
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if any(c.status == psutil.CONN_LISTEN and c.laddr.port == self.port for c in conns):
                pids.add(child.pid)
        return pids

    def read_stats(self) -> dict[int, dict[str, Any]]:
        """The latest counters of every backend process that has had a listener, by pid."""
        out: dict[int, dict[str, Any]] = {}
        for path in self.stats_file.parent.glob(self.stats_file.name + ".*"):
            if path.suffix == ".tmp":
                continue
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # replaced while reading
            out[int(data["pid"])] = data
        return out

    async def fresh_stats(self) -> dict[int, dict[str, Any]]:
        """Counters snapshotted after this call started (each file is rewritten every second)."""
        since = time.time()
        deadline = time.monotonic() + STATS_TIMEOUT_S
        while True:
            stats = self.read_stats()
            if stats and all(s["at"] > since for s in stats.values()):
                return stats
            if time.monotonic() > deadline:
                pytest.fail(f"no fresh live stats in {STATS_TIMEOUT_S}s: {stats}\n{self.tail()}")
            await asyncio.sleep(0.2)


def _backend_env(database_url: str, port: int, stats_file: Path) -> dict[str, str]:
    env = reflex_env()
    env.update(
        DATABASE_URL=database_url,  # with REDIS_URL and JWT_SECRET: set by tests/conftest.py
        REFLEX_REDIS_URL=os.environ["REDIS_URL"],  # Redis state manager + token manager
        GRANIAN_WORKERS=str(WORKERS),
        REFLEX_BACKEND_PORT=str(port),
        # --backend-only refuses any frontend port ("Cannot specify --frontend-port when not
        # running frontend"), and rxconfig.py pins frontend_port to REFLEX_FRONTEND_PORT or
        # 3000: "0" is the falsy value that passes.
        REFLEX_FRONTEND_PORT="0",
        INBOXAPP_LIVE_STATS_FILE=str(stats_file),
        INBOXAPP_LIVE_HEARTBEAT_S=str(HEARTBEAT_S),  # the heartbeat test; hub stats ignore it
        LOG_LEVEL="INFO",
    )
    return env


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def backend(database_url: str, tmp_path: Path) -> Iterator[Backend]:
    """``reflex run --env prod --backend-only`` with two granian workers and the Redis state
    manager, in its own process group; ready when ``/api/health`` answers and the workers
    listen; killed as a group at the end."""
    port = free_port()
    stats_file = tmp_path / "live-stats"
    log_path = tmp_path / "reflex.log"
    cmd = [
        str(ROOT / ".venv/bin/reflex"),
        *("run", "--env", "prod", "--backend-only", "--loglevel", "warning"),
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=_backend_env(database_url, port, stats_file),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    app = Backend(proc, base, port, stats_file, log_path, os.environ["REDIS_URL"])
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (_answers(f"{app.base}/api/health") and app.worker_pids()):
            if proc.poll() is not None:
                pytest.fail(f"the backend exited with {proc.returncode}:\n{app.tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"backend not ready on {app.base} in {START_TIMEOUT_S}s:\n{app.tail()}")
            time.sleep(0.3)
        # The workers start side by side; the test checks how many there are.
        deadline = time.monotonic() + 10
        while len(app.worker_pids()) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.2)
        yield app
    finally:
        stop_group(proc)


# ---------------------------------------------------------------------------------- data


@dataclass
class World:
    watched: Workspace
    other: Workspace
    setter_a: Person
    setter_b: Person


def _seed() -> World:
    """Workspace "watched": owner, two admins, two setters with two leads each, two
    unassigned leads (all in "Requires attention"); workspace "other": owner and admin."""
    owner, admin1, admin2, setter_a, setter_b = (create_user() for _ in range(5))
    ws = create_workspace("Watched", owner=owner)
    for user, role in ((admin1, "ADMIN"), (admin2, "ADMIN")):
        add_member(ws, user, role)
    for user in (setter_a, setter_b):
        add_member(ws, user, "SETTER")
    for assignee in (setter_a.id, setter_b.id, None):
        for _ in range(2):
            lead = create_lead(
                ws, status="new", sentimentTag="Meeting Requested", assignedToUserId=assignee
            )
            create_message(lead, direction="inbound", body="Tell me more")
    other_owner, other_admin = create_user(), create_user()
    other = create_workspace("Other", owner=other_owner)
    add_member(other, other_admin, "ADMIN")
    lead = create_lead(other, status="new", sentimentTag="Meeting Requested")
    create_message(lead, direction="inbound", body="Tell me more")

    watched, foreign = load_workspace(str(ws.id)), load_workspace(str(other.id))
    for n, person in enumerate(watched.people + foreign.people):
        person.tokens = login(person.email, PASSWORD, f"10.77.0.{n + 1}")
    by_id = {p.user_id: p for p in watched.people}
    return World(watched, foreign, by_id[str(setter_a.id)], by_id[str(setter_b.id)])


def _plan(world: World, base: str) -> tuple[list[Session], list[Session]]:
    """12 tabs on the watched workspace (8 global-scope, 2 per setter) and 4 on the other."""
    ws = world.watched
    people = [*(ws.global_people * 3)[:8], world.setter_a, world.setter_a]
    people += [world.setter_b, world.setter_b]
    watched = [Session(n, base, ws, person) for n, person in enumerate(people)]
    others = [
        Session(100 + n, base, world.other, person)
        for n, person in enumerate(world.other.people * 2)
    ]
    return watched, others


# ---------------------------------------------------------------------------------- test


def _listeners(stats: dict[int, dict[str, Any]]) -> dict[int, int]:
    return {pid: int(s["listeners"]) for pid, s in stats.items()}


def _hub(stats: dict[int, dict[str, Any]], key: str) -> dict[int, int]:
    return {pid: int(s["hub"].get(key, 0)) for pid, s in stats.items()}


async def _connect(sessions: list[Session], backend: Backend) -> list[asyncio.Task[None]]:
    tasks = await connect_all(sessions, batch=25, timeout=CONNECT_TIMEOUT_S)
    failed = [s for s in sessions if s.live_at is None]
    assert not failed, (
        f"{len(failed)} session(s) never showed live_status == 'live': "
        + "; ".join(f"#{s.n} {s.person.role} error={s.error!r} frames={s.frames}" for s in failed)
        + f"\n{backend.tail()}"
    )
    return tasks


async def _one_listener_per_tab(backend: Backend, tabs: int) -> dict[int, dict[str, Any]]:
    """Every tab has exactly one listener and one hub subscription, across both workers (a
    closed tab's listener may take until the next tab check, ``TAB_CHECK_S``, to leave)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        stats = await backend.fresh_stats()
        listeners = _listeners(stats)
        subscribers = {pid: int(s["subscribers"]) for pid, s in stats.items()}
        if sum(listeners.values()) == tabs and subscribers == listeners:
            return stats
        if time.monotonic() > deadline:
            pytest.fail(
                f"{tabs} tabs but listeners per worker {listeners}, hub subscribers"
                f" {subscribers}\n{backend.tail()}"
            )


def _grown(
    before: dict[int, dict[str, Any]], after: dict[int, dict[str, Any]], key: str
) -> dict[int, int]:
    old = _hub(before, key)
    return {pid: n - old.get(pid, 0) for pid, n in _hub(after, key).items()}


async def _batches_reach(
    backend: Backend, before: dict[int, dict[str, Any]], workers: set[int], count: int
) -> dict[int, dict[str, Any]]:
    """Fresh counters once every worker's hub has decided ``count`` batches since ``before``
    (a batch's deliveries are counted with it, so nothing of those batches is still to come)."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT_S
    while True:
        stats = await backend.fresh_stats()
        batches = _grown(before, stats, "batches")
        if all(batches.get(pid, 0) >= count for pid in workers):
            return stats
        if time.monotonic() > deadline:
            pytest.fail(f"batches per worker {batches}, wanted {count} each\n{backend.tail()}")


async def _scenario(backend: Backend, world: World) -> None:
    watched, others = _plan(world, backend.base)
    sessions: list[Session] = []
    tasks: list[asyncio.Task[None]] = []
    workers = backend.worker_pids()
    assert len(workers) == WORKERS, f"worker processes on the port: {workers}\n{backend.tail()}"
    try:
        # The watched workspace's tabs first (only they have listeners when we look where
        # they landed). A few of them reconnect: same client token, a new websocket that may
        # land on either worker; Reflex ends the old listener on disconnect and the page's
        # on_load, run on the tab's state from Redis, starts a new one.
        sessions += watched
        tasks += await _connect(watched, backend)
        for i in range(RECONNECTS):
            old = sessions[i]
            await old.close()
            again = Session(old.n, backend.base, old.ws, old.person)
            again.token = old.token
            sessions[i] = again
            tasks += await _connect([again], backend)
        stats = await _one_listener_per_tab(backend, len(sessions))
        # Should the kernel have put every watched tab on one worker, add a few more.
        extra = 0
        while len([pid for pid, n in _listeners(stats).items() if n > 0]) < WORKERS:
            extra += 1
            assert extra <= MAX_EXTRA_ROUNDS, (
                f"every watched session landed on one worker: {_listeners(stats)}"
                f" (workers {sorted(workers)})"
            )
            more = [
                Session(len(sessions) + i, backend.base, world.watched, person)
                for i, person in enumerate(world.watched.global_people[:4])
            ]
            sessions += more
            tasks += await _connect(more, backend)
            stats = await _one_listener_per_tab(backend, len(sessions))
        assert set(stats) <= workers, f"listeners outside the workers {workers}: {set(stats)}"

        sessions += others
        tasks += await _connect(others, backend)
        await _one_listener_per_tab(backend, len(sessions))

        # Reflex keeps every tab's state in Redis (not in a worker's memory).
        client = redis.Redis.from_url(backend.redis_url)
        stateless = [
            s.n for s in sessions if not client.exists(f"{s.token}_reflex___state____state")
        ]
        assert not stateless, f"no Redis state for sessions {stateless}"

        # Changes: an unassigned lead, one of each setter's, an unassigned one again, and the
        # first one again, last: it closes the count for the others (a second batch of any of
        # them would be decided before the next change's, so before the last one's).
        leads = world.watched.leads
        unassigned = [lead for lead in leads if lead[1] is None]
        picks = [
            unassigned[0],
            next(lead for lead in leads if lead[1] == world.setter_a.user_id),
            next(lead for lead in leads if lead[1] == world.setter_b.user_id),
            unassigned[-1],
            unassigned[0],
        ]
        base_seq = 100_000 + secrets.randbelow(800_000)
        changes = [
            Change(base_seq + i, world.watched, lead_id, assignee)
            for i, (lead_id, assignee) in enumerate(picks)
        ]
        before = await backend.fresh_stats()
        for n, change in enumerate(changes):
            await asyncio.to_thread(write_change, change)
            # Every worker has decided this change before the next is written: one batch per
            # change in each worker, however slow the machine.
            after = await _batches_reach(backend, before, workers, n + 1)

        def missing() -> list[tuple[int, int]]:
            return [
                (c.seq, s.n) for c in changes for s in receivers(c, sessions) if c.seq not in s.seen
            ]

        deadline = time.monotonic() + DELIVERY_TIMEOUT_S
        while missing() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    finally:
        await close_all(sessions, tasks)

    lost = missing()
    assert not lost, (
        f"(marker, session) never delivered: {lost}\nlisteners {_listeners(after)}\n"
        + backend.tail()
    )
    for change in changes:
        entitled = {s.n for s in receivers(change, sessions)}
        strays = [s.n for s in sessions if s.n not in entitled and change.seq in s.seen]
        assert not strays, f"change {change.seq} reached sessions not entitled to it: {strays}"

    expected = sum(len(receivers(c, sessions)) for c in changes)
    deliveries, batches = _grown(before, after, "deliveries"), _grown(before, after, "batches")
    report = (
        f"deliveries per worker {deliveries}, batches per worker {batches},"
        f" failed batches {_hub(after, 'failed_batches')}, listeners {_listeners(after)}"
    )
    assert sum(deliveries.values()) == expected, (
        f"hub deliveries {sum(deliveries.values())} != entitled subscriptions {expected}: {report}"
    )
    assert all(deliveries.get(pid, 0) > 0 for pid in workers), (
        f"a worker delivered nothing: {report}"
    )
    assert batches == dict.fromkeys(workers, len(changes)), f"one batch per change: {report}"
    assert sum(_listeners(after).values()) == len(sessions), f"one listener per tab: {report}"
    subscribers = {pid: int(s["subscribers"]) for pid, s in after.items()}
    assert subscribers == _listeners(after), f"one subscription per tab: {subscribers}, {report}"


def test_two_reflex_workers_deliver_each_change_exactly_once(backend: Backend) -> None:
    world = _seed()
    asyncio.run(asyncio.wait_for(_scenario(backend, world), timeout=150))


async def _seen_by(tabs: list[Session], marker: int, backend: Backend) -> None:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_S
    while any(marker not in t.seen for t in tabs) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    missing = [t.n for t in tabs if marker not in t.seen]
    assert not missing, f"marker {marker} never reached tabs {missing}\n{backend.tail()}"


async def _heartbeat_scenario(backend: Backend, world: World, database_url: str) -> None:
    """A change the feed never announces (triggers off for that statement, as if the LISTEN
    connection had been down; the read cache invalidated as the service layer does) reaches
    the tabs through the heartbeat refetch; after the listening connections are killed, the
    hubs reconnect and a normal change arrives."""
    ws = world.watched
    tabs = [Session(n, backend.base, ws, person) for n, person in enumerate(ws.global_people[:2])]
    tasks = await _connect(tabs, backend)
    try:
        lead_id = next(lead for lead, assignee in ws.leads if assignee is None)
        silent = 900_000 + secrets.randbelow(99_990)
        # An announced change first: the lead is then on both tabs' first page.
        shown = Change(silent + 1, ws, lead_id, None)
        await asyncio.to_thread(write_change, shown)
        await _seen_by(tabs, shown.seq, backend)

        def silent_write() -> None:
            with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
                conn.execute("SET session_replication_role = replica")  # no trigger fires
                conn.execute(
                    'UPDATE public."Lead" SET "lastMessagePreview" = %s, "updatedAt" = now()'
                    " WHERE id = %s",
                    (f"bench-{silent:06d} missed by the feed", lead_id),
                )
            get_cache().bump("inbox", uuid.UUID(ws.client_id))

        await asyncio.to_thread(silent_write)
        await _seen_by(tabs, silent, backend)  # only a heartbeat re-read can show it

        def kill_listeners() -> int:
            with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
                rows = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query ILIKE 'LISTEN%%'"
                ).fetchall()
            return len(rows)

        assert await asyncio.to_thread(kill_listeners) >= 1
        change = Change(silent + 2, ws, lead_id, None)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(write_change, change)
        await _seen_by(tabs, change.seq, backend)
    finally:
        await close_all(tabs, tasks)


def test_heartbeat_catches_missed_changes_and_listeners_reconnect(
    backend: Backend, database_url: str
) -> None:
    world = _seed()
    asyncio.run(asyncio.wait_for(_heartbeat_scenario(backend, world, database_url), timeout=90))

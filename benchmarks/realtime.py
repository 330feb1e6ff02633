"""Realtime fan-out with real Reflex sessions: commit-to-delta latency, DB work per change,
backend CPU and memory per session.

    .venv/bin/python -m benchmarks.realtime --quick      # 50 sessions, a few minutes
    .venv/bin/python -m benchmarks.realtime              # 500 sessions

What it does:

1. Creates an isolated database (``inboxapp_rtbench_<hex>`` on the admin server, dropped at the
   end unless ``--keep-db``), migrates it and seeds, with :func:`inboxapp.seed.scale.seed_scale`,
   one workspace of ``--leads`` leads (case a) and ``--workspaces`` workspaces sharing
   ``--leads`` leads (case b); then recomputes their materialized counts.
2. Starts the production app (``reflex run --env prod``, one granian worker, in-memory state
   manager; ``--workers N``: N workers with Reflex's Redis state manager) and one job worker
   (counts recomputes, as in production; ``--no-worker`` skips it).
3. Connects N browserless sessions: raw Engine.IO v4 / Socket.IO websockets to ``/_event``,
   each with its own client token. The CONNECT packet carries the boot event
   ``reflex___state____state.hydrate_and_load`` with ``router_data`` (pathname ``/``, query
   ``clientId``) and, like the browser, the localStorage vars (the session's access and refresh
   token from a real ``login``), so the page's own ``on_load`` runs: session check, workspaces,
   inbox loads, and the tab's live listener. A session counts as connected when a delta shows
   ``live_status == "live"``. 80 % of the sessions are global-scope users (owner, admin,
   inbox manager, client portal), 20 % setters.
4. Writes a stream of lead updates through the service layer from this process:
   :func:`inboxapp.simulate.record_inbound` (an inbound reply whose text starts with a marker
   ``bench-NNNNNN``) on leads in "Requires attention", half of them assigned to a setter with
   sessions. A session's latency is from the write's return (commit + hooks) to the first
   websocket frame that carries the marker (the refreshed first page row).
5. Reports p50/p95/p99/max latency over every (change, session that may see it), missing
   deliveries, database work per change from the server's hub stats (``INBOXAPP_LIVE_STATS_FILE``,
   a benchmark-only switch) and read-path calls (``/api/metrics``), compared with the
   one-read-per-subscriber model, and backend CPU / RSS per session (psutil, the server's
   process tree).

(a) N sessions on one workspace, one change every ``--interval`` s. (b) N sessions across
``--workspaces`` workspaces; each round writes one change in every workspace back to back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import websockets

from inboxapp.config import Settings, ToolSettings, env_name
from inboxapp.tools.prod_server import ProdServer

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
JWT_SECRET = "bench-secret-" + "x" * 40
METRICS_TOKEN = "bench-metrics-" + secrets.token_urlsafe(24)
SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}
MARKER = re.compile(r"bench-(\d{6})")
LIVE = re.compile(r'"live_status_rx_state_"\s*:\s*"(\w*)"')
BOOT_EVENT = "reflex___state____state.hydrate_and_load"
AUTH_STATE = "reflex___state____state.inboxapp___state___auth____auth_state"
GLOBAL_ROLES = ("OWNER", "ADMIN", "INBOX_MANAGER", "CLIENT_PORTAL")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ---------------------------------------------------------------------------------- database


def create_database() -> tuple[str, str]:
    """A fresh database on the admin server; returns (name, url). Sets the app's env."""
    from inboxapp.config import get_settings, libpq_url

    name = f"inboxapp_rtbench_{secrets.token_hex(4)}"
    with psycopg.connect(libpq_url(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = ADMIN_URL.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    os.environ.update(DATABASE_URL=url, REDIS_URL=REDIS_URL, JWT_SECRET=JWT_SECRET)
    for var in ("APP_DATABASE_URL", "SUPABASE_URL"):
        os.environ.pop(var, None)
    get_settings.cache_clear()
    from inboxapp.db.engine import dispose_engines
    from inboxapp.db.migrate import upgrade

    dispose_engines()
    upgrade()
    return name, url


def drop_database(name: str) -> None:
    from inboxapp.config import libpq_url
    from inboxapp.db.engine import dispose_engines

    dispose_engines()
    with psycopg.connect(libpq_url(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Person:
    user_id: str
    email: str
    role: str
    tokens: Any = None  # TokenPair


@dataclass
class Workspace:
    client_id: str
    people: list[Person]
    leads: list[tuple[str, str | None]] = field(default_factory=list)
    """Leads in "Requires attention" (id, assignee)."""

    @property
    def global_people(self) -> list[Person]:
        return [p for p in self.people if p.role in GLOBAL_ROLES]

    @property
    def setters(self) -> list[Person]:
        return [p for p in self.people if p.role == "SETTER"]


def load_workspace(client_id: str) -> Workspace:
    import sqlalchemy as sa

    from inboxapp.db.engine import owner_session
    from inboxapp.domain.categories import L
    from inboxapp.domain.vocabulary import ATTENTION_TAGS, EXCLUDED_STATUSES

    with owner_session() as s:
        rows = s.execute(
            sa.text(
                'SELECT u.id, u.email, \'OWNER\' AS role FROM "Client" c JOIN "User" u'
                ' ON u.id = c."ownerUserId" WHERE c.id = :c UNION ALL'
                ' SELECT u.id, u.email, m.role FROM "ClientMember" m JOIN "User" u'
                ' ON u.id = m."userId" WHERE m."clientId" = :c'
            ),
            {"c": client_id},
        ).all()
        leads = s.execute(
            sa.select(L.c.id, L.c.assignedToUserId).where(
                L.c.clientId == uuid.UUID(client_id),
                L.c.sentimentTag.in_(ATTENTION_TAGS),
                L.c.status.not_in(EXCLUDED_STATUSES),
                L.c.snoozedUntil.is_(None),
            )
        ).all()
    people = [Person(str(r.id), r.email, r.role) for r in rows]
    return Workspace(
        client_id, people, [(str(r.id), str(r.assignedToUserId or "") or None) for r in leads]
    )


def seed(leads: int, workspaces: int) -> list[Workspace]:
    from inboxapp.counts.recompute import recompute_workspace
    from inboxapp.seed.scale import seed_scale

    result = seed_scale(leads, workspaces=workspaces, messages_per_lead=3)
    out = []
    for info in result["workspaces"]:
        recompute_workspace(info["id"])
        out.append(load_workspace(info["id"]))
    return out


def login_people(people: Iterable[Person]) -> None:
    from inboxapp.auth.service import login
    from inboxapp.config import get_settings

    password = get_settings().demo_password
    for n, person in enumerate(people):
        person.tokens = login(person.email, password, f"10.9.{n // 250}.{n % 250 + 1}")


# ---------------------------------------------------------------------------------- server


class Server(ProdServer):
    """The production server (plus an optional job worker) with this benchmark's probes."""

    def __init__(
        self, stats_file: str, log_path: Path, *, worker: bool, profile: str = "", workers: int = 1
    ) -> None:
        self.profile = profile
        self.stats_file = stats_file
        env = {
            env_name(ToolSettings, "live_stats_file"): stats_file,
            env_name(ToolSettings, "live_profile"): profile,
            env_name(Settings, "metrics_token"): METRICS_TOKEN,
            "LOG_LEVEL": "WARNING",
        }
        drop: tuple[str, ...] = ("REFLEX_REDIS_URL",)
        if workers > 1:  # Reflex's Redis state manager, several granian workers
            env.update(REFLEX_REDIS_URL=REDIS_URL, GRANIAN_WORKERS=str(workers))
            drop = ()
        super().__init__(log_path, env=env, drop=drop, worker=worker, loglevel="warning")

    def wait_ready(self, timeout: float = 300, paths: Sequence[str] = ("/api/health",)) -> None:
        try:
            super().wait_ready(timeout, paths)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None

    def processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.processes():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def rss_mb(self) -> float:
        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total / 2**20

    def stats(self) -> dict[str, Any]:
        """The live/hub counters of the app's worker process(es), summed."""
        folder = Path(self.stats_file).parent
        prefix = Path(self.stats_file).name + "."
        total: dict[str, Any] = {"hub": {}, "live": {}, "listeners": 0, "subscribers": 0}
        for path in folder.glob(prefix + "*"):
            if path.name.endswith(".tmp"):
                continue
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            total["listeners"] += data.get("listeners", 0)
            total["subscribers"] += data.get("subscribers", 0)
            for part in ("hub", "live"):
                for key, value in data.get(part, {}).items():
                    total[part][key] = total[part].get(key, 0) + value
        return total

    def read_calls(self) -> dict[str, float]:
        """Read-path calls of the app process so far, by endpoint (its /api/metrics)."""
        text = httpx.get(f"{self.base}/api/metrics", headers=SCRAPE, timeout=10).text
        out: dict[str, float] = {}
        for m in re.finditer(
            r"^inboxapp_inbox_fetch_seconds_count\{([^}]*)\}\s+([0-9.e+]+)", text, re.M
        ):
            endpoint = re.search(r'endpoint="([^"]+)"', m.group(1))
            key = endpoint.group(1) if endpoint else "?"
            out[key] = out.get(key, 0.0) + float(m.group(2))
        return out

    def hub_lag(self) -> tuple[float, float]:
        """(sum of seconds, batches) of the hub's batch-start -> delivery lag so far."""
        text = httpx.get(f"{self.base}/api/metrics", headers=SCRAPE, timeout=10).text
        values = []
        for kind in ("sum", "count"):
            found = re.search(
                rf"^inboxapp_realtime_delivery_lag_seconds_{kind}\s+(\S+)", text, re.M
            )
            values.append(float(found.group(1)) if found else 0.0)
        return values[0], values[1]


# ---------------------------------------------------------------------------------- sessions


class Session:
    """One browserless tab: a raw Engine.IO/Socket.IO websocket to ``/_event``."""

    def __init__(self, n: int, base: str, ws: Workspace, person: Person) -> None:
        self.n = n
        self.url = base.replace("http://", "ws://") + "/_event/?EIO=4&transport=websocket"
        self.ws = ws
        self.person = person
        self.token = str(uuid.uuid4())
        self.live_at: float | None = None
        self.seen: dict[int, float] = {}
        self.frames = 0
        self.bytes = 0
        self.error = ""
        self.closed = asyncio.Event()
        self._socket: Any = None

    @property
    def scope(self) -> str:
        return self.person.user_id if self.person.role == "SETTER" else "global"

    def boot(self) -> dict[str, Any]:
        pair = self.person.tokens
        storage = {
            f"{AUTH_STATE}.access_token_rx_state_": pair.access_token,
            f"{AUTH_STATE}.refresh_token_rx_state_": pair.refresh_token,
            f"{AUTH_STATE}.expires_at_rx_state_": str(int(time.time()) + int(pair.expires_in)),
        }
        query = {"clientId": self.ws.client_id}
        return {
            "name": BOOT_EVENT,
            "payload": {"vars": storage},
            "router_data": {"pathname": "/", "asPath": f"/?clientId={self.ws.client_id}",
                            "query": query},
        }  # fmt: skip

    async def run(self) -> None:
        try:
            async with websockets.connect(
                f"{self.url}&token={self.token}",
                max_size=None,
                compression=None,
                ping_interval=None,
                open_timeout=120,
                close_timeout=5,
            ) as sock:
                self._socket = sock
                opening = await sock.recv()
                if not str(opening).startswith("0"):
                    raise RuntimeError(f"unexpected open packet {str(opening)[:80]}")
                await sock.send("40/_event," + json.dumps({"event": self.boot()}))
                async for message in sock:
                    now = time.time()
                    text = message if isinstance(message, str) else message.decode()
                    if text == "2":
                        await sock.send("3")
                        continue
                    self.frames += 1
                    self.bytes += len(text)
                    if text.startswith("44/_event"):
                        self.error = text[:200]
                        return
                    if not text.startswith("42/_event"):
                        continue
                    if self.live_at is None:
                        status = LIVE.search(text)
                        if status and status.group(1) == "live":
                            self.live_at = now
                    if "bench-" in text:
                        for m in MARKER.finditer(text):
                            self.seen.setdefault(int(m.group(1)), now)
        except (OSError, websockets.WebSocketException, RuntimeError) as exc:
            if not self.closed.is_set():
                self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.closed.set()

    async def close(self) -> None:
        self.closed.set()
        if self._socket is not None:
            await self._socket.close()


def plan_sessions(base: str, spaces: list[Workspace], total: int) -> list[Session]:
    """``total`` sessions spread evenly over ``spaces``; 4 in 5 global-scope, 1 in 5 setters."""
    sessions: list[Session] = []
    per = [total // len(spaces) + (1 if i < total % len(spaces) else 0) for i in range(len(spaces))]
    for ws, count in zip(spaces, per, strict=True):
        glob, setters = ws.global_people, ws.setters[:2]
        for i in range(count):
            if i % 5 == 4 and setters:
                person = setters[(i // 5) % len(setters)]
            else:
                person = glob[i % len(glob)]
            sessions.append(Session(len(sessions), base, ws, person))
    return sessions


async def connect_all(
    sessions: list[Session], batch: int, timeout: float
) -> list[asyncio.Task[None]]:
    tasks: list[asyncio.Task[None]] = []
    for start in range(0, len(sessions), batch):
        group = sessions[start : start + batch]
        tasks += [asyncio.create_task(s.run()) for s in group]
        deadline = time.monotonic() + timeout
        while any(s.live_at is None and not s.closed.is_set() for s in group):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
    return tasks


async def close_all(sessions: list[Session], tasks: list[asyncio.Task[None]]) -> None:
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)


# ---------------------------------------------------------------------------------- run


@dataclass
class Change:
    seq: int
    ws: Workspace
    lead: str
    assignee: str | None
    committed: float = 0.0
    write_ms: float = 0.0


def write_change(change: Change) -> None:
    from inboxapp.simulate import record_inbound

    started = time.time()
    record_inbound(
        change.ws.client_id,
        change.lead,
        f"bench-{change.seq:06d} Sounds interesting, can you send more details?",
        "email",
    )
    change.committed = time.time()
    change.write_ms = (change.committed - started) * 1000


def choose_lead(
    ws: Workspace, rng: random.Random, setter_ids: set[str], assigned: bool
) -> tuple[str, str | None]:
    pool = [lead for lead in ws.leads if (lead[1] in setter_ids) == assigned]
    return rng.choice(pool or ws.leads)


def receivers(change: Change, sessions: list[Session]) -> list[Session]:
    return [
        s
        for s in sessions
        if s.ws is change.ws and (s.scope == "global" or s.scope == change.assignee)
    ]


async def run_case(
    name: str,
    server: Server,
    spaces: list[Workspace],
    n_sessions: int,
    rounds: int,
    interval: float,
    rng: random.Random,
) -> dict[str, Any]:
    log(f"case {name}: {n_sessions} sessions on {len(spaces)} workspace(s)")
    sessions = plan_sessions(server.base, spaces, n_sessions)
    await asyncio.sleep(1.0)
    rss0, cpu0 = server.rss_mb(), server.cpu_seconds()
    t0 = time.monotonic()
    tasks = await connect_all(sessions, batch=25, timeout=120)
    connect_s = time.monotonic() - t0
    live = [s for s in sessions if s.live_at is not None]
    failed = [s for s in sessions if s.live_at is None]
    log(f"  connected {len(live)}/{len(sessions)} live in {connect_s:.1f} s")
    for s in failed[:3]:
        log(f"  not live: session {s.n} error={s.error!r} frames={s.frames}")
    await asyncio.sleep(3.0)  # initial loads settle
    cpu1, rss1 = server.cpu_seconds(), server.rss_mb()
    await asyncio.sleep(1.5)
    stats0, reads0, lag0 = server.stats(), server.read_calls(), server.hub_lag()
    frames0 = sum(s.frames for s in live), sum(s.bytes for s in live)
    if server.profile:
        Path(server.profile).touch()
        await asyncio.sleep(0.6)

    changes: list[Change] = []
    seq = int(time.time()) % 100_000 * 10
    for r in range(rounds):
        for ws in spaces:
            setter_ids = {p.user_id for p in ws.setters[:2]}
            lead, assignee = choose_lead(ws, rng, setter_ids, assigned=r % 2 == 1)
            seq += 1
            change = Change(seq, ws, lead, assignee)
            await asyncio.to_thread(write_change, change)
            changes.append(change)
        await asyncio.sleep(interval)
    # Wait for stragglers.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pending = sum(1 for c in changes for s in receivers(c, live) if c.seq not in s.seen)
        if not pending:
            break
        await asyncio.sleep(0.2)
    cpu2 = server.cpu_seconds()
    if server.profile:
        Path(server.profile).unlink()
    await asyncio.sleep(1.5)  # the stats file is rewritten every second
    stats1, reads1, lag1 = server.stats(), server.read_calls(), server.hub_lag()
    frames1 = sum(s.frames for s in live), sum(s.bytes for s in live)

    latencies: list[float] = []
    missing = 0
    for c in changes:
        for s in receivers(c, live):
            if c.seq in s.seen:
                latencies.append((s.seen[c.seq] - c.committed) * 1000)
            else:
                missing += 1
    deliveries = sum(len(receivers(c, live)) for c in changes)
    hub0, hub1 = stats0["hub"], stats1["hub"]
    live0, live1 = stats0["live"], stats1["live"]

    def delta(a: dict[str, Any], b: dict[str, Any], key: str) -> float:
        return float(b.get(key, 0) - a.get(key, 0))

    n_changes = len(changes)
    hub_queries = delta(hub0, hub1, "db_queries")
    shared = delta(hub0, hub1, "shared_computes")
    reads = sum(reads1.values()) - sum(reads0.values())
    result = {
        "case": name,
        "sessions": len(sessions),
        "live_sessions": len(live),
        "workspaces": len(spaces),
        "changes": n_changes,
        "expected_deliveries": deliveries,
        "missing": missing,
        "latency_ms": {
            "p50": round(pct(latencies, 0.50), 1),
            "p95": round(pct(latencies, 0.95), 1),
            "p99": round(pct(latencies, 0.99), 1),
            "max": round(max(latencies), 1) if latencies else None,
            "mean": round(statistics.fmean(latencies), 1) if latencies else None,
        },
        "write_ms_p50": round(pct([c.write_ms for c in changes], 0.5), 1),
        "per_change": {
            "hub_db_queries": round(hub_queries / n_changes, 2),
            "hub_batches": round(delta(hub0, hub1, "batches") / n_changes, 2),
            "shared_reads": round(shared / n_changes, 2),
            "shared_hits": round(delta(hub0, hub1, "shared_hits") / n_changes, 1),
            "read_path_calls": round(reads / n_changes, 2),
            "refreshes": round(delta(live0, live1, "refreshes") / n_changes, 1),
            "fallback_loads": round(delta(live0, live1, "fallbacks") / n_changes, 2),
            "unchanged_skips": round(delta(live0, live1, "unchanged") / n_changes, 1),
            "mean_read_ms": round(
                delta(live0, live1, "read_ms") / max(1, delta(live0, live1, "refreshes")), 1
            ),
            "mean_shared_compute_ms": round(
                delta(hub0, hub1, "shared_compute_us") / 1000 / max(1.0, shared), 1
            ),
            "mean_shared_total_ms": round(
                delta(hub0, hub1, "shared_total_us") / 1000 / max(1.0, shared), 1
            ),
            "mean_signal_to_applied_ms": round(
                delta(live0, live1, "signal_to_applied_ms")
                / max(1, delta(live0, live1, "refreshes")),
                1,
            ),
            "mean_hub_lag_ms": round(
                1000 * (lag1[0] - lag0[0]) / max(1.0, lag1[1] - lag0[1]),
                1,
            ),
            "model_one_read_per_subscriber": round(2 * deliveries / n_changes, 1),
            "applies": round(delta(live0, live1, "applies") / n_changes, 1),
            "mean_apply_us": round(
                delta(live0, live1, "apply_us") / max(1, delta(live0, live1, "applies"))
            ),
            "mean_apply_wait_us": round(
                delta(live0, live1, "apply_wait_us") / max(1, delta(live0, live1, "applies"))
            ),
            "gc2_ms": round(delta(live0, live1, "gc2_us") / 1000 / n_changes, 1),
        },
        "cpu": {
            "connect_ms_per_session": round((cpu1 - cpu0) * 1000 / max(1, len(live)), 2),
            "stream_s": round(cpu2 - cpu1, 2),
            "ms_per_delivery": round((cpu2 - cpu1) * 1000 / max(1, deliveries), 3),
        },
        "rss_mb": {
            "before": round(rss0, 1),
            "after_connect": round(rss1, 1),
            "kb_per_session": round((rss1 - rss0) * 1024 / max(1, len(live)), 1),
        },
        "connect_s": round(connect_s, 1),
        "frames_per_session": round(statistics.fmean(s.frames for s in live), 1) if live else 0,
        "stream_frames_per_change": round((frames1[0] - frames0[0]) / n_changes, 1),
        "stream_kb_per_frame": round(
            (frames1[1] - frames0[1]) / 1024 / max(1, frames1[0] - frames0[0]), 1
        ),
        "listeners": stats1.get("listeners"),
        "subscribers": stats1.get("subscribers"),
    }
    await close_all(sessions, tasks)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.stats().get("listeners", 0) > 0:
        await asyncio.sleep(0.5)
    result["listeners_after_close"] = server.stats().get("listeners")
    return result


def report(result: dict[str, Any]) -> None:
    lat, per, cpu, rss = result["latency_ms"], result["per_change"], result["cpu"], result["rss_mb"]
    print(
        f"\n== case {result['case']}: {result['live_sessions']}/{result['sessions']} live sessions,"
        f" {result['workspaces']} workspace(s), {result['changes']} changes,"
        f" {result['expected_deliveries']} expected deliveries, {result['missing']} missing\n"
        f"   commit->delta latency: p50 {lat['p50']} ms  p95 {lat['p95']} ms  p99 {lat['p99']} ms"
        f"  max {lat['max']} ms  (write itself p50 {result['write_ms_p50']} ms)\n"
        f"   per change: {per['hub_db_queries']} hub queries ({per['hub_batches']} batches),"
        f" {per['shared_reads']} shared reads ({per['shared_hits']} sessions served from them),"
        f" {per['read_path_calls']} read-path calls in the app,"
        f" {per['fallback_loads']} per-tab fallback loads,"
        f" {per['unchanged_skips']} refreshes skipped (nothing new);"
        f" mean hub lag {per['mean_hub_lag_ms']} ms, shared read {per['mean_read_ms']} ms"
        f" ({per['mean_shared_compute_ms']} ms computing of {per['mean_shared_total_ms']} ms),"
        f" signal->applied {per['mean_signal_to_applied_ms']} ms;"
        f" {per['applies']} applies, {per['mean_apply_us']} us each under the lock"
        f" (+{per['mean_apply_wait_us']} us waiting); full GC {per['gc2_ms']} ms;"
        f" one-read-per-subscriber model: {per['model_one_read_per_subscriber']} reads\n"
        f"   backend CPU: {cpu['ms_per_delivery']} ms per delivered session update,"
        f" {cpu['stream_s']} s for the stream; connect {cpu['connect_ms_per_session']} ms/session\n"
        f"   backend RSS: {rss['before']} -> {rss['after_connect']} MB,"
        f" {rss['kb_per_session']} KB per session; {result['stream_frames_per_change']} frames"
        f" per change, {result['stream_kb_per_frame']} KB each; listeners after close:"
        f" {result['listeners_after_close']}",
        flush=True,
    )


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    rng = random.Random(7)
    name, _url = await asyncio.to_thread(create_database)
    log(f"database {name}")
    server: Server | None = None
    results: list[dict[str, Any]] = []
    try:
        cases = [c for c in ("a", "b") if c in args.cases]
        spaces: dict[str, list[Workspace]] = {}
        if "a" in cases:
            spaces["a"] = await asyncio.to_thread(seed, args.leads, 1)
        if "b" in cases:
            spaces["b"] = await asyncio.to_thread(seed, args.leads, args.workspaces)
        people = [p for ws in (w for v in spaces.values() for w in v) for p in ws.people]
        people = [p for p in people if p.role in GLOBAL_ROLES or p.role == "SETTER"]
        log(f"seeded; signing in {len(people)} users")
        await asyncio.to_thread(login_people, people)
        stats_dir = Path(tempfile.mkdtemp(prefix="rtbench-"))
        server = Server(
            str(stats_dir / "live-stats"),
            Path(args.log),
            worker=not args.no_worker,
            profile=args.profile or "",
            workers=args.workers,
        )
        log(f"starting the app on {server.base} (log: {args.log})")
        await asyncio.to_thread(server.wait_ready)
        for case in cases:
            if case == "a":
                result = await run_case(
                    "a", server, spaces["a"], args.sessions, args.changes, args.interval, rng
                )
            else:
                result = await run_case(
                    "b", server, spaces["b"], args.sessions, args.rounds, args.interval, rng
                )
            report(result)
            results.append(result)
    finally:
        if server is not None:
            server.stop()
        if not args.keep_db:
            await asyncio.to_thread(drop_database, name)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 sessions, fewer changes")
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--leads", type=int, default=2000, help="leads of case a's workspace")
    parser.add_argument("--workspaces", type=int, default=50, help="workspaces of case b")
    parser.add_argument("--changes", type=int, default=30, help="changes in case a")
    parser.add_argument("--rounds", type=int, default=0, help="rounds in case b (default 10)")
    parser.add_argument("--interval", type=float, default=2.0, help="pause between writes (s)")
    parser.add_argument("--cases", default="ab")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="backend workers; more than 1 runs Reflex's Redis state manager",
    )
    parser.add_argument("--no-worker", action="store_true", help="no job worker (no COUNTS)")
    parser.add_argument(
        "--profile", metavar="PATH", help="cProfile the app's event loop during each stream"
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--hub-lead-delay",
        type=float,
        metavar="S",
        help="run the app with INBOXAPP_REALTIME_LEAD_DELAY_S=S (the hub's leading edge)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument(
        "--log", default=str(Path(tempfile.gettempdir()) / "inboxapp-rtbench-app.log")
    )
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.changes = min(args.sessions, 50), min(args.changes, 10)
    if not args.rounds:
        args.rounds = 4 if args.quick else 10
    if args.hub_lead_delay is not None:
        os.environ["INBOXAPP_REALTIME_LEAD_DELAY_S"] = str(args.hub_lead_delay)
    settings = {
        k: os.environ.get(k, "")
        for k in (
            "INBOXAPP_REALTIME_LEAD_DELAY_S",
            "INBOXAPP_LIVE_DEBOUNCE_S",
            "INBOXAPP_LIVE_LEADING",
            "INBOXAPP_LIVE_APPLY_CONCURRENCY",
        )
    }
    log(f"app settings: {settings}")
    results = asyncio.run(main_async(args))
    for result in results:
        result["settings"] = settings
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Event flood: another user's latency while one tab floods the server, gate on vs off.

    .venv/bin/python -m benchmarks.flood            # 5,000 flood events/s, 40 round trips
    .venv/bin/python -m benchmarks.flood --json     # ... and one JSON object, last line

What it does, once per mode, on a fresh production server (``reflex run --env prod``, one
worker) over a seeded scratch database:

1. Two users of one workspace sign in; each opens a browserless tab on the inbox
   (:class:`tests.reflex_socket.Tab`) and waits until its first loads landed.
2. Quiet: the victim sends ``--trips`` searches, ten a second (a fast typist); a round trip
   is from sending to seeing the value come back in a delta.
3. Flood: the other tab sends searches (each would start a background list read), ``--batch``
   every 10 ms, for as long as the victim repeats its round trips (at least ``--flood``).

4. Then the flooding tab sends one search every 50 ms until one comes back: how long that takes
   is its backlog (what the flooding tab queued for itself).

Modes: ``gate`` (the defaults of ``FloodSettings``) and ``naive`` (the buckets so large that
nothing is dropped: what the server did before the event gate). The ratio that matters is the
victim's p95 during the flood over its quiet p95 (goal: within 2x with the gate).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.common import p50, p95
from benchmarks.realtime import (
    Server,
    create_database,
    drop_database,
    log,
    login_people,
    seed,
)
from inboxapp.config import FloodSettings, env_name
from inboxapp.state.inbox import InboxState
from tests.reflex_socket import Tab, handler, route, storage_of

SEARCH = handler(InboxState, "set_search")
PACE_S = 0.1
"""The victim types like a fast person (10 events/s), well inside a tab's budget."""
UNLIMITED = "100000"
NAIVE = {
    env_name(FloodSettings, field): UNLIMITED
    for field in ("tab_burst", "tab_rate", "user_burst", "user_rate")
}


async def trips(tab: Tab, count: int) -> list[float]:
    """``count`` round trips at a person's pace (one every ``PACE_S``)."""
    out = []
    for _ in range(count):
        out.append(await round_trip(tab))
        await asyncio.sleep(PACE_S)
    return out


async def served_again(tab: Tab) -> float:
    """Milliseconds until the tab is served again: a search every 50 ms until one comes back
    (the server may still be reading the flood, and throttling it, when the first arrives)."""
    value = f"back{uuid.uuid4().hex[:10]}"
    seen = len(tab.frames)
    start = time.perf_counter()
    while not any(value in frame for frame in tab.frames[seen:]):
        if time.perf_counter() > start + 120:
            raise SystemExit("the flooding tab was not served again in 120 s")
        await tab.send(SEARCH, {"value": value})
        await asyncio.sleep(0.05)
    return (time.perf_counter() - start) * 1000


async def round_trip(tab: Tab) -> float:
    value = f"rt{uuid.uuid4().hex[:10]}"
    start = time.perf_counter()
    seen = len(tab.frames)
    await tab.send(SEARCH, {"value": value})
    deadline = start + 120
    while not any(value in frame for frame in tab.frames[seen:]):
        if time.perf_counter() > deadline:
            raise SystemExit("a round trip got no answer in 120 s")
        await asyncio.sleep(0.001)
    return (time.perf_counter() - start) * 1000


async def settled(tab: Tab) -> None:
    if not await tab.wait_for(lambda t: '"live_status_rx_state_":"live"' in t.replace(" ", "")):
        raise SystemExit(f"the tab never went live: {tab.text()[-500:]}")


async def measure(
    base: str, client_id: str, victim: Any, flooder: Any, args: Any
) -> dict[str, Any]:
    page = route("/", {"clientId": client_id})
    tabs = [Tab(base, str(uuid.uuid4())) for _ in range(2)]
    for tab, person in zip(tabs, (victim, flooder), strict=True):
        await tab.connect(storage_of(person.tokens.access_token, person.tokens.refresh_token), page)
    quiet_tab, flood_tab = tabs
    try:
        for tab in tabs:
            await settled(tab)
        quiet = await trips(quiet_tab, args.trips)

        done = asyncio.Event()

        async def flood() -> int:
            sent = 0
            while not done.is_set() or sent < args.flood:
                await flood_tab.send(SEARCH, {"value": f"flood {sent} {uuid.uuid4().hex[:6]}"})
                sent += 1
                if sent % args.batch == 0:
                    await asyncio.sleep(0.01)  # the socket's pace: a batch every 10 ms
            return sent

        sender = asyncio.create_task(flood())
        await asyncio.sleep(0)
        busy = await trips(quiet_tab, args.trips)
        done.set()
        sent = await sender
        backlog_ms = await served_again(flood_tab)
    finally:
        for tab in tabs:
            await tab.close()
    return {
        "quietP50Ms": p50(quiet),
        "quietP95Ms": p95(quiet),
        "floodP50Ms": p50(busy),
        "floodP95Ms": p95(busy),
        "p95Ratio": p95(busy) / p95(quiet),
        "floodEvents": sent,
        "floodTabBacklogMs": backlog_ms,
    }


def run_mode(mode: str, workspace: Any, args: Any) -> dict[str, Any]:
    saved = {k: os.environ.get(k) for k in NAIVE}
    if mode == "naive":
        os.environ.update(NAIVE)
    folder = Path(tempfile.mkdtemp(prefix="floodbench-"))
    server = Server(str(folder / "stats"), folder / "app.log", worker=False)
    try:
        server.wait_ready()
        victim, flooder = workspace.global_people[:2]
        return asyncio.run(measure(server.base, workspace.client_id, victim, flooder, args))
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", type=int, default=4000, help="least events the flood sends")
    parser.add_argument("--batch", type=int, default=50, help="flood events per 10 ms")
    parser.add_argument("--trips", type=int, default=40, help="victim round trips per phase")
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print one JSON object, last line")
    args = parser.parse_args()
    name, _url = create_database()
    try:
        (workspace,) = seed(args.leads, 1)
        people = workspace.global_people[:2]
        login_people(people)
        results = {}
        for mode in ("naive", "gate"):
            log(f"mode {mode}: starting the app")
            results[mode] = run_mode(mode, workspace, args)
            r = results[mode]
            print(
                f"{mode:6} quiet p50 {r['quietP50Ms']:7.1f} ms p95 {r['quietP95Ms']:7.1f} ms | "
                f"flood p50 {r['floodP50Ms']:7.1f} ms p95 {r['floodP95Ms']:7.1f} ms | "
                f"p95 ratio {r['p95Ratio']:5.2f}x | {r['floodEvents']} flood events, the "
                f"flooding tab served again after {r['floodTabBacklogMs']:.0f} ms",
                flush=True,
            )
        gain = results["naive"]["floodP95Ms"] / results["gate"]["floodP95Ms"]
        print(f"victim p95 during the flood: naive / gate = {gain:.1f}x")
        if args.json:
            print(json.dumps({"benchmark": "flood", **results, "naiveOverGateP95": gain}))
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()

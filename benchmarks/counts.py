"""Materialized counts vs the live query, on a ~10,000-lead and the largest workspace, in one run.

Prints p50/p95 of the materialized read (one indexed lookup through RLS) and of the live
``COUNT(*) FILTER`` query, their ratio, the recompute duration, and write-to-visible freshness
(a write through the service layer until the counts read path shows it, with a real worker).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/inboxapp_scale \
        .venv/bin/python -m benchmarks.counts [--runs 30] [--fresh 20]

``BENCH_WORKER_ARGS`` passes arguments to the job worker (e.g. ``--queues counts``: counts
only, to see what the other queues cost the freshness).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid

import sqlalchemy as sa

from benchmarks.common import fmt, p50, p95, timed
from inboxapp.config import PROJECT_ROOT
from inboxapp.counts.read import read_materialized
from inboxapp.counts.recompute import recompute_workspace
from inboxapp.db.engine import owner_session, user_session
from inboxapp.inbox import actions, queries, read
from inboxapp.jobs.tasks import install_hooks
from inboxapp.seed.scale import seed_scale


def workspaces() -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """(clientId, owner, leads): one near 10,000 leads (seeded if missing) and the largest."""
    sql = sa.text(
        'SELECT c.id, c."ownerUserId", count(l.id) AS n FROM "Client" c'
        ' JOIN "Lead" l ON l."clientId" = c.id GROUP BY c.id ORDER BY n'
    )
    with owner_session() as s:
        rows = s.execute(sql).all()
    small = [r for r in rows if 5_000 <= r.n <= 20_000]
    if not small:
        seed_scale(10_000)
        with owner_session() as s:
            rows = s.execute(sql).all()
        small = [r for r in rows if 5_000 <= r.n <= 20_000]
    return [
        (small[0].id, small[0].ownerUserId, int(small[0].n)),
        (rows[-1].id, rows[-1].ownerUserId, int(rows[-1].n)),
    ]


def start_worker() -> subprocess.Popen[bytes]:
    extra = os.environ.get("BENCH_WORKER_ARGS", "").split()
    proc = subprocess.Popen(
        [sys.executable, "-m", "inboxapp", "worker", *extra],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(3)
    return proc


def freshness(client_id: uuid.UUID, owner: uuid.UUID, samples: int) -> list[float]:
    """Write (status flip) -> first read-path response that shows it, in milliseconds."""
    with owner_session() as s:
        lead = s.execute(
            sa.text(
                'SELECT id FROM "Lead" WHERE "clientId" = :c AND "snoozedUntil" IS NULL'
                " AND status <> 'needs_repair' LIMIT 1"
            ),
            {"c": client_id},
        ).scalar_one()
    out = []
    for i in range(samples):
        before = read.counts(owner, client_id).data["counts"]["needsRepair"]
        status = "needs_repair" if i % 2 == 0 else "new"
        want = before + (1 if status == "needs_repair" else -1)
        start = time.perf_counter()
        actions.set_status(owner, client_id, lead, status)
        while read.counts(owner, client_id).data["counts"]["needsRepair"] != want:
            if time.perf_counter() - start > 30:
                raise RuntimeError("write not visible after 30 s: is the worker running?")
            time.sleep(0.01)
        out.append((time.perf_counter() - start) * 1000)
    return out


def measure(client_id: uuid.UUID, owner: uuid.UUID, n: int, runs: int, fresh_n: int) -> None:
    recompute = [recompute_workspace(client_id).duration_ms for _ in range(3)]
    with user_session(owner) as s:
        access = queries.require_access(s, owner, client_id)

    def materialized() -> None:
        with user_session(owner) as s:
            assert read_materialized(s, access) is not None

    def live() -> None:
        with user_session(owner) as s:
            queries.fetch_live_counts(s, access)

    mat = timed(materialized, runs)
    liv = timed(live, max(5, runs // 5), warmup=1)
    fresh = freshness(client_id, owner, fresh_n)
    print(f"\n{n:>9,} leads  materialized read {fmt(mat)}")
    print(f"{'':>16}live COUNT query  {fmt(liv)}  -> {p50(liv) / p50(mat):,.0f}x slower")
    print(f"{'':>16}recompute         p50 {p50(recompute):8.1f} ms")
    print(f"{'':>16}write-to-visible  p50 {p50(fresh):8.1f} ms  p95 {p95(fresh):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--fresh", type=int, default=20, help="freshness samples per size")
    args = parser.parse_args()
    install_hooks()
    worker = start_worker()
    try:
        for client_id, owner, n in workspaces():
            measure(client_id, owner, n, args.runs, args.fresh)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(15)


if __name__ == "__main__":
    main()

"""Job engine: enqueue-to-start latency (p50/p95) and throughput of no-op jobs, 1 and 2 workers.

Creates a scratch database next to the admin database (``TEST_ADMIN_DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``), migrates it, runs real worker processes
(``python -m inboxapp.jobs.cli worker``) and drops the database at the end.

* latency: jobs enqueued one at a time (as the web process does: runtime role) at a steady rate
  well below capacity; ``started.at - deferred.at`` from ``procrastinate_events`` (one database
  clock), i.e. insert commit -> NOTIFY -> fetch by a worker.
* throughput: a batch inserted in one statement while the workers are idle; jobs per second from
  the first ``started`` to the last ``succeeded`` event.

The no-op job goes through the full worker path (task middleware: queueing-lock hygiene, Redis
status writes, structured logs), like every production job. Usage:

    .venv/bin/python -m benchmarks.jobs [--quick] [--concurrency 2] [--no-status]
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from procrastinate import Blueprint

NAMESPACE = "bench"
if __name__ == "__main__":  # the workers import this module as benchmarks.jobs; this is fine
    logging.getLogger("procrastinate.blueprints").setLevel(logging.ERROR)
blueprint = Blueprint()
ADMIN_URL = os.environ.get(
    "TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ROOT = Path(__file__).resolve().parent.parent
WORKER_CMD = (sys.executable, "-m", "inboxapp.jobs.cli", "worker")


@blueprint.task(name="noop", queue="bench", retry=False)
def noop(seq: int, client_id: str | None = None) -> None:
    """Does nothing: what is measured is the job engine around it."""


def _db_url(admin: str, name: str) -> str:
    base, _, query = admin.partition("?")
    return base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _q(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    from inboxapp.jobs.app import connect

    with connect("owner", autocommit=True) as conn:
        cur = conn.execute(sql, params or None)
        return cur.fetchall() if cur.description else []


def _start_workers(n: int, concurrency: int, log_dir: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        log = (log_dir / f"worker-{n}-{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [*WORKER_CMD, "--queues", "bench", "--concurrency", str(concurrency)],
                cwd=ROOT,
                env=dict(os.environ),
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        fresh = _q(
            "SELECT count(*) FROM procrastinate_workers"
            " WHERE last_heartbeat > now() - interval '3 seconds'"
        )[0][0]
        if fresh >= n:
            time.sleep(0.5)  # let the listeners LISTEN
            return procs
        if any(p.poll() is not None for p in procs):
            raise RuntimeError(f"a worker exited early; see {log_dir}")
        time.sleep(0.1)
    raise RuntimeError("workers did not start")


def _stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


def _wait_done(job_ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = _q(
            "SELECT count(*) FROM procrastinate_jobs WHERE id = ANY(%s)"
            " AND status IN ('todo', 'doing')",
            job_ids,
        )[0][0]
        if left == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"jobs not done after {timeout} s")


def _events(job_ids: list[int], kind: str) -> dict[int, float]:
    rows = _q(
        "SELECT job_id, extract(epoch FROM at)::float FROM procrastinate_events"
        " WHERE job_id = ANY(%s) AND type = %s::procrastinate_job_event_type",
        job_ids,
        kind,
    )
    return {job_id: at for job_id, at in rows}


def measure(
    workers: int, concurrency: int, n_latency: int, n_batch: int, log_dir: Path, status: bool
) -> dict[str, float]:
    from inboxapp.jobs.app import open_sync

    app = open_sync()  # runtime role, like the web process
    cid = str(uuid.uuid4()) if status else None
    procs = _start_workers(workers, concurrency, log_dir)
    try:
        deferrer = app.configure_task(f"{NAMESPACE}:noop", queue="bench")
        for i in range(5):  # warm-up
            _wait_done([int(deferrer.defer(seq=-i, client_id=cid))], 30)
        ids = []
        for i in range(n_latency):
            ids.append(int(deferrer.defer(seq=i, client_id=cid)))
            time.sleep(0.02)
        _wait_done(ids, 60)
        deferred, started = _events(ids, "deferred"), _events(ids, "started")
        latency = [(started[j] - deferred[j]) * 1000 for j in ids]

        kwargs = [{"seq": i, "client_id": cid} for i in range(n_batch)]
        batch = [int(j) for j in deferrer.batch_defer(*kwargs)]
        _wait_done(batch, 300)
        first = min(_events(batch, "started").values())
        last = max(_events(batch, "succeeded").values())
    finally:
        _stop_workers(procs)
    return {
        "p50": _pct(latency, 0.5),
        "p95": _pct(latency, 0.95),
        "max": max(latency),
        "throughput": n_batch / (last - first),
        "batch_s": last - first,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs (about 30 s)")
    parser.add_argument("--concurrency", type=int, default=2, help="jobs per worker (2)")
    parser.add_argument("--no-status", action="store_true", help="jobs without a client id")
    args = parser.parse_args()
    n_latency, n_batch = (60, 300) if args.quick else (300, 2000)

    name = f"inboxapp_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        DATABASE_URL=_db_url(ADMIN_URL, name),
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        INBOXAPP_JOBS_EXTRA_MODULES="benchmarks.jobs",
        INBOXAPP_JOBS_SWEEP_CRON="off",
        INBOXAPP_JOBS_STALLED_CRON="off",
        INBOXAPP_JOBS_PRUNE_CRON="off",
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "INFO"),
    )
    os.environ.pop("APP_DATABASE_URL", None)
    try:
        from inboxapp.db.migrate import upgrade
        from inboxapp.jobs.app import job_settings

        upgrade()
        poll = job_settings().poll_interval_s
        rows = []
        with tempfile.TemporaryDirectory(prefix="jobs-bench-") as tmp:
            for workers in (1, 2):
                r = measure(
                    workers, args.concurrency, n_latency, n_batch, Path(tmp), not args.no_status
                )
                rows.append((workers, r))
        print(
            f"\nno-op jobs, {os.cpu_count()} CPUs, concurrency {args.concurrency} per worker,"
            f" poll {poll} s + LISTEN/NOTIFY, Redis status {'off' if args.no_status else 'on'};"
            f" latency over {n_latency} jobs (one every 20 ms), throughput over {n_batch}"
        )
        print(f"{'workers':>7}  {'latency p50':>11}  {'p95':>8}  {'max':>8}  {'throughput':>14}")
        for workers, r in rows:
            print(
                f"{workers:>7}  {r['p50']:>8.1f} ms  {r['p95']:>5.1f} ms  {r['max']:>5.1f} ms"
                f"  {r['throughput']:>8.0f} jobs/s"
            )
    finally:
        from inboxapp.jobs.app import reset_app

        reset_app()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

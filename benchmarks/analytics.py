"""Analytics read path on the largest workspace (``seed --scale``: 1,000,000 leads, ~5,000,000
messages): rollup rebuild time, then cold (cache miss: access check + rollup queries + Redis
write) and warm (Redis hit) p50/p95 of ``parts=core``, ``parts=breakdowns`` and every tab
through the read-path functions, against the raw-scan baseline (the same per-day facts and KPIs
computed from Message/Lead directly, as :func:`inboxapp.analytics.queries.raw_overview_core`).
Runs as the workspace owner through RLS, like the app; one setter is measured too.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/inboxapp_scale \\
        .venv/bin/python -m benchmarks.analytics [--quick] [--window 30d] [--skip-rebuild]

Redis: ``REDIS_URL`` (default ``redis://127.0.0.1:6379/13``). Targets (issue 8): core cold
< 300 ms, warm < 20 ms.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from benchmarks.common import fmt, largest_workspace, p50, p95, timed
from inboxapp.analytics import queries, read, rollup
from inboxapp.analytics.windows import parse_window
from inboxapp.cache.store import get_cache
from inboxapp.db.engine import owner_session, user_session
from inboxapp.inbox.read import ReadResult

TARGETS_MS = {"core": (300.0, 20.0)}


def _setter_of(client_id: uuid.UUID) -> uuid.UUID | None:
    with owner_session() as s:
        return s.execute(
            sa.text(
                'SELECT "assignedToUserId" FROM "Lead" WHERE "clientId" = :c'
                ' AND "assignedToUserId" IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1'
            ),
            {"c": client_id},
        ).scalar_one_or_none()


def _counts(client_id: uuid.UUID) -> tuple[int, int]:
    with owner_session() as s:
        msgs = s.execute(
            sa.text('SELECT count(*) FROM "Message" WHERE "clientId" = :c'), {"c": client_id}
        ).scalar_one()
        rows = s.execute(
            sa.text('SELECT count(*) FROM analytics_daily WHERE "clientId" = :c'), {"c": client_id}
        ).scalar_one()
    return int(msgs), int(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--runs", type=int, default=None, help="cold runs (warm: 4x)")
    parser.add_argument("--window", default="30d", help="7d, 30d or 90d (30d)")
    parser.add_argument("--skip-rebuild", action="store_true", help="use the stored rollups")
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")  # read by get_cache() below
    cold_runs = args.runs or (5 if args.quick else 20)
    warm_runs = cold_runs * 4
    raw_runs = 1 if args.quick else 3

    client_id, owner, n_leads = largest_workspace()
    n_msgs, _ = _counts(client_id)
    cache = get_cache()
    if not cache.available or cache.version(rollup.NAMESPACE, client_id) is None:
        raise SystemExit(f"Redis is not reachable at {os.environ['REDIS_URL']}")
    print(f"workspace {client_id}: {n_leads:,} leads, {n_msgs:,} messages")

    if not args.skip_rebuild:
        started = time.perf_counter()
        result = rollup.rebuild_workspace(client_id)
        rebuild_s = time.perf_counter() - started
        print(
            f"rebuild: {result.days} days, {result.rows:,} rollup rows in {rebuild_s:.1f} s"
            f" ({result.cleared} dirty day marks cleared)"
        )
        started = time.perf_counter()
        one = rollup.rollup_workspace(client_id, _last_day(client_id))
        print(f"incremental rollup of one (the latest) day: {one.rows:,} rows in "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")  # fmt: skip
    _, n_rows = _counts(client_id)
    spec = parse_window(args.window)
    access, window = read.access_and_window(owner, client_id, spec)
    assert window is not None
    print(
        f"window {window.key}: {window.start} .. {window.end} ({window.tz});"
        f" analytics_daily rows in workspace: {n_rows:,}; cold {cold_runs} runs,"
        f" warm {warm_runs} runs\n"
    )

    crm = queries.parse_crm_params(window=None, sort="-updatedAt", limit=50)
    targets: list[tuple[str, Callable[[], ReadResult]]] = [
        ("overview parts=core", lambda: read.overview(owner, client_id, spec, "core")),
        ("overview parts=breakdowns", lambda: read.overview(owner, client_id, spec, "breakdowns")),
        ("overview parts=all", lambda: read.overview(owner, client_id, spec, "all")),
        ("campaigns", lambda: read.campaigns(owner, client_id, spec)),
        ("setters", lambda: read.setters(owner, client_id, spec)),
        ("response-timing", lambda: read.response_timing(owner, client_id, spec)),
        ("crm rows (first page)", lambda: read.crm_rows(owner, client_id, crm)),
    ]
    setter = _setter_of(client_id)
    if setter is not None:
        targets.append(
            ("overview core as SETTER", lambda: read.overview(setter, client_id, spec, "core"))
        )

    def raw() -> dict[str, Any]:
        with user_session(owner) as s:
            return queries.raw_overview_core(s, access, window)

    raw_ms = timed(raw, raw_runs, warmup=0)
    with user_session(owner) as s:
        assert queries.raw_overview_core(s, access, window) == queries.overview_core(
            s, access, window
        ), "rollup KPIs differ from the raw scan"
    print(f"raw-scan baseline (core KPIs from Message/Lead, {raw_runs} run(s)): {fmt(raw_ms)}")
    print("  (equal to the rollup KPIs: checked)\n")

    header = (
        f"{'read path':<27} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9}"
        f" {'raw/cold':>9} {'raw/warm':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, fn in targets:
        cold = _cold(fn, cold_runs, client_id)
        warm = _warm(fn, warm_runs)
        print(
            f"{name:<27} {p50(cold):9.2f} {p95(cold):9.2f} {p50(warm):9.2f} {p95(warm):9.2f}"
            f" {p50(raw_ms) / p50(cold):8.0f}x {p50(raw_ms) / p50(warm):8.0f}x"
        )
    core_cold = _cold(targets[0][1], cold_runs, client_id)
    core_warm = _warm(targets[0][1], warm_runs)
    cold_target, warm_target = TARGETS_MS["core"]
    print(
        f"\ncore: cold p95 {p95(core_cold):.1f} ms (target < {cold_target:.0f}),"
        f" warm p95 {p95(core_warm):.2f} ms (target < {warm_target:.0f}):"
        f" {'OK' if p95(core_cold) < cold_target and p95(core_warm) < warm_target else 'MISSED'}"
    )


def _last_day(client_id: uuid.UUID) -> Any:
    with owner_session() as s:
        return s.execute(
            sa.select(sa.func.max(rollup.DAILY.c.day)).where(rollup.DAILY.c.clientId == client_id)
        ).scalar_one()


def _cold(fn: Callable[[], ReadResult], runs: int, client_id: uuid.UUID) -> list[float]:
    """Each call after a version bump: a cache miss, computed and stored."""
    cache = get_cache()
    out = []
    for _ in range(runs):
        cache.bump(rollup.NAMESPACE, client_id)
        started = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - started) * 1000)
        assert result.cache == "miss", result.cache
    return out


def _warm(fn: Callable[[], ReadResult], runs: int) -> list[float]:
    fn()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - started) * 1000)
        assert result.cache == "hit", result.cache
    return out


if __name__ == "__main__":
    main()

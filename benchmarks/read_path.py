"""The cached read path vs the legacy direct path, and single-flight under a cold stampede.

1. 200 concurrent cold requests for one key (after a version bump) -> database data queries
   counted with a SQLAlchemy statement listener: single-flight must make it exactly 1.
2. p50/p95 of cold (miss), warm (hit) and legacy (no cache) reads of counts and the first page.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/inboxapp_scale \
        .venv/bin/python -m benchmarks.read_path [--runs 30] [--concurrency 200]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from benchmarks.common import fmt, largest_workspace, p50, timed
from inboxapp.cache.store import get_cache
from inboxapp.counts.recompute import recompute_workspace
from inboxapp.db.engine import runtime_engine
from inboxapp.inbox import queries, read
from inboxapp.inbox.params import ListParams

DATA_MARKERS = ('FROM "Lead"', "FROM inbox_counts")


class QueryCounter:
    """Counts data statements (not access checks) sent by the runtime engine."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        event.listen(runtime_engine(), "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if any(marker in statement for marker in DATA_MARKERS):
            with self._lock:
                self.count += 1


def stampede(n: int, fn: Callable[[], Any]) -> list[str]:
    barrier = threading.Barrier(n)
    statuses: list[str] = []

    def worker() -> None:
        barrier.wait()
        statuses.append(fn().cache)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    client_id, owner, n = largest_workspace()
    cache = get_cache()
    assert cache.available, "Redis is needed for this benchmark (REDIS_URL)"
    counter = QueryCounter()
    recompute_workspace(client_id)  # counts are served from the materialized row
    print(f"workspace {client_id}: {n:,} leads\n")

    first_page = ListParams(filter="all", limit=50)
    reads: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "counts": (
            lambda: read.counts(owner, client_id),
            lambda: queries.live_counts(owner, client_id),
        ),
        "first page": (
            lambda: read.conversations(owner, client_id, first_page),
            lambda: queries.list_conversations(owner, client_id, first_page),
        ),
    }
    for name, (cached, legacy) in reads.items():
        cached()  # make sure a materialized counts row exists
        cache.bump(read.NAMESPACE, client_id)
        counter.count = 0
        started = time.perf_counter()
        statuses = stampede(args.concurrency, cached)
        wall = (time.perf_counter() - started) * 1000
        print(
            f"{name}: {args.concurrency} concurrent cold requests -> {counter.count} data"
            f" quer{'y' if counter.count == 1 else 'ies'}; {statuses.count('miss')} miss,"
            f" {statuses.count('hit')} hit, {statuses.count('bypass')} bypass; {wall:.0f} ms"
        )

        def cold(fn: Callable[[], Any] = cached) -> None:
            cache.bump(read.NAMESPACE, client_id)
            fn()

        cold_ms = timed(cold, args.runs)
        warm_ms = timed(cached, args.runs)
        legacy_ms = timed(legacy, max(5, args.runs // 3), warmup=1)
        print(f"  cold   {fmt(cold_ms)}")
        print(f"  warm   {fmt(warm_ms)}")
        print(
            f"  legacy {fmt(legacy_ms)}  (warm is {p50(legacy_ms) / p50(warm_ms):,.1f}x faster,"
            f" cold {p50(legacy_ms) / p50(cold_ms):,.1f}x)\n"
        )


if __name__ == "__main__":
    main()

"""Scrape-time metrics: sampled when ``/api/metrics`` is scraped, and the job-run counters.

:mod:`inboxapp.observability.metrics` is a leaf (every module may record into it); what needs
the database, Redis or the realtime hub to be sampled lives here, registered on the same
registry when this module is imported (by the metrics route and the job worker):

* gauges: realtime subscribers, job queue depth / retries / dead letter, counts staleness;
* ``inboxapp_job_runs_total`` and friends: counted by every worker in the Redis hash
  :data:`~inboxapp.observability.metrics.JOB_COUNTERS_KEY` (:func:`observe_job_outcome`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from inboxapp.cache.invalid import report_invalid
from inboxapp.cache.store import get_cache
from inboxapp.db.engine import owner_session
from inboxapp.logs import get_logger
from inboxapp.observability.metrics import JOB_COUNTERS_KEY, JOB_OUTCOMES, REGISTRY, SAMPLE_TTL_S
from inboxapp.realtime import subscription

log = get_logger(__name__)


def observe_job_outcome(task: str, outcome: str) -> None:
    """Count one job run (``succeeded|retrying|failed``) in Redis; best effort."""
    cache = get_cache()
    if not cache.available:
        return
    try:
        cache.client.hincrby(JOB_COUNTERS_KEY, f"{task}:{outcome}", 1)
    except Exception as exc:  # never fail a job because of a metric
        log.debug("metrics.job_counter_failed", error=type(exc).__name__)


# -- scrape-time samplers -----------------------------------------------------------------------

_JOBS_SQL = (
    "SELECT queue_name, status::text AS status, count(*)::int AS n,"
    " count(*) FILTER (WHERE attempts > 0)::int AS retried"
    " FROM procrastinate.procrastinate_jobs"
    " WHERE status IN ('todo', 'doing', 'failed') GROUP BY 1, 2"
)
_STALENESS_SQL = (
    'SELECT count(*)::int AS n, extract(epoch FROM clock_timestamp() - min("dirtyAt"))::float'
    " AS age FROM public.inbox_counts_dirty"
)


def _sample_database() -> dict[str, Any]:
    with owner_session() as s:
        s.execute(sa.text("SET LOCAL statement_timeout = 1000"))
        jobs = [dict(r._mapping) for r in s.execute(sa.text(_JOBS_SQL))]
        staleness = s.execute(sa.text(_STALENESS_SQL)).one()
    return {"jobs": jobs, "dirty": int(staleness.n), "age": float(staleness.age or 0.0)}


def _sample_job_counters() -> dict[str, int]:
    cache = get_cache()
    if not cache.available:
        raise ConnectionError("redis unavailable")
    raw: dict[bytes, bytes] = cache.client.hgetall(JOB_COUNTERS_KEY)  # type: ignore[assignment]
    counters: dict[str, int] = {}
    for field, value in raw.items():
        if value.isdigit() and len(value) <= 18:
            counters[field.decode(errors="replace")] = int(value)
        else:  # one garbage field must not hide the others
            report_invalid("metrics:job-runs", "not_a_counter")
    return counters


def _realtime_subscribers() -> int:
    hub = subscription._hub
    if hub is None or hub.closed:
        return 0
    for _ in range(3):  # the hub mutates on its event loop thread; retry a torn read
        try:
            return hub.subscriber_count()
        except RuntimeError:
            continue
    return 0


class ScrapeCollector(Collector):
    """Gauges and cross-process counters sampled when ``/api/metrics`` is scraped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._db: tuple[float, dict[str, Any] | None] = (0.0, None)
        self._warned = -1e9

    def describe(self) -> Iterable[Metric]:
        return []  # nothing sampled at registration

    def forget(self) -> None:
        """Drop the cached database sample (tests)."""
        with self._lock:
            self._db = (0.0, None)

    def _database(self) -> dict[str, Any] | None:
        with self._lock:
            at, cached = self._db
            if time.monotonic() - at < SAMPLE_TTL_S:
                return cached
            try:
                value: dict[str, Any] | None = _sample_database()
            except Exception as exc:
                if time.monotonic() - self._warned > 60:  # rate-limited
                    self._warned = time.monotonic()
                    log.warning(
                        "metrics.sample_failed", source="database", error=type(exc).__name__
                    )
                value = None
            self._db = (time.monotonic(), value)
            return value

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "inboxapp_metrics_source_up",
            "1 when the scrape-time source answered",
            labels=["source"],
        )
        subs = GaugeMetricFamily(
            "inboxapp_realtime_subscribers", "Realtime subscriptions registered in this process"
        )
        subs.add_metric([], _realtime_subscribers())
        yield subs

        db = self._database()
        up.add_metric(["database"], 1 if db is not None else 0)
        if db is not None:
            yield from self._job_gauges(db["jobs"])
            age = GaugeMetricFamily(
                "inboxapp_counts_staleness_seconds",
                "Age of the oldest inbox_counts_dirty mark (0: nothing dirty)",
            )
            age.add_metric([], max(0.0, db["age"]))
            yield age
            dirty = GaugeMetricFamily(
                "inboxapp_counts_dirty_workspaces", "Workspaces whose counts await a recompute"
            )
            dirty.add_metric([], db["dirty"])
            yield dirty

        try:
            counters: dict[str, int] | None = _sample_job_counters()
        except Exception as exc:
            log.debug("metrics.sample_failed", source="redis", error=type(exc).__name__)
            counters = None
        up.add_metric(["redis"], 1 if counters is not None else 0)
        if counters is not None:
            yield from self._job_counters(counters)
        yield up

    @staticmethod
    def _job_gauges(rows: list[dict[str, Any]]) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "inboxapp_job_queue_depth",
            "Jobs queued (todo) or running (doing)",
            labels=["queue", "status"],
        )
        waiting = GaugeMetricFamily(
            "inboxapp_jobs_waiting_retry",
            "Queued jobs that already failed at least once",
            labels=["queue"],
        )
        dead = GaugeMetricFamily(
            "inboxapp_jobs_dead", "Jobs that exhausted their attempts (failed)", labels=["queue"]
        )
        retrying: dict[str, int] = {}
        for row in rows:
            queue, status = str(row["queue_name"]), str(row["status"])
            if status == "failed":
                dead.add_metric([queue], row["n"])
            else:
                depth.add_metric([queue, status], row["n"])
                if status == "todo":
                    retrying[queue] = retrying.get(queue, 0) + int(row["retried"])
        for queue, n in sorted(retrying.items()):
            waiting.add_metric([queue], n)
        yield depth
        yield waiting
        yield dead

    @staticmethod
    def _job_counters(counters: dict[str, int]) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "inboxapp_job_runs", "Job runs by outcome (all workers)", labels=["task", "outcome"]
        )
        retries = CounterMetricFamily(
            "inboxapp_job_retries", "Job runs that failed and will be retried", labels=["task"]
        )
        failures = CounterMetricFamily(
            "inboxapp_job_failures", "Job runs that failed for good (dead letter)", labels=["task"]
        )
        for key, n in sorted(counters.items()):
            task, _, outcome = key.rpartition(":")
            if outcome not in JOB_OUTCOMES or not task:
                continue
            runs.add_metric([task, outcome], n)
            if outcome == "retrying":
                retries.add_metric([task], n)
            elif outcome == "failed":
                failures.add_metric([task], n)
        yield runs
        yield retries
        yield failures


SCRAPE = ScrapeCollector()
REGISTRY.register(SCRAPE)

"""Prometheus metrics of one process (a process-local registry, no multiprocess mode).

Instrumented code calls the small ``observe_*`` helpers (one line at each call site); the
``GET /api/metrics`` route (:mod:`inboxapp.api.metrics_routes`) renders :data:`REGISTRY`.

Recorded as they happen (this process):

* ``inboxapp_http_request_duration_seconds{method,route,status}``: every HTTP request; ``route``
  is the matched template (``/api/inbox/conversations/{leadId}``), ``/api/unmatched`` for other
  API paths and ``frontend`` for everything else (bounded label values); ``status`` is the class
  (``2xx``...).
* ``inboxapp_inbox_fetch_seconds{endpoint,cache}`` / ``inboxapp_analytics_fetch_seconds{kind,
  cache}``: read-path calls (:func:`timed_read`), whoever called them (HTTP API or Reflex state).
* ``inboxapp_cache_requests_total{namespace,kind,status}`` (``hit|miss|bypass``) and
  ``inboxapp_cache_redis_errors_total``. Hit ratio: ``sum(rate(..{status="hit"}[5m])) /
  sum(rate(..[5m]))``.
* ``inboxapp_events_dropped_total{reason}`` (``malformed|unknown|mistyped|throttled|no_tab``):
  browser events the event gate (:mod:`inboxapp.state.event_gate`) refused.
* ``inboxapp_realtime_delivery_lag_seconds``: per hub batch, from the first change notification
  the process received to the delivery to its subscribers (batch window + access queries);
  ``inboxapp_realtime_deliveries_total``.

Sampled at scrape time (cheap, bounded queries; a failing source is skipped and reported by
``inboxapp_metrics_source_up{source}`` = 0, never an error):

* ``inboxapp_realtime_subscribers``: subscriptions registered with this process's hub.
* ``inboxapp_job_queue_depth{queue,status}`` (``todo``/``doing``), ``inboxapp_jobs_waiting_retry
  {queue}``, ``inboxapp_jobs_dead{queue}`` (``failed``: the dead letter) from
  ``procrastinate_jobs``.
* ``inboxapp_job_runs_total{task,outcome}``, ``inboxapp_job_retries_total{task}``,
  ``inboxapp_job_failures_total{task}``: counted by the workers' job middleware (other
  processes) in the Redis hash :data:`JOB_COUNTERS_KEY`, read here. Lost while Redis is down.
* ``inboxapp_counts_staleness_seconds`` (age of the oldest ``inbox_counts_dirty`` mark; 0 when
  nothing is dirty) and ``inboxapp_counts_dirty_workspaces``. A mark is refreshed by each new
  change, so a workspace that keeps changing looks "young": watch the dirty count too.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ParamSpec, TypeVar

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from inboxapp.logs import get_logger

log = get_logger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # what generate_latest renders; every Prometheus reads it
JOB_COUNTERS_KEY = "metrics:v1:jobs"
"""Redis hash ``{"<task>:<outcome>": n}`` written by the workers' job middleware."""
JOB_OUTCOMES = ("succeeded", "retrying", "failed")
CACHE_STATUSES = frozenset({"hit", "miss", "bypass"})
SAMPLE_TTL_S = 1.0
"""Scrape-time database samples are reused for this long (many scrapers, one query)."""

disable_created_metrics()  # no ``*_created`` series: half the output, no value for dashboards
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_SECONDS = Histogram(
    "inboxapp_http_request_duration_seconds",
    "HTTP request latency to the response headers, by route template",
    ["method", "route", "status"],
    buckets=_FAST,
    registry=REGISTRY,
)
INBOX_FETCH_SECONDS = Histogram(
    "inboxapp_inbox_fetch_seconds",
    "Inbox read-path latency (access check + cache + query)",
    ["endpoint", "cache"],
    buckets=_FAST,
    registry=REGISTRY,
)
ANALYTICS_FETCH_SECONDS = Histogram(
    "inboxapp_analytics_fetch_seconds",
    "Analytics read-path latency",
    ["kind", "cache"],
    buckets=_FAST,
    registry=REGISTRY,
)
CACHE_REQUESTS = Counter(
    "inboxapp_cache_requests",
    "Read-path cache outcomes",
    ["namespace", "kind", "status"],
    registry=REGISTRY,
)
CACHE_REDIS_ERRORS = Counter(
    "inboxapp_cache_redis_errors",
    "Redis errors seen by the read-through cache (each starts a bypass cool-down)",
    registry=REGISTRY,
)
EVENTS_DROPPED = Counter(
    "inboxapp_events_dropped",
    "Browser events the event gate dropped before Reflex queued them",
    ["reason"],
    registry=REGISTRY,
)
REALTIME_LAG_SECONDS = Histogram(
    "inboxapp_realtime_delivery_lag_seconds",
    "First change notification received -> delivered to this process's subscribers",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
REALTIME_DELIVERIES = Counter(
    "inboxapp_realtime_deliveries",
    "Invalidation events handed to subscriptions",
    registry=REGISTRY,
)

_HISTOGRAMS = {"inbox": INBOX_FETCH_SECONDS, "analytics": ANALYTICS_FETCH_SECONDS}


# -- helpers for instrumented code (one line at each call site) ----------------------------------


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


def observe_http(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_SECONDS.labels(method or "", route, status_class(status)).observe(seconds)


def observe_cache(namespace: str, kind: str, status: str) -> None:
    CACHE_REQUESTS.labels(namespace, kind, status).inc()


def observe_cache_error() -> None:
    CACHE_REDIS_ERRORS.inc()


def observe_fetch(namespace: str, kind: str, cache: str, seconds: float) -> None:
    """One read-path call: its latency and its cache outcome."""
    histogram = _HISTOGRAMS.get(namespace)
    if histogram is not None:
        histogram.labels(kind, cache).observe(seconds)
    if cache in CACHE_STATUSES:
        observe_cache(namespace, kind, cache)


def timed_read(namespace: str, kind: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator for read-path functions returning an object with ``.cache`` (hit/miss/bypass).

    ``@timed_read("inbox", "counts")``. A call that raised (403, 404, a database error) is timed
    with ``cache="error"`` and not counted as a cache outcome.
    """

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            cache = "error"
            try:
                result = fn(*args, **kwargs)
                cache = str(getattr(result, "cache", None) or "none")
                return result
            finally:
                observe_fetch(namespace, kind, cache, time.perf_counter() - started)

        return timed

    return wrap


def observe_job_outcome(task: str, outcome: str) -> None:
    """Count one job run (``succeeded|retrying|failed``) in Redis; best effort."""
    from inboxapp.cache.store import get_cache

    cache = get_cache()
    if not cache.available:
        return
    try:
        cache.client.hincrby(JOB_COUNTERS_KEY, f"{task}:{outcome}", 1)
    except Exception as exc:  # never fail a job because of a metric
        log.debug("metrics.job_counter_failed", error=type(exc).__name__)


def observe_realtime_delivery(lag_seconds: float, deliveries: int) -> None:
    REALTIME_LAG_SECONDS.observe(max(0.0, lag_seconds))
    REALTIME_DELIVERIES.inc(deliveries)


def render() -> bytes:
    """The registry in the Prometheus text format (runs the scrape-time samplers)."""
    return generate_latest(REGISTRY)


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
    import sqlalchemy as sa

    from inboxapp.db.engine import owner_session

    with owner_session() as s:
        s.execute(sa.text("SET LOCAL statement_timeout = 1000"))
        jobs = [dict(r._mapping) for r in s.execute(sa.text(_JOBS_SQL))]
        staleness = s.execute(sa.text(_STALENESS_SQL)).one()
    return {"jobs": jobs, "dirty": int(staleness.n), "age": float(staleness.age or 0.0)}


def _sample_job_counters() -> dict[str, int]:
    from inboxapp.cache.store import get_cache

    cache = get_cache()
    if not cache.available:
        raise ConnectionError("redis unavailable")
    raw: dict[bytes, bytes] = cache.client.hgetall(JOB_COUNTERS_KEY)  # type: ignore[assignment]
    counters: dict[str, int] = {}
    for field, value in raw.items():
        if value.isdigit() and len(value) <= 18:
            counters[field.decode(errors="replace")] = int(value)
        else:  # one garbage field must not hide the others
            from inboxapp.cache.invalid import report_invalid

            report_invalid("metrics:job-runs", "not_a_counter")
    return counters


def _realtime_subscribers() -> int:
    from inboxapp.realtime import subscription

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

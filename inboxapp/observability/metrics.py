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

Sampled at scrape time by :mod:`inboxapp.observability.collectors` (cheap, bounded queries;
a failing source is skipped and reported by ``inboxapp_metrics_source_up{source}`` = 0, never
an error):

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
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

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


def observe_realtime_delivery(lag_seconds: float, deliveries: int) -> None:
    REALTIME_LAG_SECONDS.observe(max(0.0, lag_seconds))
    REALTIME_DELIVERIES.inc(deliveries)


def render() -> bytes:
    """The registry in the Prometheus text format (runs the scrape-time samplers)."""
    return generate_latest(REGISTRY)

"""The procrastinate ``App``, its connector and the job settings; all built lazily.

* Importing this module does no I/O and reads no settings. :func:`get_app` builds the ``App``
  once per process and registers the tasks of :mod:`inboxapp.jobs.tasks` (and of the modules in
  ``INBOXAPP_JOBS_EXTRA_MODULES``, or the test tasks when ``INBOXAPP_TEST_TASKS=1``).
* Connection roles. The worker and the operator CLI use the owner connection
  (``use_role("owner")`` before first use): jobs are system work across workspaces. Everything
  else (the web process) enqueues as the runtime login role ``authenticator``, which migration
  0004 allows to insert and read jobs, nothing more.
* Every connection sets ``search_path=procrastinate``: procrastinate's SQL is unqualified and its
  objects live in their own schema (see alembic revision 0004).
* Sync callers (web requests, CLI) go through a small psycopg pool opened without waiting
  (:func:`open_sync`); the worker opens the async pool itself (``app.open_async()``), after
  which sync calls made from task threads are routed onto the worker's event loop.
"""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import croniter
import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate import exceptions as pexc
from psycopg_pool import ConnectionPool

from inboxapp.config import ConfigError, get_settings, libpq_url

SCHEMA = "procrastinate"
NAMESPACE = "inboxapp"
"""Task names are ``inboxapp:<name>``; the job kind (status key, API) is ``<name>``."""
TEST_TASKS_MODULE = "tests.jobs_testing_tasks"
CONNECT_KWARGS: dict[str, str] = {
    "options": f"-c search_path={SCHEMA}",
    "application_name": "inboxapp-jobs",
}

ConnectionRole = Literal["owner", "runtime"]


@dataclass(frozen=True)
class JobSettings:
    """Job engine tuning, from ``INBOXAPP_JOBS_*`` environment variables (defaults here)."""

    poll_interval_s: float = 0.5
    """Fallback poll (LISTEN/NOTIFY wakes workers on enqueue); bounds how late a retry starts."""
    concurrency: int = 2
    rollup_delay_s: float = 5.0
    """An analytics rollup queued by a write starts this much later: a burst of writes makes one
    rollup, and it keeps out of the way of the counts recompute those writes also queued."""
    heartbeat_s: float = 10.0
    stalled_after_s: float = 60.0
    """A ``doing`` job whose worker has not sent a heartbeat for this long is retried."""
    sweep_cron: str | None = "* * * * *"
    stalled_cron: str | None = "* * * * * */30"
    prune_cron: str | None = "17 3 * * *"
    keep_hours: int = 72
    """Succeeded/cancelled jobs older than this are pruned; failed (dead) jobs are kept."""
    max_attempts: int = 5
    """Total runs of a job (first run included) before it is dead-lettered."""
    retry_base_s: float = 5.0
    retry_cap_s: float = 600.0
    retry_jitter: float = 0.2
    sweep_lookback_s: float = 3600.0
    """First sweep ever: how far back to look for changed leads / expired snoozes."""
    sweep_overlap_s: float = 10.0
    """Each sweep re-reads this much before the previous one (late commits are not missed)."""
    shutdown_timeout_s: float = 30.0
    extra_modules: tuple[str, ...] = ()


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value.strip() if value is not None and value.strip() != "" else None


def _number(name: str, default: float, low: float, high: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"invalid configuration: {name}: not a number") from None
    if not low <= value <= high:
        raise ConfigError(f"invalid configuration: {name}: must be between {low:g} and {high:g}")
    return value


def _cron(name: str, default: str) -> str | None:
    raw = _env(name) or default
    if raw.lower() in ("off", "none", "disabled"):
        return None
    if not croniter.croniter.is_valid(raw):
        raise ConfigError(f"invalid configuration: {name}: not a cron expression")
    return raw


@lru_cache(maxsize=1)
def job_settings() -> JobSettings:
    """Read and validate the job settings once per process (``cache_clear()`` in tests)."""
    d = JobSettings()
    modules = tuple(m.strip() for m in (_env("INBOXAPP_JOBS_EXTRA_MODULES") or "").split(","))
    modules = tuple(m for m in modules if m)
    if _env("INBOXAPP_TEST_TASKS") in ("1", "true", "yes") and TEST_TASKS_MODULE not in modules:
        modules += (TEST_TASKS_MODULE,)
    s = JobSettings(
        poll_interval_s=_number("INBOXAPP_JOBS_POLL_S", d.poll_interval_s, 0.05, 60),
        concurrency=int(_number("INBOXAPP_JOBS_CONCURRENCY", d.concurrency, 1, 64)),
        rollup_delay_s=_number("INBOXAPP_JOBS_ROLLUP_DELAY_S", d.rollup_delay_s, 0, 3600),
        heartbeat_s=_number("INBOXAPP_JOBS_HEARTBEAT_S", d.heartbeat_s, 0.1, 600),
        stalled_after_s=_number("INBOXAPP_JOBS_STALLED_AFTER_S", d.stalled_after_s, 0.5, 86400),
        sweep_cron=_cron("INBOXAPP_JOBS_SWEEP_CRON", "* * * * *"),
        stalled_cron=_cron("INBOXAPP_JOBS_STALLED_CRON", "* * * * * */30"),
        prune_cron=_cron("INBOXAPP_JOBS_PRUNE_CRON", "17 3 * * *"),
        keep_hours=int(_number("INBOXAPP_JOBS_KEEP_HOURS", d.keep_hours, 1, 24 * 365)),
        max_attempts=int(_number("INBOXAPP_JOBS_MAX_ATTEMPTS", d.max_attempts, 1, 100)),
        retry_base_s=_number("INBOXAPP_JOBS_RETRY_BASE_S", d.retry_base_s, 0.01, 3600),
        retry_cap_s=_number("INBOXAPP_JOBS_RETRY_CAP_S", d.retry_cap_s, 0.01, 86400),
        retry_jitter=_number("INBOXAPP_JOBS_RETRY_JITTER", d.retry_jitter, 0, 0.5),
        sweep_lookback_s=_number(
            "INBOXAPP_JOBS_SWEEP_LOOKBACK_S", d.sweep_lookback_s, 0, 86400 * 7
        ),
        sweep_overlap_s=_number("INBOXAPP_JOBS_SWEEP_OVERLAP_S", d.sweep_overlap_s, 0, 3600),
        shutdown_timeout_s=_number("INBOXAPP_JOBS_SHUTDOWN_S", d.shutdown_timeout_s, 0, 3600),
        extra_modules=modules,
    )
    if s.stalled_after_s < 2 * s.heartbeat_s:
        raise ConfigError(
            "invalid configuration: INBOXAPP_JOBS_STALLED_AFTER_S must be at least twice"
            " INBOXAPP_JOBS_HEARTBEAT_S (or live workers' jobs would be retried)"
        )
    return s


# -- the App ---------------------------------------------------------------------------------


class _State:
    def __init__(self) -> None:
        self.app: App | None = None
        self.connector: PsycopgConnector | None = None
        self.role: ConnectionRole = "runtime"
        self.pool_max: int = 4
        self.sync_pool: ConnectionPool | None = None


_state = _State()
_lock = threading.RLock()


def conninfo(role: ConnectionRole) -> str:
    settings = get_settings()
    return libpq_url(settings.owner_url if role == "owner" else settings.runtime_url)


def connect(role: ConnectionRole = "owner", **kwargs: object) -> psycopg.Connection:
    """A standalone psycopg connection with the job schema on its search path (CLI, tests)."""
    return psycopg.connect(conninfo(role), **CONNECT_KWARGS, **kwargs)  # type: ignore[arg-type]


def _new_connector() -> PsycopgConnector:
    return PsycopgConnector(
        conninfo=conninfo(_state.role),
        kwargs=dict(CONNECT_KWARGS),
        min_size=1,
        max_size=_state.pool_max,
        timeout=10.0,
        name=f"jobs-{_state.role}",
    )


def _install_connector(app: App) -> None:
    connector = _new_connector()
    _state.connector = connector
    app.connector = connector
    app.job_manager.connector = connector


def _is_async_open() -> bool:
    if _state.connector is None:
        return False
    try:
        _state.connector.pool  # noqa: B018  (raises AppNotOpen until open_async)
    except pexc.AppNotOpen:
        return False
    return True


def use_role(role: ConnectionRole, *, pool_max: int | None = None) -> None:
    """Choose the connection role (and async pool size) before the app is opened."""
    with _lock:
        size = pool_max or _state.pool_max
        if role == _state.role and size == _state.pool_max:
            return
        if _is_async_open():
            raise RuntimeError("the job app is open: choose its role before opening it")
        _close_sync_pool()
        _state.role, _state.pool_max = role, size
        if _state.app is not None:
            _install_connector(_state.app)


def current_role() -> ConnectionRole:
    return _state.role


def _build_app() -> App:
    from inboxapp.jobs.tasks import blueprint
    from inboxapp.pipeline.inbound.jobs import blueprint as inbound

    _state.connector = _new_connector()
    app = App(connector=_state.connector)
    app.add_tasks_from(blueprint, namespace=NAMESPACE)
    app.add_tasks_from(inbound, namespace=NAMESPACE)
    for module_name in job_settings().extra_modules:
        module = importlib.import_module(module_name)
        app.add_tasks_from(module.blueprint, namespace=module.NAMESPACE)
    return app


def get_app() -> App:
    """The process's App (built on first use; tasks registered once)."""
    with _lock:
        if _state.app is None:
            _state.app = _build_app()
        return _state.app


def open_sync() -> App:
    """The App, ready for synchronous calls (defer, queries) from this thread.

    In the worker (async pool open) this is the app itself; elsewhere a small sync pool is
    opened without waiting for connections, so a database outage fails the call, not startup.
    """
    app = get_app()
    with _lock:
        if _is_async_open() or _state.sync_pool is not None:
            return app
        pool = ConnectionPool(
            conninfo(_state.role),
            kwargs=dict(CONNECT_KWARGS),
            min_size=1,
            max_size=4,
            timeout=5.0,
            open=False,
            check=ConnectionPool.check_connection,
            name=f"jobs-sync-{_state.role}",
        )
        pool.open(wait=False)
        app.open(pool)
        _state.sync_pool = pool
        return app


def _close_sync_pool() -> None:
    if _state.sync_pool is not None:
        _state.sync_pool.close()
        _state.sync_pool = None
        if _state.app is not None:
            _install_connector(_state.app)


def reset_app() -> None:
    """Close the sync pool and forget settings (tests, after the environment changed).

    The App and its registered tasks are kept; the next use reconnects with fresh settings.
    """
    with _lock:
        if _is_async_open():
            raise RuntimeError("the job app is open in this process (worker)")
        _close_sync_pool()
        job_settings.cache_clear()
        if _state.app is not None:
            _install_connector(_state.app)

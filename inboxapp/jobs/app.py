"""The procrastinate ``App``, its connector and the job settings; all built lazily.

* Importing this module does no I/O and reads no settings. :func:`get_app` builds the ``App``
  once per process with the tasks of every blueprint handed to :func:`register` (each task
  module registers its own when it is imported: :mod:`inboxapp.jobs.tasks`,
  :mod:`inboxapp.pipeline.inbound.jobs`) and of the modules
  :attr:`~inboxapp.config.JobSettings.task_modules` names (extra modules, the test tasks).
  Nothing here imports a task module: the task modules depend on this one, never the reverse.
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
import threading
from typing import Literal

import psycopg
from procrastinate import App, Blueprint, PsycopgConnector
from procrastinate import exceptions as pexc
from psycopg_pool import ConnectionPool

from inboxapp.config import get_settings, job_settings, libpq_url

SCHEMA = "procrastinate"
NAMESPACE = "inboxapp"
"""Task names are ``inboxapp:<name>``; the job kind (status key, API) is ``<name>``."""


def job_kind(task_name: str) -> str:
    """``inboxapp:recompute_inbox_counts`` -> ``recompute_inbox_counts``."""
    return task_name.rsplit(":", 1)[-1]


CONNECT_KWARGS: dict[str, str] = {
    "options": f"-c search_path={SCHEMA}",
    "application_name": "inboxapp-jobs",
}

ConnectionRole = Literal["owner", "runtime"]


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
_blueprints: list[Blueprint] = []


def register(blueprint: Blueprint) -> Blueprint:
    """Add ``blueprint``'s tasks to the process's App (now, or when it is built)."""
    with _lock:
        if any(b is blueprint for b in _blueprints):
            return blueprint
        _blueprints.append(blueprint)
        if _state.app is not None:
            _state.app.add_tasks_from(blueprint, namespace=NAMESPACE)
    return blueprint


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
    _state.connector = _new_connector()
    app = App(connector=_state.connector)
    for blueprint in _blueprints:
        app.add_tasks_from(blueprint, namespace=NAMESPACE)
    for module_name in job_settings().task_modules:
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


def worker_stopped(role: ConnectionRole) -> None:
    """After an in-process worker ran (``jobs run-once``, tests): back to ``role`` (the one
    before the worker) with a fresh, closed connector, so the next :func:`open_sync` in this
    process opens a sync pool again."""
    with _lock:
        _close_sync_pool()
        _state.role = role
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

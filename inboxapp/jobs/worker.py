"""The worker process, the task middleware around every job, and operator queries.

* :func:`run_worker`: ``python -m inboxapp worker``. Owner connection, LISTEN/NOTIFY for new
  jobs plus a short fallback poll (``JobSettings.poll_interval_s``, 0.5 s: a retry scheduled for
  time T starts by T + poll), heartbeats, the periodic tasks, graceful stop on SIGTERM/SIGINT
  (running jobs finish, up to ``JobSettings.shutdown_timeout_s``). Several workers on several
  machines share the queue safely: jobs are taken with ``FOR UPDATE SKIP LOCKED`` and
  per-workspace ``lock`` values keep one job per workspace and kind running at a time.
* :func:`job_middleware`: around every (sync) task: clears the job's queueing lock once it runs
  (so a retry can never collide with a newer queued job of the same lock, procrastinate issues
  #1446/#1543), binds ``jobId/task/clientId/attempt`` to the log context, logs start (with the
  enqueue-to-start wait) and finish (``latencyMs`` = run time), and writes the Redis status.
  Tasks here are sync (run in worker threads); an ``async def`` task would not be wrapped
  (procrastinate applies sync middleware to sync tasks only): add an async twin first.
* Logs never carry exception messages (they may contain PII): the error code (class name or
  app error code) and the innermost frame (``errorAt``) instead; procrastinate's own failure
  lines are filtered the same way (:class:`DropExceptionMessages`).
* :func:`register_periodic`: the periodic tasks of every task module (the worker is where the
  task modules meet; operator queries are in :mod:`inboxapp.jobs.queue`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
import structlog
from procrastinate import App
from procrastinate.job_context import JobContext
from procrastinate.worker import Worker

from inboxapp.config import get_settings, job_settings
from inboxapp.db.engine import owner_session
from inboxapp.jobs.app import (
    SCHEMA,
    connect,
    current_role,
    get_app,
    job_kind,
    use_role,
    worker_stopped,
)
from inboxapp.jobs.queue import error_code, error_location
from inboxapp.jobs.status import now_iso, valid_client_id, write_status
from inboxapp.jobs.tasks import (
    JitteredBackoff,
    prune_finished_jobs,
    recover_stalled_jobs,
    sweep,
)
from inboxapp.logs import bind_context, configure_logging, get_logger
from inboxapp.observability.collectors import observe_job_outcome
from inboxapp.pipeline.inbound.jobs import requeue_stranded_webhooks
from inboxapp.pipeline.outbound.delivery import requeue_stranded_outbox

log = get_logger("inboxapp.jobs")


class DropExceptionMessages(logging.Filter):
    """procrastinate logs a failed job with its exception, whose message may carry PII (an
    email in an upstream error...): keep the line and the exception class, drop the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("procrastinate") and record.exc_info:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} [{type(exc).__name__}]"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


_ON_START = sa.text(
    f"""
WITH cleared AS (
    UPDATE {SCHEMA}.procrastinate_jobs SET queueing_lock = NULL
    WHERE id = :id AND status = 'doing' AND queueing_lock IS NOT NULL
    RETURNING id
)
SELECT (extract(epoch FROM clock_timestamp() - greatest(
           (SELECT max(e.at) FROM {SCHEMA}.procrastinate_events e
             WHERE e.job_id = :id AND e.type IN ('deferred', 'deferred_for_retry', 'retried')),
           j.scheduled_at)) * 1000)::bigint AS wait_ms,
       (SELECT count(*) FROM cleared) AS cleared
FROM {SCHEMA}.procrastinate_jobs j WHERE j.id = :id
"""
)
_DEPTH = sa.text(
    f"SELECT count(*) FROM {SCHEMA}.procrastinate_jobs"
    " WHERE args ->> 'client_id' = :cid AND task_name = :task AND status IN ('todo', 'doing')"
)


def _on_start(job_id: int) -> int | None:
    """Clear the running job's queueing lock; return its enqueue-to-start wait in ms."""
    with owner_session() as s:
        row = s.execute(_ON_START, {"id": job_id}).one_or_none()
    return None if row is None or row.wait_ms is None else int(row.wait_ms)


def _depth(task_name: str, client_id: str) -> int | None:
    """Other active (queued or running) jobs of this kind for the workspace."""
    try:
        with owner_session() as s:
            n = s.execute(_DEPTH, {"cid": client_id, "task": task_name}).scalar_one()
    except sa.exc.SQLAlchemyError:
        return None
    return max(0, int(n) - 1)  # minus the job being finished (still "doing")


def job_middleware(call_next: Callable[[], Any], context: JobContext, worker: Worker) -> Any:
    """Sync task middleware: status, logs and queueing-lock hygiene around one job run."""
    job = context.job
    assert job.id is not None
    kind = job_kind(job.task_name)
    client_id = valid_client_id(job.task_kwargs.get("client_id"))
    attempt = job.attempts + 1
    bound = {"jobId": job.id, "task": kind, "clientId": client_id, "attempt": attempt}
    if isinstance(job.task_kwargs.get("request_id"), str):
        bound["requestId"] = job.task_kwargs["request_id"]  # the request that enqueued it
    bind_context(**bound)
    try:
        wait_ms = _on_start(job.id)
        log.info("job started", queueWaitMs=wait_ms)
        if client_id:
            write_status(
                client_id,
                kind,
                state="running",
                attempts=attempt,
                jobId=job.id,
                startedAt=now_iso(),
            )
        t0 = time.perf_counter()
        try:
            result = call_next()
        except Exception as exc:
            latency = round((time.perf_counter() - t0) * 1000)
            task = context.app.tasks.get(job.task_name)
            will_retry = bool(task and task.get_retry_exception(exception=exc, job=job))
            strategy = task.retry_strategy if task else None
            next_ms = (
                round(strategy.delay_s(job.id, job.attempts) * 1000)
                if will_retry and isinstance(strategy, JitteredBackoff)
                else None
            )
            code = error_code(exc)
            if client_id:
                write_status(
                    client_id,
                    kind,
                    state="retrying" if will_retry else "failed",
                    attempts=attempt,
                    lastDurationMs=latency,
                    lastErrorCode=code,
                    nextRetryInMs=next_ms,
                    queueDepth=_depth(job.task_name, client_id),
                )
            observe_job_outcome(kind, "retrying" if will_retry else "failed")
            log.warning(
                "job failed",
                latencyMs=latency,
                errorCode=code,
                errorAt=error_location(exc),
                willRetry=will_retry,
                nextRetryInMs=next_ms,
            )
            raise
        latency = round((time.perf_counter() - t0) * 1000)
        if client_id:
            write_status(
                client_id,
                kind,
                state="succeeded",
                attempts=attempt,
                lastSuccessAt=now_iso(),
                lastDurationMs=latency,
                queueDepth=_depth(job.task_name, client_id),
            )
        observe_job_outcome(kind, "succeeded")
        log.info("job finished", latencyMs=latency, outcome="succeeded")
        return result
    finally:
        structlog.contextvars.unbind_contextvars(*bound)


def worker_options(
    *,
    concurrency: int,
    queues: Sequence[str] | None,
    name: str,
    wait: bool,
) -> dict[str, Any]:
    s = job_settings()
    return {
        "concurrency": concurrency,
        "queues": list(queues) if queues else None,
        "name": name,
        "wait": wait,
        "fetch_job_polling_interval": s.poll_interval_s,
        "abort_job_polling_interval": max(s.poll_interval_s, 2.0),
        "listen_notify": wait,
        "update_heartbeat_interval": s.heartbeat_s,
        "stalled_worker_timeout": s.stalled_after_s,
        "shutdown_graceful_timeout": s.shutdown_timeout_s,
        "task_middleware": [job_middleware],
        "install_signal_handlers": True,
    }


def run_worker(
    *,
    concurrency: int | None = None,
    queues: Sequence[str] | None = None,
    name: str | None = None,
    wait: bool = True,
) -> None:
    """Run a worker until stopped (``wait``) or until the queues are empty (``wait=False``)."""
    configure_logging(get_settings().log_level)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, DropExceptionMessages) for f in handler.filters):
            handler.addFilter(DropExceptionMessages())
    s = job_settings()
    slots = concurrency or s.concurrency
    role_before = current_role()
    use_role("owner", pool_max=slots + 4)
    app = get_app()
    if wait:
        register_periodic(app)
    options = worker_options(
        concurrency=slots,
        queues=queues,
        name=name or f"{socket.gethostname()}:{os.getpid()}",
        wait=wait,
    )
    log.info(
        "worker starting",
        worker=options["name"],
        concurrency=slots,
        queues=options["queues"],
        pollS=s.poll_interval_s,
        oneShot=not wait,
    )

    async def main() -> None:
        async with app.open_async():
            await app.run_worker_async(**options)

    try:
        asyncio.run(main())
    finally:
        worker_stopped(role_before)
    log.info("worker stopped", worker=options["name"])


def _ready_and_scheduled(queues: Sequence[str] | None) -> tuple[int, int]:
    with connect("owner") as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE scheduled_at IS NULL OR scheduled_at <= now()),"
            " count(*) FILTER (WHERE scheduled_at > now())"
            " FROM procrastinate_jobs WHERE status = 'todo'"
            " AND (%(q)s::text[] IS NULL OR queue_name = ANY(%(q)s::text[]))",
            {"q": list(queues) if queues else None},
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def run_until_empty(
    *, concurrency: int | None = None, queues: Sequence[str] | None = None, max_rounds: int = 100
) -> dict[str, int]:
    """``jobs run-once``: run one-shot workers until no job is ready in ``queues``.

    A one-shot procrastinate worker stops as soon as a fetch comes back empty, so jobs enqueued
    by the jobs it is running (a sweep enqueues recomputes) would be left behind: go again until
    nothing is ready. Retries scheduled for later are left for a real worker (reported).
    """
    rounds = 0
    ready, scheduled = _ready_and_scheduled(queues)
    while ready and rounds < max_rounds:
        run_worker(concurrency=concurrency, queues=queues, wait=False)
        rounds += 1
        ready, scheduled = _ready_and_scheduled(queues)
    return {"rounds": rounds, "ready": ready, "scheduled": scheduled}


def register_periodic(app: App) -> None:
    """Schedule the periodic tasks (worker only; crons from the job settings, ``off`` skips)."""
    s = job_settings()
    registry = app.periodic_registry
    schedule = (
        (sweep, s.sweep_cron, "jobs:sweep"),
        (recover_stalled_jobs, s.stalled_cron, "jobs:recover"),
        (prune_finished_jobs, s.prune_cron, "jobs:prune"),
        (requeue_stranded_webhooks, s.sweep_cron, "jobs:webhooks"),
        (requeue_stranded_outbox, s.sweep_cron, "jobs:outbox"),
    )
    for task, cron, queueing_lock in schedule:
        if cron is None or (task.name, "") in registry.periodic_tasks:
            continue
        # queueing_lock only, never lock: a stalled periodic job must not block its successors.
        registry.register_task(
            task=task, cron=cron, periodic_id="", configure_kwargs={"queueing_lock": queueing_lock}
        )

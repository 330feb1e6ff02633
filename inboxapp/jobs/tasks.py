"""Task definitions, the retry strategy and the enqueue helpers.

Jobs (names are ``inboxapp:<kind>``; each is idempotent and safe to run twice):

* ``recompute_inbox_counts(client_id)`` on queue ``counts``: ``lock`` and ``queueing_lock``
  ``counts:{clientId}``: at most one queued and one running per workspace, so a burst of changes
  enqueues one job (:func:`enqueue_recompute` swallows ``AlreadyEnqueued``). Calls
  ``inboxapp.counts.recompute.recompute_workspace(uuid)`` when that module exists.
* ``rollup_analytics(client_id, day=None)`` on queue ``analytics``: calls
  ``inboxapp.analytics.rollup.rollup_workspace(uuid, date | None)`` when it exists.
* ``sweep`` (periodic, every minute by default) on queue ``maintenance``: enqueues a recompute for
  dirty workspaces (``public.inbox_counts_dirty`` when that table exists, otherwise workspaces
  whose leads changed since the last sweep) and for workspaces with snoozes that expired since.
* ``recover_stalled_jobs`` (periodic, every 30 s): jobs left ``doing`` by a worker whose heartbeat
  stopped (SIGKILL, crash, lost machine) go back to ``todo``, or to ``failed`` when they used up
  their attempts (a job that keeps killing workers is dead-lettered, not retried forever).
* ``prune_finished_jobs`` (periodic, daily): deletes old succeeded/cancelled jobs; failed (dead)
  jobs stay until an operator retries them (``python -m inboxapp jobs retry``).

Retries: :class:`JitteredBackoff` (exponential, capped, +-20 % jitter, max attempts) and
non-retriable errors (:class:`NonRetriableError`, ``ValueError``/``TypeError``, 4xx ``AppError``)
that fail at once. A job that exhausts its attempts ends ``failed``: the dead-letter state.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from procrastinate import Blueprint, RetryStrategy, sql
from procrastinate import exceptions as pexc
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from procrastinate.tasks import Task

from inboxapp.analytics.rollup import rollup_workspace
from inboxapp.config import job_settings
from inboxapp.counts.recompute import recompute_workspace
from inboxapp.db.engine import owner_engine, owner_session
from inboxapp.errors import AppError
from inboxapp.jobs.app import SCHEMA, job_kind, open_sync, register
from inboxapp.jobs.status import write_status
from inboxapp.logs import get_logger
from inboxapp.observability import current_request_id

log = get_logger(__name__)
blueprint = Blueprint()

RECOMPUTE = "recompute_inbox_counts"
ROLLUP = "rollup_analytics"
DEFAULT_KINDS = (RECOMPUTE, ROLLUP)
SWEEP_STATE = "sweep"
RECOVER_LOCK_KEY = 0x6A6F6273  # pg advisory lock id: one stalled-job recovery at a time


# -- errors and retries ----------------------------------------------------------------------


class NonRetriableError(Exception):
    """Raise from a task for failures a retry cannot fix (bad input, missing data)."""

    code = "NON_RETRIABLE"


class InvalidJobInput(NonRetriableError, ValueError):
    code = "INVALID_INPUT"


def is_non_retriable(exc: BaseException) -> bool:
    if isinstance(exc, NonRetriableError | ValueError | TypeError):
        return True
    return isinstance(exc, AppError) and exc.status < 500


class JitteredBackoff(BaseRetryStrategy):
    """Exponential backoff with bounded jitter, a cap and a maximum number of attempts.

    ``delay(n) = min(cap, base * factor**n) * (1 + jitter * u)``, ``u`` uniform in [-1, 1), ``n``
    the number of earlier attempts. With factor 2 and jitter <= 0.2 each delay is strictly longer
    than the previous one (1.2x < 1.6x) while jobs that failed together spread out. ``u`` is
    derived from (job id, attempt): deterministic per attempt, different across jobs.
    ``max_attempts`` counts every run (5 = the first run plus 4 retries); unset parameters are
    read from :func:`~inboxapp.config.job_settings` at decision time.
    """

    def __init__(
        self,
        *,
        max_attempts: int | None = None,
        base_s: float | None = None,
        cap_s: float | None = None,
        jitter: float | None = None,
        factor: float = 2.0,
    ) -> None:
        self._max_attempts = max_attempts
        self._base_s = base_s
        self._cap_s = cap_s
        self._jitter = jitter
        self.factor = factor

    @property
    def max_attempts(self) -> int:
        return self._max_attempts or job_settings().max_attempts

    def delay_s(self, job_id: int | None, attempts: int) -> float:
        s = job_settings()
        base = self._base_s if self._base_s is not None else s.retry_base_s
        cap = self._cap_s if self._cap_s is not None else s.retry_cap_s
        jitter = self._jitter if self._jitter is not None else s.retry_jitter
        raw = min(cap, base * self.factor**attempts)
        u = random.Random(f"{job_id}:{attempts}").uniform(-1.0, 1.0)  # noqa: S311 (not crypto)
        return max(0.0, raw * (1.0 + jitter * u))

    def will_retry(self, exception: BaseException, job: Job) -> bool:
        if is_non_retriable(exception):
            return False
        return job.attempts + 1 < self.max_attempts

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not self.will_retry(exception, job):
            return None
        delay = self.delay_s(job.id, job.attempts)
        return RetryDecision(retry_at=datetime.now(UTC) + timedelta(seconds=delay))


RETRY = JitteredBackoff()


def max_attempts_for(task: Task[Any, Any, Any] | None) -> int:
    """Total runs allowed for a task (1 when it does not retry)."""
    strategy = task.retry_strategy if task else None
    if isinstance(strategy, JitteredBackoff):
        return strategy.max_attempts
    if isinstance(strategy, RetryStrategy):  # procrastinate counts retries, not runs
        return strategy.max_attempts + 1 if strategy.max_attempts else 1_000_000
    return 1


def parse_client_id(value: object) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidJobInput("client_id must be a UUID") from None


# -- tasks -----------------------------------------------------------------------------------


def _recompute_body(client_id: uuid.UUID) -> None:
    recompute_workspace(client_id)


@blueprint.task(name=RECOMPUTE, queue="counts", retry=RETRY)
def recompute_inbox_counts(client_id: str, request_id: str | None = None) -> None:
    _recompute_body(parse_client_id(client_id))


def _rollup_body(client_id: uuid.UUID, day: date | None) -> None:
    rollup_workspace(client_id, day)


def parse_day(day: str | None) -> date | None:
    if day is None:
        return None
    try:
        return date.fromisoformat(day)
    except (TypeError, ValueError):
        raise InvalidJobInput("day must be YYYY-MM-DD") from None


@blueprint.task(name=ROLLUP, queue="analytics", retry=RETRY)
def rollup_analytics(client_id: str, day: str | None = None, request_id: str | None = None) -> None:
    _rollup_body(parse_client_id(client_id), parse_day(day))


@blueprint.task(name="sweep", queue="maintenance", retry=False)
def sweep(timestamp: int) -> None:
    result = sweep_once()
    log.info(
        "sweep done",
        workspaces=len(result.client_ids),
        enqueued=result.enqueued,
        source=result.source,
    )


@blueprint.task(name="recover_stalled_jobs", queue="maintenance", retry=False)
def recover_stalled_jobs(timestamp: int) -> None:
    result = recover_stalled()
    if result.retried or result.failed:
        log.warning("stalled jobs recovered", retried=result.retried, failed=result.failed)


@blueprint.task(name="prune_finished_jobs", queue="maintenance", retry=False)
def prune_finished_jobs(timestamp: int) -> None:
    prune_finished()


# -- enqueue ---------------------------------------------------------------------------------

_ACTIVE_BY_LOCK = (
    "SELECT (SELECT count(*) FROM procrastinate_jobs"
    "        WHERE queueing_lock = %(queueing_lock)s AND status = 'todo')::int AS todo,"
    "       (SELECT count(*) FROM procrastinate_jobs"
    "        WHERE lock = %(lock)s AND status = 'doing')::int AS doing"
)


def _enqueue(
    task: Task[Any, Any, Any],
    client_id: uuid.UUID,
    *,
    lock: str,
    queueing_lock: str,
    delay_s: float = 0.0,
    **kwargs: Any,
) -> int | None:
    app = open_sync()
    connector = app.connector.get_sync_connector()
    row = connector.execute_query_one(_ACTIVE_BY_LOCK, queueing_lock=queueing_lock, lock=lock)
    todo, doing = int(row["todo"]), int(row["doing"])
    job_id: int | None = None
    # A queued job that has not started yet will see the caller's committed change: skip the
    # insert (and the unique violation it would cost) instead of relying on AlreadyEnqueued.
    if todo == 0:
        request_id = current_request_id()  # the job's log lines carry the enqueuing request's id
        if request_id:
            kwargs["request_id"] = request_id
        try:
            configured = task.configure(
                lock=lock,
                queueing_lock=queueing_lock,
                schedule_in={"milliseconds": round(delay_s * 1000)} if delay_s > 0 else None,
            )
            job_id = configured.defer(client_id=str(client_id), **kwargs)
            todo = 1
        except pexc.AlreadyEnqueued:
            todo = 1
    write_status(
        str(client_id), job_kind(task.name), state="queued", queueDepth=todo + doing, jobId=job_id
    )
    return job_id


def defer_once(
    task: Task[Any, Any, Any], client_id: uuid.UUID, *, lock: str, **kwargs: str
) -> int | None:
    """Defer a job for a row stored just now (no job for ``lock`` can exist yet, so the
    look-ups of :func:`_enqueue` are skipped); None when one is queued already."""
    open_sync()
    payload = {"client_id": str(client_id), **kwargs}
    request_id = current_request_id()
    if request_id:
        payload["request_id"] = request_id
    try:
        job_id = task.configure(lock=lock, queueing_lock=lock).defer(**payload)
    except pexc.AlreadyEnqueued:
        return None
    write_status(str(client_id), job_kind(task.name), state="queued", jobId=job_id)
    return int(job_id)


_DEAD_JOBS = sa.text(
    f"SELECT id FROM {SCHEMA}.procrastinate_jobs WHERE status = 'failed'"
    " AND lock = :lock ORDER BY id"
)


STRANDED_LIMIT = 500
"""Rows one stranded-row sweep queues at most (the next sweep takes the rest)."""


def stranded_by_lock(table: str, waiting: str, since: str, lock: str) -> sa.TextClause:
    """The query :func:`requeue_stranded_rows` runs for rows of ``table`` whose job holds the
    lock ``<lock>:<id>``: rows ``t`` matching ``waiting`` whose ``since`` column is older than
    ``:age`` and that no queued or running job holds, oldest first."""
    return sa.text(
        f"""
        SELECT t.id, t."clientId" FROM public."{table}" t
        WHERE {waiting} AND t."{since}" < now() - make_interval(secs => :age)
          AND NOT EXISTS (
            SELECT 1 FROM {SCHEMA}.procrastinate_jobs j
            WHERE j.lock = '{lock}:' || t.id::text AND j.status IN ('todo', 'doing'))
        ORDER BY t."{since}" LIMIT :limit
        """
    )


def requeue_stranded_rows(
    query: sa.TextClause,
    age_s: float,
    enqueue: Callable[[uuid.UUID, uuid.UUID], object],
    event: str,
) -> list[str]:
    """Queue the rows (``id``, ``clientId``) that ``query`` finds waiting longer than ``age_s``
    with no job (``:age``, ``:limit``); logs ``event`` with their count, returns their ids."""
    with owner_session() as s:
        rows = s.execute(query, {"age": age_s, "limit": STRANDED_LIMIT}).all()
    for row in rows:
        enqueue(row.clientId, row.id)
    if rows:
        log.warning(event, rows=len(rows))
    return [str(r.id) for r in rows]


def dead_jobs(lock: str) -> list[int]:
    """The dead-lettered (failed) jobs that held ``lock``."""
    with owner_session() as s:
        return [int(i) for i in s.execute(_DEAD_JOBS, {"lock": lock}).scalars()]


def enqueue_recompute(client_id: str | uuid.UUID) -> int | None:
    """Queue a counts recompute for one workspace; the new job id, or None if one is queued."""
    cid = parse_client_id(client_id)
    lock = f"counts:{cid}"
    return _enqueue(recompute_inbox_counts, cid, lock=lock, queueing_lock=lock)


def enqueue_rollup(
    client_id: str | uuid.UUID, day: str | None = None, delay_s: float = 0.0
) -> int | None:
    """Queue an analytics rollup (one queued per workspace and day; one running per workspace),
    starting in ``delay_s`` seconds (while it waits, further requests join it)."""
    cid = parse_client_id(client_id)
    parse_day(day)
    return _enqueue(
        rollup_analytics,
        cid,
        lock=f"analytics:{cid}",
        queueing_lock=f"analytics:{cid}:{day or 'latest'}",
        delay_s=delay_s,
        day=day,
    )


def _on_workspace_changed(client_id: uuid.UUID) -> None:
    enqueue_recompute(client_id)  # counts: at once (the inbox shows them)
    # The analytics rollup of the days the triggers marked dirty, a little later (dashboards).
    enqueue_rollup(client_id, delay_s=job_settings().rollup_delay_s)


def install_hooks() -> None:
    """Enqueue counts recompute + analytics rollup after every committed workspace change
    (call once at app start)."""
    from inboxapp.inbox.hooks import on_workspace_changed

    on_workspace_changed(_on_workspace_changed)


# -- sweep -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    since: datetime
    now: datetime
    source: str
    """``dirty_table`` or ``lead_changes`` (what found the changed workspaces)."""
    client_ids: list[str] = field(default_factory=list)
    enqueued: int = 0


_CHANGED_LEADS = sa.text(
    'SELECT c.id FROM public."Client" c WHERE EXISTS ('
    ' SELECT 1 FROM public."Lead" l WHERE l."clientId" = c.id'
    ' AND l."updatedAt" > :since AND l."updatedAt" <= :now)'
)
_DIRTY = sa.text('SELECT "clientId" FROM public.inbox_counts_dirty ORDER BY "dirtyAt" LIMIT :limit')
SWEEP_MAX_DIRTY = 5000
"""Dirty workspaces enqueued per sweep (oldest first); the rest wait for the next sweep."""
_EXPIRED_SNOOZES = sa.text(
    'SELECT DISTINCT "clientId" FROM public."Lead"'
    ' WHERE "snoozedUntil" > :since AND "snoozedUntil" <= :now'
)


def sweep_once(
    now: datetime | None = None,
    source: Literal["auto", "dirty_table", "lead_changes"] = "auto",
) -> SweepResult:
    """Enqueue recomputes for dirty/changed workspaces and expired snoozes since the last sweep.

    Dirty workspaces come from ``public.inbox_counts_dirty`` (marked by triggers, cleared by the
    recompute, so a workspace whose recompute failed is simply enqueued again: "stale") when
    that table exists, otherwise from leads updated since the last sweep. Snoozes that expired
    since the last sweep change counts without any write, so they are always checked.
    The sweep state row is locked for the whole run (concurrent sweeps serialize) and only
    advanced after every enqueue succeeded, so a failed sweep is redone by the next one.
    ``now`` is for tests (the database clock otherwise); so is forcing ``source``.
    """
    s = job_settings()
    state = f"{SCHEMA}.job_sweep_state"
    with owner_session() as session:
        at: datetime = now or session.execute(sa.text("SELECT now()")).scalar_one()
        session.execute(
            sa.text(f"INSERT INTO {state} (name) VALUES (:n) ON CONFLICT DO NOTHING"),
            {"n": SWEEP_STATE},
        )
        last: datetime | None = session.execute(
            sa.text(f"SELECT last_run_at FROM {state} WHERE name = :n FOR UPDATE"),
            {"n": SWEEP_STATE},
        ).scalar_one()
        if last is not None and at <= last:
            return SweepResult(since=last, now=at, source="none")
        since = (
            at - timedelta(seconds=s.sweep_lookback_s)
            if last is None
            else last - timedelta(seconds=s.sweep_overlap_s)
        )
        if source == "auto":
            source = "dirty_table"  # migration 0005 creates it; lead_changes stays for tests
        window = {"since": since, "now": at}
        if source == "dirty_table":
            changed = session.execute(_DIRTY, {"limit": SWEEP_MAX_DIRTY}).scalars().all()
        else:
            changed = session.execute(_CHANGED_LEADS, window).scalars().all()
        snoozed = session.execute(_EXPIRED_SNOOZES, window).scalars().all()
        client_ids = sorted({str(c) for c in (*changed, *snoozed)})
        enqueued = sum(1 for cid in client_ids if enqueue_recompute(cid) is not None)
        session.execute(
            sa.text(f"UPDATE {state} SET last_run_at = :at, updated_at = now() WHERE name = :n"),
            {"at": at, "n": SWEEP_STATE},
        )
    return SweepResult(since=since, now=at, source=source, client_ids=client_ids, enqueued=enqueued)


# -- stalled jobs and pruning ----------------------------------------------------------------

_CLEAR_QUEUEING_LOCK = (
    "UPDATE procrastinate_jobs SET queueing_lock = NULL"
    " WHERE id = %(job_id)s AND status = 'doing' AND queueing_lock IS NOT NULL"
)


@dataclass(frozen=True)
class RecoverResult:
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: bool = False


def recover_stalled(stalled_after_s: float | None = None) -> RecoverResult:
    """Retry (or dead-letter) jobs whose worker stopped sending heartbeats.

    Uses procrastinate's own stalled-job query (``select_stalled_jobs_by_heartbeat``: ``doing``
    jobs whose worker row is gone or whose heartbeat is older than the threshold) and
    ``JobManager.retry_job_by_id``. One recovery at a time (advisory lock): two recoverers could
    otherwise both requeue a job that a third worker has meanwhile picked up.
    """
    threshold = stalled_after_s or job_settings().stalled_after_s
    app = open_sync()
    connector = app.connector.get_sync_connector()
    retried: list[int] = []
    failed: list[int] = []
    with owner_engine().begin() as lock_conn:
        got = lock_conn.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RECOVER_LOCK_KEY}
        ).scalar_one()
        if not got:
            return RecoverResult(skipped=True)
        rows = connector.execute_query_all(
            sql.queries["select_stalled_jobs_by_heartbeat"],
            queue=None,
            task_name=None,
            seconds_since_heartbeat=threshold,
        )
        for row in rows:
            job = Job.from_row(row)
            assert job.id is not None
            task = app.tasks.get(job.task_name)
            client_id = job.task_kwargs.get("client_id")
            kind = job_kind(job.task_name)
            try:
                # Its queueing lock could collide with a newer queued job when put back to todo.
                connector.execute_query(_CLEAR_QUEUEING_LOCK, job_id=job.id)
                if job.attempts + 1 >= max_attempts_for(task):
                    connector.execute_query(
                        sql.queries["finish_job"], job_id=job.id, status="failed", delete_job=False
                    )
                    failed.append(job.id)
                    write_status(str(client_id), kind, state="failed", lastErrorCode="WORKER_LOST")
                else:
                    app.job_manager.retry_job_by_id(job_id=job.id, retry_at=datetime.now(UTC))
                    retried.append(job.id)
                    write_status(
                        str(client_id), kind, state="retrying", lastErrorCode="WORKER_LOST"
                    )
            except pexc.ConnectorException:
                log.warning("stalled job changed meanwhile; skipped", jobId=job.id)
    return RecoverResult(retried=retried, failed=failed)


def prune_finished(keep_hours: int | None = None) -> None:
    """Delete succeeded/cancelled/aborted jobs older than ``keep_hours`` (failed jobs stay)."""
    connector = open_sync().connector.get_sync_connector()
    connector.execute_query(
        sql.queries["delete_old_jobs"],
        nb_hours=keep_hours or job_settings().keep_hours,
        queue=None,
        statuses=["succeeded", "cancelled", "aborted"],
    )


register(blueprint)  # last: every task above is on the blueprint

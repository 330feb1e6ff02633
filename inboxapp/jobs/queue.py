"""Operator queries on the job queue (``jobs status``, ``jobs retry``) and PII-free error codes.

Shared by the worker, the CLI and the task modules (a dead webhook event is retried through
:func:`retry_failed`); nothing here imports a task module.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from inboxapp.jobs.app import connect, job_kind
from inboxapp.jobs.status import write_status

_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,63}")


def error_location(exc: BaseException) -> str | None:
    """``file.py:line:function`` of the innermost frame (a PII-free pointer for debugging)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return None
    code = tb.tb_frame.f_code
    return f"{os.path.basename(code.co_filename)}:{tb.tb_lineno}:{code.co_name}"


def error_code(exc: BaseException) -> str:
    """A stable, PII-free code: an app error code, else the exception class name."""
    code = getattr(exc, "code", None)
    if isinstance(code, str) and _CODE.fullmatch(code):
        return code
    return type(exc).__name__


# -- operator queries ------------------------------------------------------------------------


def queue_overview(client_id: str | None = None, limit: int = 50) -> dict[str, Any]:
    """Queue depth by queue/task/status, dead (failed) jobs, workers and the last sweep."""
    params = {"c": client_id, "limit": limit}
    where_client = "(%(c)s::text IS NULL OR args ->> 'client_id' = %(c)s)"
    with connect("owner") as conn:
        depth = conn.execute(
            "SELECT queue_name, task_name, status::text,"
            " count(*) FILTER (WHERE scheduled_at IS NULL OR scheduled_at <= now())::int,"
            " count(*)::int FROM procrastinate_jobs"
            f" WHERE status IN ('todo', 'doing', 'failed') AND {where_client}"
            " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            params,
        ).fetchall()
        failed = conn.execute(
            "SELECT j.id, j.queue_name, j.task_name, j.args ->> 'client_id', j.attempts,"
            " (SELECT max(e.at) FROM procrastinate_events e"
            "   WHERE e.job_id = j.id AND e.type = 'failed')"
            f" FROM procrastinate_jobs j WHERE j.status = 'failed' AND {where_client}"
            " ORDER BY j.id DESC LIMIT %(limit)s",
            params,
        ).fetchall()
        workers = conn.execute(
            "SELECT id, round(extract(epoch FROM now() - last_heartbeat)::numeric, 1)::float"
            " FROM procrastinate_workers ORDER BY id"
        ).fetchall()
        sweep = conn.execute(
            "SELECT last_run_at FROM job_sweep_state WHERE name = 'sweep'"
        ).fetchone()
    queues: list[dict[str, Any]] = []
    for queue, task, status, ready, total in depth:
        queues.append(
            {
                "queue": queue,
                "task": job_kind(task),
                "status": status,
                "count": total,
                "ready": ready if status == "todo" else None,
            }
        )
    return {
        "clientId": client_id,
        "queues": queues,
        "deadLetter": [
            {
                "id": jid,
                "queue": queue,
                "task": job_kind(task),
                "clientId": cid,
                "attempts": attempts,
                "failedAt": at.isoformat() if at else None,
            }
            for jid, queue, task, cid, attempts, at in failed
        ],
        "workers": [{"id": wid, "heartbeatAgeS": age} for wid, age in workers],
        "lastSweepAt": sweep[0].isoformat() if sweep and sweep[0] else None,
    }


def retry_failed(
    job_ids: Sequence[int] = (), *, all_failed: bool = False, client_id: str | None = None
) -> dict[str, list[int]]:
    """Put dead (failed) jobs back in the queue with a fresh attempt budget.

    Per job, in one transaction: lock the row, check it is ``failed``, drop its queueing lock
    (it could collide with a newer queued job), ``procrastinate_retry_job_v2`` (what
    ``JobManager.retry_job_by_id`` calls; records a ``retried`` event) and reset ``attempts``.
    """
    retried: list[int] = []
    not_failed: list[int] = []
    missing: list[int] = []
    with connect("owner", autocommit=True) as conn:
        ids = list(job_ids)
        if all_failed:
            ids += [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM procrastinate_jobs WHERE status = 'failed'"
                    " AND (%(c)s::text IS NULL OR args ->> 'client_id' = %(c)s) ORDER BY id",
                    {"c": client_id},
                ).fetchall()
            ]
        for job_id in dict.fromkeys(ids):
            with conn.transaction():
                row = conn.execute(
                    "SELECT status::text, task_name, args ->> 'client_id'"
                    " FROM procrastinate_jobs WHERE id = %s FOR UPDATE",
                    (job_id,),
                ).fetchone()
                if row is None:
                    missing.append(job_id)
                    continue
                if row[0] != "failed":
                    not_failed.append(job_id)
                    continue
                conn.execute(
                    "UPDATE procrastinate_jobs SET queueing_lock = NULL WHERE id = %s", (job_id,)
                )
                conn.execute(
                    "SELECT procrastinate_retry_job_v2(%s, now(), NULL, NULL, NULL)", (job_id,)
                )
                conn.execute("UPDATE procrastinate_jobs SET attempts = 0 WHERE id = %s", (job_id,))
            retried.append(job_id)
            if row[2]:
                write_status(row[2], job_kind(row[1]), state="queued", attempts=0, jobId=job_id)
    return {"retried": retried, "notFailed": not_failed, "missing": missing}

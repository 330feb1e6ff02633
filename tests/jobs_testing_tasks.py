"""Test-only job tasks, registered on the job App when ``INBOXAPP_TEST_TASKS=1``.

Workers started by ``tests/jobs/test_jobs.py`` import this module; so does the test process. Every
task records its attempts (with the worker's pid) in ``jobs_test.attempts`` and its effect,
idempotently, in ``jobs_test.effects`` (primary key ``key``): "exactly once in effect" is one
effect row however many attempts ran. Importing this module also wraps the real recompute body
to record run intervals (``jobs_test.recompute_runs``) and slow it down a little, so the test can
check that runs for one workspace never overlap.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from procrastinate import Blueprint

from inboxapp.config import job_settings
from inboxapp.db.engine import owner_session
from inboxapp.jobs import tasks as job_tasks
from inboxapp.jobs.tasks import RETRY

NAMESPACE = "test"
blueprint = Blueprint()

DDL = (
    "CREATE SCHEMA IF NOT EXISTS jobs_test",
    "CREATE TABLE IF NOT EXISTS jobs_test.attempts (key text NOT NULL, pid int NOT NULL,"
    " at timestamptz NOT NULL DEFAULT clock_timestamp())",
    "CREATE TABLE IF NOT EXISTS jobs_test.effects (key text PRIMARY KEY, pid int NOT NULL,"
    " at timestamptz NOT NULL DEFAULT clock_timestamp())",
    "CREATE TABLE IF NOT EXISTS jobs_test.healed (key text PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS jobs_test.recompute_runs (client_id uuid NOT NULL,"
    " pid int NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz NOT NULL)",
)


def ensure_tables() -> None:
    with owner_session() as s:
        for statement in DDL:
            s.execute(sa.text(statement))


class UpstreamUnavailable(Exception):
    """A transient failure; its message carries PII on purpose (it must never be stored)."""


def _record_attempt(key: str) -> int:
    with owner_session() as s:
        s.execute(
            sa.text("INSERT INTO jobs_test.attempts (key, pid) VALUES (:k, :p)"),
            {"k": key, "p": os.getpid()},
        )
        n = s.execute(
            sa.text("SELECT count(*) FROM jobs_test.attempts WHERE key = :k"), {"k": key}
        ).scalar_one()
    return int(n)


def _effect(key: str) -> None:
    with owner_session() as s:
        s.execute(
            sa.text(
                "INSERT INTO jobs_test.effects (key, pid) VALUES (:k, :p) ON CONFLICT DO NOTHING"
            ),
            {"k": key, "p": os.getpid()},
        )


def _healed(key: str) -> bool:
    with owner_session() as s:
        row = s.execute(sa.text("SELECT 1 FROM jobs_test.healed WHERE key = :k"), {"k": key})
        return row.first() is not None


@blueprint.task(name="flaky", queue="test", retry=RETRY)
def flaky(key: str, client_id: str, failures: int) -> None:
    attempt = _record_attempt(key)
    if attempt <= failures:
        raise UpstreamUnavailable(f"upstream down while mailing jane.doe@example.com ({attempt})")
    _effect(key)


@blueprint.task(name="always_fails", queue="test", retry=RETRY)
def always_fails(key: str, client_id: str) -> None:
    _record_attempt(key)
    if not _healed(key):
        raise UpstreamUnavailable("upstream rejected +15551234567 / jane.doe@example.com")
    _effect(key)


@blueprint.task(name="slow_effect", queue="test", retry=RETRY)
def slow_effect(key: str, client_id: str, sleep_s: float) -> None:
    _record_attempt(key)
    time.sleep(sleep_s)
    _effect(key)


@blueprint.task(name="noop", queue="test", retry=RETRY)
def noop(key: str, client_id: str | None = None) -> None:
    _effect(key)


_original_recompute = job_tasks._recompute_body


def _recording_recompute(client_id: uuid.UUID) -> None:
    started = datetime.now(UTC)
    time.sleep(job_settings().test_recompute_sleep_s)
    _original_recompute(client_id)
    with owner_session() as s:
        s.execute(
            sa.text(
                "INSERT INTO jobs_test.recompute_runs (client_id, pid, started_at, ended_at)"
                " VALUES (:c, :p, :s, :e)"
            ),
            {"c": client_id, "p": os.getpid(), "s": started, "e": datetime.now(UTC)},
        )


job_tasks._recompute_body = _recording_recompute

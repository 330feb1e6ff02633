"""Durable jobs against real PostgreSQL and real worker processes (``python -m
inboxapp.jobs.cli worker``, the code behind ``python -m inboxapp worker``).

Covers: schema/grants, a burst of enqueues (one queued + one running per workspace), retries with
growing jittered delays, dead-lettering (Redis status, API, CLI status/retry), non-retriable
input, the sweep, SIGKILL of a worker mid-job (recovered by the other worker, one effect), Redis
down (jobs run, status writes skipped then resumed) and ``jobs run-once``.
The workers and this process share a private Redis, so the shared one is never touched.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from inboxapp.config import PROJECT_ROOT
from inboxapp.errors import AppError, Forbidden
from tests import factories
from tests.cache.test_cache import RedisProcess
from tests.conftest import reset_app_caches

WORKER_ENV = {
    "INBOXAPP_TEST_TASKS": "1",
    "INBOXAPP_JOBS_POLL_S": "0.2",
    "INBOXAPP_JOBS_HEARTBEAT_S": "0.5",
    "INBOXAPP_JOBS_STALLED_AFTER_S": "2",
    "INBOXAPP_JOBS_STALLED_CRON": "* * * * * *",
    "INBOXAPP_JOBS_SWEEP_CRON": "off",
    "INBOXAPP_JOBS_PRUNE_CRON": "off",
    "INBOXAPP_JOBS_MAX_ATTEMPTS": "3",
    "INBOXAPP_JOBS_RETRY_BASE_S": "1.0",
    "INBOXAPP_JOBS_SHUTDOWN_S": "5",
    "INBOXAPP_TEST_RECOMPUTE_SLEEP_S": "0.2",
    "LOG_LEVEL": "INFO",
}
WORKER_QUEUES = ["counts", "analytics", "maintenance", "test"]
RECOMPUTE_TASK = "inboxapp:recompute_inbox_counts"


def _reset_process_state() -> None:
    from inboxapp.cache.store import reset_cache
    from inboxapp.jobs.app import reset_app
    from inboxapp.jobs.status import reset_health

    reset_app_caches()
    reset_cache()
    reset_app()
    reset_health()


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def q(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Owner query with the job schema first on the search path."""
    from inboxapp.jobs.app import connect

    with connect("owner", autocommit=True) as conn:
        cur = conn.execute(sql, params or None)
        return cur.fetchall() if cur.description else []


def job_row(job_id: int) -> tuple[str, int]:
    rows = q("SELECT status::text, attempts FROM procrastinate_jobs WHERE id = %s", job_id)
    return rows[0][0], rows[0][1]


def wait_status(job_id: int, status: str, timeout: float = 15.0) -> int:
    def done() -> bool:
        current, _ = job_row(job_id)
        assert current in ("todo", "doing", status), f"job {job_id} ended {current}"
        return current == status

    wait_for(done, timeout, f"job {job_id} -> {status}")
    return job_row(job_id)[1]


def defer(name: str, queue: str = "test", **kwargs: Any) -> int:
    from inboxapp.jobs.app import open_sync

    return int(open_sync().configure_task(f"test:{name}", queue=queue).defer(**kwargs))


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inboxapp.jobs.cli", *args],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Workers:
    """Worker subprocesses sharing this test's environment; stderr goes to files."""

    def __init__(self, log_dir: Path, queues: list[str] | None = None) -> None:
        self.log_dir = log_dir
        self.queues = queues or WORKER_QUEUES
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.logs: dict[int, Path] = {}

    def start(self) -> int:
        log = self.log_dir / f"worker-{len(self.logs)}.log"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "inboxapp.jobs.cli",
                "worker",
                "--concurrency",
                "2",
                "--queues",
                *self.queues,
            ],
            cwd=PROJECT_ROOT,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        self.procs[proc.pid] = proc
        self.logs[proc.pid] = log
        return proc.pid

    def wait_ready(self) -> None:
        def fresh() -> bool:
            rows = q(
                "SELECT count(*) FROM procrastinate_workers"
                " WHERE last_heartbeat > now() - interval '1 second'"
            )
            alive = [p for p in self.procs.values() if p.poll() is None]
            assert len(alive) == len(self.procs), self.log_text()
            return rows[0][0] >= len(self.procs)

        wait_for(fresh, 30, "workers to register")

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        self.procs.pop(pid).wait(10)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs.values())

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs.clear()


@contextlib.contextmanager
def private_redis(env: dict[str, str]) -> Iterator[RedisProcess]:
    """A private Redis; ``env`` (and its URL) point workers and this process at it."""
    saved = {k: os.environ.get(k) for k in [*env, "REDIS_URL"]}
    server = RedisProcess()
    server.start()
    os.environ.update(env, REDIS_URL=server.url)
    _reset_process_state()
    try:
        yield server
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _reset_process_state()


@pytest.fixture(scope="module")
def redis_server(database_url: str) -> Iterator[RedisProcess]:
    """A private Redis for this module."""
    from tests.jobs_testing_tasks import ensure_tables

    with private_redis(WORKER_ENV) as server:
        ensure_tables()
        yield server


@contextlib.contextmanager
def worker_pool(log_dir: Path, n: int = 2, queues: list[str] | None = None) -> Iterator[Workers]:
    """``n`` running workers (registered and heartbeating), stopped afterwards."""
    pool = Workers(log_dir, queues)
    try:
        for _ in range(n):
            pool.start()
        pool.wait_ready()
        yield pool
    finally:
        pool.stop()


@pytest.fixture(scope="module")
def workers(
    redis_server: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workers]:
    with worker_pool(tmp_path_factory.mktemp("workers")) as pool:
        yield pool


def status_of(client_id: str, job: str) -> dict[str, Any]:
    from inboxapp.jobs.status import read_status

    return read_status(client_id, job) or {}


# -- no worker needed ------------------------------------------------------------------------


def test_schema_lives_in_its_own_schema_with_minimal_runtime_grants(database_url: str) -> None:
    tables = {r[0] for r in q("SELECT tablename FROM pg_tables WHERE schemaname = 'procrastinate'")}
    assert tables == {
        "procrastinate_jobs",
        "procrastinate_events",
        "procrastinate_periodic_defers",
        "procrastinate_workers",
        "job_sweep_state",
    }
    assert q("SELECT to_regclass('public.procrastinate_jobs')") == [(None,)]
    privileges = q(
        "SELECT has_table_privilege('authenticator', 'procrastinate.procrastinate_jobs', 'INSERT'),"
        " has_table_privilege('authenticator', 'procrastinate.procrastinate_jobs', 'SELECT'),"
        " has_table_privilege('authenticator', 'procrastinate.procrastinate_jobs', 'UPDATE'),"
        " has_table_privilege('authenticator', 'procrastinate.procrastinate_jobs', 'DELETE'),"
        " has_table_privilege('authenticator', 'procrastinate.job_sweep_state', 'SELECT'),"
        " has_function_privilege('authenticator', 'procrastinate.procrastinate_retry_job_v2("
        "bigint, timestamptz, integer, varchar, varchar)', 'EXECUTE'),"
        " has_schema_privilege('authenticated', 'procrastinate', 'USAGE'),"
        " has_schema_privilege('anon', 'procrastinate', 'USAGE')"
    )
    assert privileges == [(True, True, False, False, False, False, False, False)]


def test_retry_strategy_backoff_jitter_and_non_retriable() -> None:
    from procrastinate.jobs import Job

    from inboxapp.jobs.queue import error_code
    from inboxapp.jobs.tasks import InvalidJobInput, JitteredBackoff, NonRetriableError

    strategy = JitteredBackoff(max_attempts=5, base_s=2.0, cap_s=100.0, jitter=0.2)
    for job_id in range(1, 50):
        delays = [strategy.delay_s(job_id, n) for n in range(6)]
        assert all(a < b for a, b in itertools.pairwise(delays)), delays
        for n, d in enumerate(delays):
            assert 0.8 * min(100.0, 2.0 * 2**n) <= d <= 1.2 * min(100.0, 2.0 * 2**n)
    assert len({round(strategy.delay_s(i, 0), 6) for i in range(1, 50)}) > 40  # jobs spread out
    assert strategy.delay_s(7, 20) <= 120.0  # capped

    def job(attempts: int) -> Job:
        return Job(id=1, queue="q", lock=None, queueing_lock=None, task_name="t", attempts=attempts)

    assert strategy.get_retry_decision(exception=RuntimeError("x"), job=job(0)) is not None
    assert strategy.get_retry_decision(exception=RuntimeError("x"), job=job(3)) is not None
    assert strategy.get_retry_decision(exception=RuntimeError("x"), job=job(4)) is None  # 5th run
    for exc in (ValueError("x"), InvalidJobInput("x"), NonRetriableError(), Forbidden("F", "x")):
        assert strategy.get_retry_decision(exception=exc, job=job(0)) is None, exc
    assert error_code(Forbidden("ADMIN_REQUIRED", "jane@example.com")) == "ADMIN_REQUIRED"
    assert error_code(RuntimeError("jane@example.com")) == "RuntimeError"
    odd = RuntimeError("x")
    odd.code = "lower case with spaces"  # type: ignore[attr-defined]
    assert error_code(odd) == "RuntimeError"


def test_settings_reject_a_stall_threshold_below_two_heartbeats(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad job setting stops the process with one line naming it (the settings policy)."""
    from inboxapp.config import job_settings

    monkeypatch.setenv("INBOXAPP_JOBS_HEARTBEAT_S", "10")
    monkeypatch.setenv("INBOXAPP_JOBS_STALLED_AFTER_S", "15")
    job_settings.cache_clear()
    try:
        with pytest.raises(SystemExit):
            job_settings()
        assert "invalid configuration: INBOXAPP_JOBS_STALLED_AFTER_S:" in capsys.readouterr().err
        monkeypatch.setenv("INBOXAPP_JOBS_STALLED_AFTER_S", "20")
        monkeypatch.setenv("INBOXAPP_JOBS_SWEEP_CRON", "not a cron")
        job_settings.cache_clear()
        with pytest.raises(SystemExit):
            job_settings()
        assert "invalid configuration: INBOXAPP_JOBS_SWEEP_CRON:" in capsys.readouterr().err
    finally:
        monkeypatch.undo()
        job_settings.cache_clear()


# -- with workers ----------------------------------------------------------------------------


def test_burst_of_enqueues_runs_one_job_at_a_time_per_workspace(workers: Workers) -> None:
    from inboxapp.jobs.app import current_role
    from inboxapp.jobs.tasks import enqueue_recompute

    ws = factories.create_workspace("Burst")
    cid = str(ws.id)
    seen = {"todo": 0, "doing": 0}
    stop = threading.Event()

    def monitor() -> None:
        while not stop.is_set():
            for status, n in q(
                "SELECT status::text, count(*) FROM procrastinate_jobs WHERE task_name = %s"
                " AND args ->> 'client_id' = %s AND status IN ('todo', 'doing') GROUP BY 1",
                RECOMPUTE_TASK,
                cid,
            ):
                seen[status] = max(seen[status], n)
            time.sleep(0.005)

    watcher = threading.Thread(target=monitor)
    watcher.start()
    try:
        inserted = [job_id for _ in range(100) if (job_id := enqueue_recompute(cid)) is not None]
        assert current_role() == "runtime"  # the web path enqueues as authenticator
        wait_for(
            lambda: (
                not q(
                    "SELECT 1 FROM procrastinate_jobs WHERE task_name = %s AND args ->> 'client_id' = %s"
                    " AND status IN ('todo', 'doing')",
                    RECOMPUTE_TASK,
                    cid,
                )
            ),
            20,
            "the burst to drain",
        )
    finally:
        stop.set()
        watcher.join()
    assert seen["todo"] <= 1 and seen["doing"] <= 1, seen
    assert 1 <= len(inserted) <= 10, inserted  # 100 calls, a handful of jobs
    statuses = q(
        "SELECT status::text, count(*) FROM procrastinate_jobs WHERE task_name = %s"
        " AND args ->> 'client_id' = %s GROUP BY 1",
        RECOMPUTE_TASK,
        cid,
    )
    assert statuses == [("succeeded", len(inserted))]
    runs = q(
        "SELECT started_at, ended_at FROM jobs_test.recompute_runs WHERE client_id = %s"
        " ORDER BY started_at",
        ws.id,
    )
    assert len(runs) == len(inserted)
    for (_, end), (start, _) in itertools.pairwise(runs):
        assert start >= end, "two recomputes of one workspace overlapped"
    st = wait_for(lambda: status_of(cid, "recompute_inbox_counts").get("state") == "succeeded", 5)
    assert st
    assert status_of(cid, "recompute_inbox_counts")["queueDepth"] == 0


def test_failing_twice_then_succeeding_retries_with_growing_delays(workers: Workers) -> None:
    key, cid = f"flaky-{uuid.uuid4()}", str(uuid.uuid4())
    job_id = defer("flaky", key=key, client_id=cid, failures=2)
    attempts = wait_status(job_id, "succeeded", 20)
    assert attempts == 3
    starts = [r[0] for r in q("SELECT at FROM jobs_test.attempts WHERE key = %s ORDER BY at", key)]
    assert len(starts) == 3
    gap1, gap2 = ((b - a).total_seconds() for a, b in itertools.pairwise(starts))
    # Scheduled delays (exact, from the events): base 1 s, factor 2, jitter 20 %.
    events = q(
        "SELECT type::text, at FROM procrastinate_events WHERE job_id = %s ORDER BY id", job_id
    )
    failed_at = [at for kind, at in events if kind == "deferred_for_retry"]
    retry_at = [at for kind, at in events if kind == "scheduled"]
    assert len(failed_at) == len(retry_at) == 2 and events[-1][0] == "succeeded", events
    d1, d2 = ((r - f).total_seconds() for f, r in zip(failed_at, retry_at, strict=True))
    assert 0.75 <= d1 <= 1.2 < 1.55 <= d2 <= 2.4, (d1, d2)
    # Observed: each retry starts after its delay, within about one poll interval.
    assert 0.75 <= gap1 < gap2 and gap2 >= 1.55, (gap1, gap2)
    assert gap1 < d1 + 1.0 and gap2 < d2 + 1.0, (gap1, gap2, d1, d2)
    assert q("SELECT count(*) FROM jobs_test.effects WHERE key = %s", key) == [(1,)]
    st = wait_for(
        lambda: status_of(cid, "flaky").get("state") == "succeeded" and status_of(cid, "flaky"), 5
    )
    assert st["attempts"] == 3
    assert st["lastErrorCode"] == "UpstreamUnavailable"
    assert st["lastSuccessAt"] and isinstance(st["lastDurationMs"], int)


def _api(user_id: str) -> TestClient:
    from inboxapp.api.deps import current_user
    from inboxapp.api.jobs_routes import router
    from inboxapp.auth.tokens import AccessClaims

    app = FastAPI()
    app.include_router(router)

    async def app_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status)

    app.add_exception_handler(AppError, app_error)
    claims = AccessClaims(user_id=user_id, email="x@example.test", exp=2**31)
    app.dependency_overrides[current_user] = lambda: claims
    return TestClient(app)


def test_always_failing_job_is_dead_lettered_visible_and_retryable(
    workers: Workers, capsys: pytest.CaptureFixture[str]
) -> None:
    owner = factories.create_user()
    setter = factories.create_user()
    stranger = factories.create_user()
    ws = factories.create_workspace("Dead letters", owner=owner)
    factories.add_member(ws, setter, "SETTER")
    cid, key = str(ws.id), f"dead-{uuid.uuid4()}"

    job_id = defer("always_fails", key=key, client_id=cid)
    assert wait_status(job_id, "failed", 20) == 3  # INBOXAPP_JOBS_MAX_ATTEMPTS=3 runs
    st = wait_for(
        lambda: (
            status_of(cid, "always_fails").get("state") == "failed"
            and status_of(cid, "always_fails")
        ),
        5,
    )
    assert st["attempts"] == 3 and st["lastErrorCode"] == "UpstreamUnavailable"
    assert not any("@" in str(v) or "555" in str(v) for v in st.values()), st  # no PII
    logs = workers.log_text()
    assert "UpstreamUnavailable" in logs and "errorAt" in logs
    assert "jane.doe" not in logs and "5551234567" not in logs  # exception messages never logged

    # API: owners/admins see it; a setter and a stranger get 403; a bad id 400.
    body = _api(str(owner.id)).get("/api/jobs/status", params={"clientId": cid}).json()
    row = next(j for j in body["jobs"] if j["job"] == "always_fails")
    assert row["state"] == "failed" and row["deadLettered"] == 1 and row["queueDepth"] == 0
    assert row["lastErrorCode"] == "UpstreamUnavailable" and body["redis"] == "ok"
    assert {j["job"] for j in body["jobs"]} >= {"recompute_inbox_counts", "rollup_analytics"}
    denied = _api(str(setter.id)).get("/api/jobs/status", params={"clientId": cid})
    assert denied.status_code == 403 and denied.json()["error"] == "ADMIN_REQUIRED"
    outsider = _api(str(stranger.id)).get("/api/jobs/status", params={"clientId": cid})
    assert outsider.status_code == 403 and outsider.json()["error"] == "NOT_A_MEMBER"
    bad = _api(str(owner.id)).get("/api/jobs/status", params={"clientId": "nope"})
    assert bad.status_code == 400

    # CLI: status lists it as dead; retry re-queues it with a fresh budget; it then succeeds.
    from inboxapp.jobs.cli import main as jobs_cli

    assert jobs_cli(["jobs", "status", "--client-id", cid, "--json"]) == 0
    dead = json.loads(capsys.readouterr().out)["deadLetter"]
    assert [d["id"] for d in dead] == [job_id] and dead[0]["task"] == "always_fails"
    assert jobs_cli(["jobs", "status", "--client-id", cid]) == 0
    text = capsys.readouterr().out
    assert "always_fails" in text and "Dead-lettered" in text and str(job_id) in text
    q("INSERT INTO jobs_test.healed (key) VALUES (%s)", key)
    retried = cli("jobs", "retry", str(job_id))
    assert retried.returncode == 0, retried.stderr
    assert wait_status(job_id, "succeeded", 10) == 1
    assert q("SELECT count(*) FROM jobs_test.effects WHERE key = %s", key) == [(1,)]
    assert jobs_cli(["jobs", "retry", str(job_id), "--json"]) == 1  # no longer failed
    assert json.loads(capsys.readouterr().out)["notFailed"] == [job_id]


def test_malformed_client_id_fails_at_once_without_retry(workers: Workers) -> None:
    from inboxapp.jobs.app import open_sync
    from inboxapp.jobs.tasks import InvalidJobInput, enqueue_recompute

    with pytest.raises(InvalidJobInput):
        enqueue_recompute("not-a-uuid")
    deferrer = open_sync().configure_task(RECOMPUTE_TASK, queue="counts")
    job_id = int(deferrer.defer(client_id="not-a-uuid"))
    assert wait_status(job_id, "failed", 10) == 1
    events = [
        r[0] for r in q("SELECT type::text FROM procrastinate_events WHERE job_id = %s", job_id)
    ]
    assert "deferred_for_retry" not in events


def test_rollup_hook_runs_and_validates_its_day(workers: Workers) -> None:
    from inboxapp.jobs.tasks import InvalidJobInput, enqueue_rollup

    cid = str(uuid.uuid4())
    with pytest.raises(InvalidJobInput):
        enqueue_rollup(cid, "31/01/2026")
    job_id = enqueue_rollup(cid, "2026-01-31")
    assert job_id is not None
    assert wait_status(job_id, "succeeded", 10) == 1
    assert q("SELECT lock, args FROM procrastinate_jobs WHERE id = %s", job_id) == [
        (f"analytics:{cid}", {"client_id": cid, "day": "2026-01-31"})
    ]


def test_sweep_enqueues_dirty_workspaces_and_expired_snoozes(workers: Workers) -> None:
    from inboxapp.jobs.tasks import sweep_once

    t0 = datetime(2100, 1, 1, tzinfo=UTC)
    changed, snoozed, quiet, later = (factories.create_workspace(n) for n in "ABCD")
    factories.create_lead(changed, updatedAt=t0 + timedelta(seconds=30))
    factories.create_lead(
        snoozed, updatedAt=t0 - timedelta(hours=1), snoozedUntil=t0 + timedelta(seconds=45)
    )
    factories.create_lead(quiet, updatedAt=t0 - timedelta(hours=1))
    factories.create_lead(
        later, updatedAt=t0 - timedelta(hours=1), snoozedUntil=t0 + timedelta(seconds=120)
    )
    ids = [str(w.id) for w in (changed, snoozed, quiet, later)]
    q('DELETE FROM public.inbox_counts_dirty WHERE "clientId" = ANY(%s::uuid[])', ids)
    q(
        "INSERT INTO job_sweep_state (name, last_run_at) VALUES ('sweep', %s)"
        " ON CONFLICT (name) DO UPDATE SET last_run_at = EXCLUDED.last_run_at",
        t0,
    )
    before = q("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")[0][0]
    try:
        first = sweep_once(now=t0 + timedelta(seconds=60), source="lead_changes")
        assert set(first.client_ids) == {str(changed.id), str(snoozed.id)}
        assert first.since == t0 - timedelta(seconds=10)  # overlap with the previous sweep
        queued = q(
            "SELECT DISTINCT args ->> 'client_id' FROM procrastinate_jobs WHERE id > %s"
            " AND task_name = %s",
            before,
            RECOMPUTE_TASK,
        )
        assert {r[0] for r in queued} >= {str(changed.id), str(snoozed.id)}
        assert q("SELECT last_run_at FROM job_sweep_state WHERE name = 'sweep'") == [
            (t0 + timedelta(seconds=60),)
        ]
        # Nothing new since: nothing enqueued. A "now" before the last sweep is a no-op.
        assert sweep_once(now=t0 + timedelta(seconds=90), source="lead_changes").client_ids == []
        assert sweep_once(now=t0 + timedelta(seconds=80)).source == "none"
        q(
            'INSERT INTO public.inbox_counts_dirty ("clientId") VALUES (%s) ON CONFLICT DO NOTHING',
            quiet.id,
        )
        dirty = sweep_once(now=t0 + timedelta(seconds=100))
        assert dirty.source == "dirty_table"
        assert str(quiet.id) in dirty.client_ids and str(later.id) not in dirty.client_ids
        expired = sweep_once(now=t0 + timedelta(seconds=130), source="lead_changes")
        assert str(later.id) in expired.client_ids and str(changed.id) not in expired.client_ids
    finally:
        q("UPDATE job_sweep_state SET last_run_at = NULL WHERE name = 'sweep'")


def test_sigkill_mid_job_is_retried_by_another_worker_with_one_effect(workers: Workers) -> None:
    key, cid = f"kill-{uuid.uuid4()}", str(uuid.uuid4())
    job_id = defer("slow_effect", key=key, client_id=cid, sleep_s=2.0)
    rows = wait_for(lambda: q("SELECT pid FROM jobs_test.attempts WHERE key = %s", key), 10)
    victim = rows[0][0]
    assert victim in workers.procs
    workers.kill(victim)  # SIGKILL mid-job: no cleanup, the job stays "doing"
    assert job_row(job_id)[0] == "doing"
    workers.start()  # keep two workers for the next tests
    attempts = wait_status(job_id, "succeeded", 25)
    assert attempts == 2  # the killed run (requeued by stall recovery) + the successful one
    pids = [r[0] for r in q("SELECT pid FROM jobs_test.attempts WHERE key = %s ORDER BY at", key)]
    assert len(pids) == 2 and pids[0] == victim and pids[1] != victim
    effects = q("SELECT pid FROM jobs_test.effects WHERE key = %s", key)
    assert effects == [(pids[1],)]  # exactly one effect, by the surviving worker
    events = [
        r[0] for r in q("SELECT type::text FROM procrastinate_events WHERE job_id = %s", job_id)
    ]
    assert events.count("started") == 2 and "deferred_for_retry" in events
    workers.wait_ready()


def test_redis_down_jobs_still_run_and_status_writes_resume(
    workers: Workers, redis_server: RedisProcess
) -> None:
    from inboxapp.jobs.status import workspace_job_status

    redis_server.stop()
    try:
        down_cid = str(uuid.uuid4())
        job_id = defer("noop", key=f"down-{uuid.uuid4()}", client_id=down_cid)
        wait_status(job_id, "succeeded", 10)
        wait_for(lambda: "job status writes skipped" in workers.log_text(), 5, "a warning")
        payload = workspace_job_status(down_cid)
        assert payload["redis"] == "unavailable"
    finally:
        redis_server.start()
    up_cid = str(uuid.uuid4())

    warned = [
        pid for pid, log in workers.logs.items()
        if pid in workers.procs and "job status writes skipped" in log.read_text()
    ]  # fmt: skip
    assert warned

    def resumed() -> bool:
        jobs = [defer("noop", key=f"up-{uuid.uuid4()}", client_id=up_cid) for _ in range(2)]
        for job in jobs:
            wait_status(job, "succeeded", 10)
        # Every worker that skipped writes has written again (whichever got a job since).
        logs_ok = all("job status writes resumed" in workers.logs[p].read_text() for p in warned)
        return logs_ok and status_of(up_cid, "noop").get("state") == "succeeded"

    wait_for(resumed, 30, "status writes to resume in every worker")
    assert status_of(down_cid, "noop") == {}  # skipped while down, not replayed


def test_run_once_drains_the_queue_and_exits(workers: Workers) -> None:
    keys = [f"once-{uuid.uuid4()}" for _ in range(3)]
    job_ids = [defer("noop", queue="oneshot", key=k) for k in keys]  # no worker listens here
    time.sleep(0.3)
    assert {job_row(j)[0] for j in job_ids} == {"todo"}
    done = cli("jobs", "run-once", "--queues", "oneshot", timeout=60)
    assert done.returncode == 0, done.stderr
    assert "queue drained" in done.stdout
    assert {job_row(j)[0] for j in job_ids} == {"succeeded"}


def test_workspace_changed_hook_enqueues_a_recompute(workers: Workers) -> None:
    from inboxapp.inbox import hooks
    from inboxapp.jobs.tasks import _on_workspace_changed, install_hooks

    ws = factories.create_workspace("Hooked")
    install_hooks()
    try:
        install_hooks()  # idempotent
        assert hooks._listeners.count(_on_workspace_changed) == 1
        hooks.workspace_changed(ws.id)
    finally:
        hooks._listeners.remove(_on_workspace_changed)
    rows = wait_for(
        lambda: q(
            "SELECT id FROM procrastinate_jobs WHERE task_name = %s AND args ->> 'client_id' = %s",
            RECOMPUTE_TASK,
            str(ws.id),
        ),
        5,
    )
    wait_status(rows[0][0], "succeeded", 10)


def test_a_write_queues_one_delayed_rollup_for_a_burst(workers: Workers) -> None:
    """The counts recompute starts at once; the analytics rollup waits
    ``INBOXAPP_JOBS_ROLLUP_DELAY_S`` (default 5 s), and writes meanwhile join that one job."""
    from inboxapp.jobs.app import job_settings
    from inboxapp.jobs.tasks import _on_workspace_changed

    ws = factories.create_workspace("Burst")
    for _ in range(5):
        _on_workspace_changed(ws.id)
    rows = q(
        "SELECT task_name, scheduled_at IS NOT NULL"
        "       AND scheduled_at > now() + make_interval(secs => %s)"
        " FROM procrastinate_jobs WHERE args ->> 'client_id' = %s ORDER BY id",
        job_settings().rollup_delay_s / 2,
        str(ws.id),
    )
    tasks = [task for task, _ in rows]
    # counts: one queued (plus the one a worker may already be running), none scheduled later
    assert 1 <= tasks.count(RECOMPUTE_TASK) <= 2
    assert not any(later for task, later in rows if task == RECOMPUTE_TASK)
    # analytics: one job for the whole burst, scheduled later
    assert [later for task, later in rows if task != RECOMPUTE_TASK] == [True]

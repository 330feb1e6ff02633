"""The processing job with real worker processes: a worker SIGKILLed mid-processing (each
event applied once), retries then the dead letter (jobs status, ``webhooks replay``), Redis
down (webhooks still accepted and processed). Real PostgreSQL, a private Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from inboxapp.config import PROJECT_ROOT
from inboxapp.pipeline.providers import Provider
from tests import inbound_payloads as p
from tests.cache.test_cache import RedisProcess
from tests.inbound_helpers import Shop, lead_of, messages_of, rows
from tests.jobs.test_jobs import WORKER_ENV, Workers, private_redis, q, wait_for, worker_pool

EB = Provider.EMAILBISON
ENV = {
    **WORKER_ENV,
    "INBOXAPP_JOBS_EXTRA_MODULES": "tests.inbound_testing",
    "INBOUND_TEST_CLASSIFY_SLEEP_S": "3",
}


@pytest.fixture(scope="module")
def redis_server(database_url: str) -> Iterator[RedisProcess]:
    from tests.inbound_testing import ensure_tables

    with private_redis(ENV) as server:
        ensure_tables()
        yield server


@pytest.fixture(scope="module")
def workers(
    redis_server: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workers]:
    log_dir = tmp_path_factory.mktemp("inbound-workers")
    with worker_pool(log_dir, 1, ["webhooks", "maintenance"]) as pool:
        yield pool


def event_row(event_id: str) -> dict[str, Any]:
    return dict(rows('SELECT * FROM "WebhookEvent" WHERE id = :e', e=event_id)[0])


def wait_event(event_id: str, status: str, timeout: float = 30) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        row = event_row(event_id)
        return row if row["status"] == status else None

    return dict(wait_for(done, timeout, f"event {event_id} -> {status}"))


def attempts(key: str) -> list[int]:
    return [
        r[0] for r in q("SELECT pid FROM inbound_test.attempts WHERE key = %s ORDER BY at", key)
    ]


def reply(text: str, **kwargs: Any) -> dict[str, Any]:
    token = uuid.uuid4().hex[:8]
    return p.emailbison("LEAD_REPLIED", event_id=f"w-{token}", reply_id=f"wr-{token}", text=text,
                        **kwargs)  # fmt: skip


def test_a_worker_killed_mid_processing_leaves_each_event_processed_once(
    workers: Workers,
) -> None:
    shop = Shop.create("Killed")
    key = f"kill-{uuid.uuid4().hex[:8]}"
    resp = shop.post(EB, reply(f"Interested, tell me more [[slow:{key}]]"))
    assert resp.status_code == 202
    event_id = resp.json()["eventId"]
    first = wait_for(lambda: attempts(key), 20, "the first attempt to start")
    victim = first[0]
    assert victim in workers.procs
    workers.kill(victim)  # SIGKILL inside the transaction: nothing of it commits
    assert event_row(event_id)["status"] == "pending"
    workers.start()
    done = wait_event(event_id, "processed", 40)
    pids = attempts(key)
    assert len(pids) == 2 and pids[0] == victim and pids[1] != victim
    assert done["attempts"] == 2
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    assert len(messages_of(lead["id"])) == 1 and lead["unreadCount"] == 1
    assert lead["sentimentTag"] == "Interested"
    workers.wait_ready()


def test_a_failing_event_is_retried_dead_lettered_visible_and_replayed(workers: Workers) -> None:
    from inboxapp.jobs.status import workspace_job_status

    shop = Shop.create("Dead letter")
    key = f"fail-{uuid.uuid4().hex[:8]}"
    resp = shop.post(EB, reply(f"Send details [[fail:{key}]]"))
    event_id = resp.json()["eventId"]
    failed = wait_event(event_id, "failed", 40)
    assert failed["attempts"] == 3 and failed["lastErrorCode"] == "UpstreamDown"
    assert len(attempts(key)) == 3  # INBOXAPP_JOBS_MAX_ATTEMPTS=3, with backoff in between
    status = workspace_job_status(str(shop.ws.id))
    job = next(j for j in status["jobs"] if j["job"] == "process_webhook_event")
    assert job["deadLettered"] == 1 and job["state"] == "failed"
    overview = cli("jobs", "status", "--client-id", str(shop.ws.id), "--json")
    assert [d["task"] for d in json.loads(overview.stdout)["deadLetter"]] == [
        "process_webhook_event"
    ]

    q("INSERT INTO inbound_test.healed (key) VALUES (%s)", key)
    replayed = cli("webhooks", "replay", "--failed", "--client-id", str(shop.ws.id), "--json")
    assert json.loads(replayed.stdout) == {"replayed": [event_id], "missing": []}, replayed.stderr
    wait_event(event_id, "processed", 30)
    status = workspace_job_status(str(shop.ws.id))
    job = next(j for j in status["jobs"] if j["job"] == "process_webhook_event")
    assert job["deadLettered"] == 0
    assert len(messages_of(lead_of(shop.ws.id, email="jane.doe@prospect.example")["id"])) == 1


def test_redis_down_webhooks_are_still_accepted_and_processed(
    workers: Workers, redis_server: RedisProcess
) -> None:
    shop = Shop.create("No Redis")
    redis_server.stop()
    try:
        resp = shop.post(EB, reply("Happy to chat. Does Thursday at 2pm work?"))
        assert resp.status_code == 202, resp.text
        wait_event(resp.json()["eventId"], "processed", 30)
    finally:
        redis_server.start()
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    assert lead["sentimentTag"] == "Meeting Requested"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inboxapp", *args],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )

"""The stranded-row sweeps (``stranded_by_lock``): a webhook event or an outbox row that waits
with no queued or running job is queued again once; one that is too young or that a job
holds is left alone. Real PostgreSQL, the job schema of the scratch database."""

from __future__ import annotations

import uuid

from inboxapp.inbox import actions
from inboxapp.jobs.app import SCHEMA
from inboxapp.pipeline.inbound import jobs as inbound_jobs
from inboxapp.pipeline.outbound import delivery
from inboxapp.pipeline.providers import Provider
from tests import inbound_payloads as p
from tests.inbound_helpers import Shop, lead_of
from tests.jobs.test_jobs import q
from tests.outbound_helpers import outbox_of


def jobs_holding(lock: str) -> list[str]:
    return [
        r[0] for r in q(f"SELECT status FROM {SCHEMA}.procrastinate_jobs WHERE lock = %s", lock)
    ]


def strand(lock: str, table: str, column: str, row_id: str, age: str) -> None:
    """Drop the row's jobs and date it ``age`` back (as a crashed deferral would leave it)."""
    q(f"DELETE FROM {SCHEMA}.procrastinate_jobs WHERE lock = %s", lock)
    q(f'UPDATE public."{table}" SET "{column}" = now() - %s::interval WHERE id = %s', age, row_id)


def test_a_pending_event_without_a_job_is_queued_again_once() -> None:
    shop = Shop.create(f"Stranded {uuid.uuid4().hex[:6]}")
    token = uuid.uuid4().hex[:8]
    resp = shop.post(Provider.EMAILBISON, p.emailbison("LEAD_REPLIED", event_id=f"s-{token}"))
    assert resp.status_code == 202, resp.text
    event_id = resp.json()["eventId"]
    lock = inbound_jobs.event_lock(event_id)
    assert jobs_holding(lock) == ["todo"]
    assert event_id not in inbound_jobs.requeue_stranded(older_than_s=60)  # a job holds it

    strand(lock, "WebhookEvent", "receivedAt", event_id, "10 seconds")
    assert event_id not in inbound_jobs.requeue_stranded(older_than_s=60)  # too young
    assert jobs_holding(lock) == []

    strand(lock, "WebhookEvent", "receivedAt", event_id, "1 hour")
    assert event_id in inbound_jobs.requeue_stranded(older_than_s=60)
    assert jobs_holding(lock) == ["todo"]
    assert event_id not in inbound_jobs.requeue_stranded(older_than_s=60)
    assert jobs_holding(lock) == ["todo"]


def test_a_queued_outbox_row_without_a_job_is_queued_again_once() -> None:
    shop = Shop.create(f"Stranded out {uuid.uuid4().hex[:6]}")
    shop.deliver(Provider.EMAILBISON, p.emailbison("LEAD_REPLIED", event_id="so-1"))
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    message_id = actions.reply(shop.owner.id, shop.ws.id, lead["id"], "Thanks, stranded")
    outbox_id = str(outbox_of(message_id)["id"])
    lock = delivery.outbox_lock(outbox_id)
    assert jobs_holding(lock) == ["todo"]
    assert outbox_id not in delivery.requeue_stranded(older_than_s=60)  # a job holds it

    strand(lock, "Outbox", "nextAttemptAt", outbox_id, "1 hour")
    assert outbox_id in delivery.requeue_stranded(older_than_s=60)
    assert jobs_holding(lock) == ["todo"]
    assert outbox_id not in delivery.requeue_stranded(older_than_s=60)

    strand(lock, "Outbox", "nextAttemptAt", outbox_id, "1 hour")
    q("UPDATE public.\"Outbox\" SET state = 'sent' WHERE id = %s", outbox_id)
    assert outbox_id not in delivery.requeue_stranded(older_than_s=60)  # not waiting any more
    assert jobs_holding(lock) == []

"""Outbox delivery with real worker processes and the provider sandbox as the provider: a reply
delivered by the worker (sent once), provider 500s retried with growing delays then failed and
sent after a person's retry, and a worker SIGKILLed mid-delivery (the provider already has the
message): the retry carries the same idempotency key, so the sandbox counts one delivery."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from inboxapp.inbox import actions
from inboxapp.pipeline.providers import Provider
from tests import inbound_payloads as p
from tests.cache.test_cache import RedisProcess
from tests.inbound_helpers import API, Shop, lead_of
from tests.jobs.test_jobs import WORKER_ENV, Workers, private_redis, wait_for, worker_pool
from tests.outbound_helpers import Sandbox, connect, message, outbox_of, running_sandbox
from tests.pipeline.outbound.test_outbound_delivery import token


@pytest.fixture(scope="module")
def redis_server(database_url: str) -> Iterator[RedisProcess]:
    with private_redis(WORKER_ENV) as server:
        yield server


@pytest.fixture(scope="module")
def box(redis_server: RedisProcess) -> Iterator[Sandbox]:
    with running_sandbox() as server:
        yield server


@pytest.fixture(scope="module")
def workers(box: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    with worker_pool(
        tmp_path_factory.mktemp("outbound-workers"), 1, ["outbox", "maintenance"]
    ) as pool:
        yield pool


def shop_with_thread(box: Sandbox) -> tuple[Shop, Any]:
    shop = Shop.create(f"Delivery {uuid.uuid4().hex[:6]}")
    connect(shop.ws.id, box)
    shop.deliver(Provider.EMAILBISON, p.emailbison("LEAD_REPLIED", event_id="w-1"))
    return shop, lead_of(shop.ws.id, email="jane.doe@prospect.example")


def wait_state(message_id: str, state: str, timeout: float = 40) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        row = outbox_of(message_id)
        return row if row["state"] == state else None

    return dict(wait_for(done, timeout, f"message {message_id} -> {state}"))


def test_a_reply_is_delivered_by_the_worker_once(workers: Workers, box: Sandbox) -> None:
    shop, lead = shop_with_thread(box)
    resp = TestClient(API).post(
        f"/api/inbox/conversations/{lead['id']}/replies?clientId={shop.ws.id}",
        json={"body": "Tuesday works"},
        headers={**token(shop.owner), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert resp.status_code == 202, resp.text
    message_id = resp.json()["messageId"]
    wait_state(message_id, "sent")
    assert message(message_id)["deliveryStatus"] == "sent"
    assert [d["text"] for d in box.deliveries(message_id)] == ["Tuesday works"]


def test_provider_errors_back_off_then_fail_and_a_retry_sends(
    workers: Workers, box: Sandbox
) -> None:
    shop, lead = shop_with_thread(box)
    marker = f"flaky-{uuid.uuid4().hex[:8]}"
    box.fault(status=500, count=3, match=marker)  # INBOXAPP_JOBS_MAX_ATTEMPTS=3
    message_id = actions.reply(shop.owner.id, shop.ws.id, lead["id"], f"Sending {marker}")
    failed = wait_state(message_id, "failed")
    assert failed["attempts"] == 3 and "HTTP 500" in failed["lastError"]
    times = [r["at"] for r in box.requests(message_id)]
    assert len(times) == 3
    gap1, gap2 = (b - a for a, b in itertools.pairwise(times))
    assert gap1 < gap2, (gap1, gap2)  # base 1 s, factor 2, jitter 20 %
    assert box.deliveries(message_id) == []

    actions.retry_delivery(shop.owner.id, shop.ws.id, uuid.UUID(message_id))
    wait_state(message_id, "sent")
    assert len(box.deliveries(message_id)) == 1


def test_a_worker_killed_mid_delivery_sends_exactly_once(workers: Workers, box: Sandbox) -> None:
    shop, lead = shop_with_thread(box)
    marker = f"stall-{uuid.uuid4().hex[:8]}"
    box.fault(delayS=60, count=1, match=marker)  # accepted, then no answer
    message_id = actions.reply(shop.owner.id, shop.ws.id, lead["id"], f"Hello {marker}")
    wait_for(lambda: box.deliveries(message_id), 30, "the provider to receive the message")
    assert outbox_of(message_id)["state"] == "sending"
    [victim] = list(workers.procs)
    workers.kill(victim)  # mid-call: the provider has it, we never heard back
    workers.start()
    sent = wait_state(message_id, "sent", 60)
    assert sent["attempts"] == 2
    assert len(box.deliveries(message_id)) == 1  # the same key: not sent twice
    assert len(box.requests(message_id)) == 2
    assert message(message_id)["deliveryStatus"] == "sent"
    workers.wait_ready()

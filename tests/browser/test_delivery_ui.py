"""Messages in and out through the real production server and Chromium.

A signed webhook posted to the running app for the open workspace makes the lead's reply
appear in the inbox without a reload; a reply typed in the conversation is queued, delivered
through the provider sandbox (the delivery step run as the job runs it) and shows "Sent"
without a reload; a send the provider refuses shows "Not sent: <reason>" and its Retry button
sends it once the provider takes it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from inboxapp.pipeline.inbound.signature import HEADER, sign
from inboxapp.pipeline.outbound.delivery import RetryLater, deliver
from inboxapp.pipeline.providers import Provider
from tests import inbound_payloads as p
from tests.browser.support import sign_in
from tests.inbound_helpers import Shop, lead_of, process_pending, rows
from tests.outbound_helpers import Sandbox, connect, outbox_of, running_sandbox

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def box(database_url: str) -> Iterator[Sandbox]:
    with running_sandbox() as server:
        yield server


def post_webhook(app_url: str, shop: Shop, payload: dict[str, Any]) -> None:
    """Post a signed webhook to the running app, then process it as the worker would."""
    body = json.dumps(payload).encode()
    key = shop.urls[Provider.EMAILBISON].signing_secret
    assert key is not None
    response = httpx.post(
        app_url + shop.path(Provider.EMAILBISON),
        content=body,
        headers={"Content-Type": "application/json", HEADER: sign(key, body)},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    process_pending(shop.ws.id)


def deliver_once(shop: Shop, message_id: str) -> str:
    try:
        return deliver(shop.ws.id, outbox_of(message_id)["id"], attempt=1, job_id=1)
    except RetryLater:
        return "retry"


def message_id_of(lead_id: Any, body: str) -> str:
    found = rows('SELECT id FROM "Message" WHERE "leadId" = :l AND body = :b', l=lead_id, b=body)
    assert len(found) == 1, found
    return str(found[0].id)


def test_webhooks_arrive_live_and_replies_go_out_through_the_provider(
    page: Page, app_url: str, box: Sandbox
) -> None:
    shop = Shop.create(f"Delivery {uuid.uuid4().hex[:6]}")
    connect(shop.ws.id, box, Provider.EMAILBISON)
    sign_in(page, shop.owner.email)
    expect(page.get_by_test_id("loading-spinner")).to_have_count(0)
    expect(page.get_by_test_id("inbox-row")).to_have_count(0)

    # 1. A webhook for the open workspace: the reply shows up without a reload.
    text = f"Can we book a call next week? {uuid.uuid4().hex[:6]}"
    post_webhook(
        app_url, shop, p.emailbison("LEAD_REPLIED", event_id=f"ui-{uuid.uuid4()}", text=text)
    )
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    row = page.locator(f'[data-testid="inbox-row"][data-lead-id="{lead["id"]}"]')
    expect(row).to_have_count(1)
    row.first.click()
    expect(page.get_by_test_id("thread-message").filter(has_text=text)).to_have_count(1)

    # 2. A reply typed in the UI: queued, sent through the sandbox, "Sent" without a reload.
    body = f"Happy to, Jane: Tuesday 10:00? ({uuid.uuid4().hex[:6]})"
    page.get_by_test_id("reply-input").fill(body)
    page.get_by_test_id("reply-send").click()
    ours = page.get_by_test_id("thread-message").filter(has_text=body)
    expect(ours).to_have_count(1)
    status = ours.get_by_test_id("delivery-status")
    expect(status).to_have_text("Queued")
    message_id = message_id_of(lead["id"], body)
    assert deliver_once(shop, message_id) == "sent"
    expect(status).to_have_text("Sent")
    [sent] = box.deliveries(message_id)
    assert sent["text"] == body

    # 3. The provider refuses the key: "Not sent: <reason>"; Retry sends it once it takes it.
    again = f"One more thing ({uuid.uuid4().hex[:6]})"
    box.fault(status=401, count=1, match=again)
    page.get_by_test_id("reply-input").fill(again)
    page.get_by_test_id("reply-send").click()
    second = page.get_by_test_id("thread-message").filter(has_text=again)
    expect(second).to_have_count(1)
    second_id = message_id_of(lead["id"], again)
    assert deliver_once(shop, second_id) == "failed"
    expect(second.get_by_test_id("delivery-status")).to_have_text(re.compile(r"^Not sent: .+"))
    box.clear_faults()
    second.get_by_test_id("retry-delivery").click()
    expect(second.get_by_test_id("delivery-status")).to_have_text("Queued")
    assert deliver_once(shop, second_id) == "sent"
    expect(second.get_by_test_id("delivery-status")).to_have_text("Sent")
    assert len(box.deliveries(second_id)) == 1
    expect(page.get_by_test_id("action-error")).to_have_count(0)

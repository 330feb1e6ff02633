"""Outbox delivery in process: real PostgreSQL as the app's roles, the provider sandbox as a
real HTTP server, the delivery step run as the job runs it (the worker tests add processes).

A reply is queued -> delivered once -> sent; every provider is spoken to with its own request
shape from what its webhooks brought in; the same Idempotency-Key twice is one message and
one send; 500/429 are retried then failed, and a person's retry sends it; a blacklisted lead
is never sent to; the write API refuses setters on foreign leads and client-portal users (403)
and bad input (400)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from inboxapp.inbox import actions, queries
from inboxapp.pipeline.outbound.delivery import RETRY, RetryLater, deliver
from inboxapp.pipeline.providers import Provider
from tests import factories as f
from tests import inbound_payloads as p
from tests.inbound_helpers import API, Shop, lead_of
from tests.outbound_helpers import Sandbox, connect, message, outbox_of, running_sandbox
from tests.support import bearer_for


@pytest.fixture(scope="module")
def box(database_url: str) -> Iterator[Sandbox]:
    with running_sandbox() as server:
        yield server


@pytest.fixture
def shop(box: Sandbox) -> Shop:
    shop = Shop.create(f"Outbound {uuid.uuid4().hex[:6]}")
    connect(shop.ws.id, box)
    return shop


def token(user: Any) -> dict[str, str]:
    return bearer_for(TestClient(API), user)


def run(client_id: uuid.UUID, message_id: str, attempt: int = 1) -> str:
    """One delivery attempt as the job makes it (``RetryLater``: the job would run again)."""
    row = outbox_of(message_id)
    try:
        return deliver(client_id, row["id"], attempt=attempt, job_id=1)
    except RetryLater:
        return "retry"


def status_in_conversation(shop: Shop, lead_id: Any, message_id: str) -> dict[str, Any]:
    detail = queries.conversation(shop.owner.id, shop.ws.id, lead_id)
    return next(m for m in detail["messages"] if m["id"] == message_id)


INBOUND = {
    Provider.EMAILBISON: (
        p.emailbison("LEAD_REPLIED", event_id="o-1"),
        {"email": "jane.doe@prospect.example"},
    ),
    Provider.GHL: (p.ghl_sms(message_id="ghl-m-1"), {"phone": "+15550107788"}),
    Provider.LINKEDIN: (
        p.linkedin_message(),
        {"linkedinUrl": "https://www.linkedin.com/in/pat-lee"},
    ),
    Provider.SMARTLEAD: (p.smartlead("EMAIL_REPLY"), {"email": "kim@buyer.example"}),
    Provider.INSTANTLY: (p.instantly("reply_received"), {"email": "lee@target.example"}),
}
EXPECTED = {  # what each provider's API got (path and the fields that thread the reply)
    Provider.EMAILBISON: ("/emailbison/api/replies/eb-reply-1/reply", {"sender_email_id": 7}),
    Provider.GHL: ("/ghl/conversations/messages", {"type": "SMS", "contactId": "ghl-contact-1"}),
    Provider.LINKEDIN: ("/linkedin/api/v1/chats/chat-1/messages", {"chat_id": "chat-1"}),
    Provider.SMARTLEAD: (
        "/smartlead/api/v1/campaigns/9181/reply-email-thread",
        {"email_stats_id": "stats-<sl-reply-1@mail.example>"},
    ),
    Provider.INSTANTLY: (
        "/instantly/api/v2/emails/reply",
        {"reply_to_uuid": "inst-email-1", "eaccount": "alex@seller.example"},
    ),
}


@pytest.mark.parametrize("provider", list(Provider))
def test_a_reply_is_queued_then_delivered_once_through_the_leads_provider(
    shop: Shop, box: Sandbox, provider: Provider
) -> None:
    payload, where = INBOUND[provider]
    shop.deliver(provider, payload)
    lead = lead_of(shop.ws.id, **where)
    text = f"Thanks! {uuid.uuid4().hex[:8]}"
    message_id = actions.reply(shop.owner.id, shop.ws.id, lead["id"], text)
    assert status_in_conversation(shop, lead["id"], message_id)["deliveryStatus"] == "queued"
    assert outbox_of(message_id)["provider"] == provider.value

    assert run(shop.ws.id, message_id) == "sent"
    [sent] = box.deliveries(message_id)
    path, fields = EXPECTED[provider]
    assert sent["path"] == path and sent["text"] == text
    assert fields.items() <= sent["fields"].items(), sent["fields"]
    shown = status_in_conversation(shop, lead["id"], message_id)
    assert shown["deliveryStatus"] == "sent" and shown["deliveryError"] is None
    row = message(message_id)
    assert row["providerMessageId"] == sent["providerMessageId"] and row["deliveryAttempts"] == 1

    assert run(shop.ws.id, message_id) == "sent"  # a second run of the job sends nothing
    assert len(box.deliveries(message_id)) == 1


def test_the_same_idempotency_key_is_one_message_and_one_send(shop: Shop, box: Sandbox) -> None:
    shop.deliver(Provider.EMAILBISON, p.emailbison("LEAD_REPLIED", event_id="o-idem"))
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    http, headers = TestClient(API), token(shop.owner)
    url = f"/api/inbox/conversations/{lead['id']}/replies?clientId={shop.ws.id}"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = http.post(url, json={"body": "Once only"}, headers={**headers, **key})
    again = http.post(url, json={"body": "Once only"}, headers={**headers, **key})
    assert first.status_code == again.status_code == 202, (first.text, again.text)
    assert first.json() == {"messageId": first.json()["messageId"], "deliveryStatus": "queued"}
    assert again.json()["messageId"] == first.json()["messageId"]
    assert again.headers["Idempotent-Replayed"] == "true"
    reused = http.post(url, json={"body": "Something else"}, headers={**headers, **key})
    assert reused.status_code == 409 and reused.json()["error"] == "IDEMPOTENCY_KEY_REUSED"
    mine = queries.conversation(shop.owner.id, shop.ws.id, lead["id"])["messages"]
    assert [m["body"] for m in mine if m["direction"] == "outbound"] == ["Once only"]

    message_id = first.json()["messageId"]
    assert run(shop.ws.id, message_id) == "sent"
    replay = http.post(url, json={"body": "Once only"}, headers={**headers, **key})
    assert replay.json() == {"messageId": message_id, "deliveryStatus": "sent"}
    assert len(box.deliveries(message_id)) == 1


@pytest.mark.parametrize("status", [500, 429])
def test_provider_failures_are_retried_then_failed_and_a_retry_sends_it(
    shop: Shop, box: Sandbox, status: int
) -> None:
    shop.deliver(Provider.GHL, p.ghl_sms(message_id=f"ghl-{status}"))
    lead = lead_of(shop.ws.id, phone="+15550107788")
    marker = f"retry-{uuid.uuid4().hex[:8]}"
    message_id = actions.reply(shop.owner.id, shop.ws.id, lead["id"], f"Call you at 10 {marker}")
    box.fault(status=status, count=RETRY.max_attempts, match=marker, retryAfterS=1)
    for attempt in range(1, RETRY.max_attempts):
        assert run(shop.ws.id, message_id, attempt) == "retry"
        row = outbox_of(message_id)
        assert row["state"] == "queued" and row["attempts"] == attempt
        assert row["nextAttemptAt"] > row["updatedAt"]  # a later attempt, not at once
        assert message(message_id)["deliveryStatus"] == "queued"
    assert run(shop.ws.id, message_id, RETRY.max_attempts) == "failed"
    shown = status_in_conversation(shop, lead["id"], message_id)
    assert shown["deliveryStatus"] == "failed" and "GoHighLevel" in shown["deliveryError"]
    assert box.deliveries(message_id) == []
    assert [r["status"] for r in box.requests(message_id)] == [status] * RETRY.max_attempts

    queued = actions.retry_delivery(shop.owner.id, shop.ws.id, uuid.UUID(message_id))
    assert queued.delivery_status == "queued" and outbox_of(message_id)["attempts"] == 0
    assert run(shop.ws.id, message_id) == "sent"
    assert len(box.deliveries(message_id)) == 1
    with pytest.raises(actions.Conflict):
        actions.retry_delivery(shop.owner.id, shop.ws.id, uuid.UUID(message_id))


def test_backoff_delays_grow_and_honour_retry_after() -> None:
    delays = [RETRY.delay_for(42, n, None) for n in range(4)]
    assert all(a < b for a, b in itertools.pairwise(delays)), delays
    assert RETRY.delay_for(42, 0, 120.0) == 120.0


def test_a_blacklisted_lead_is_never_sent_to(shop: Shop, box: Sandbox) -> None:
    shop.deliver(Provider.SMARTLEAD, p.smartlead("EMAIL_REPLY", message_id="<bl-1@x>"))
    lead = lead_of(shop.ws.id, email="kim@buyer.example")
    message_id = actions.reply(shop.owner.id, shop.ws.id, lead["id"], "Following up")
    shop.deliver(Provider.SMARTLEAD, p.smartlead("LEAD_UNSUBSCRIBED", message_id="<bl-2@x>"))
    assert run(shop.ws.id, message_id) == "failed"
    shown = status_in_conversation(shop, lead["id"], message_id)
    assert shown["deliveryStatus"] == "failed" and "blacklisted" in shown["deliveryError"]
    assert box.requests(message_id) == []
    actions.retry_delivery(shop.owner.id, shop.ws.id, uuid.UUID(message_id))
    assert run(shop.ws.id, message_id) == "failed"  # still blacklisted: still never sent
    assert box.requests(message_id) == []


def test_no_credentials_fails_with_a_reason_and_nothing_is_sent(box: Sandbox) -> None:
    shop = Shop.create("No credentials")
    shop.deliver(Provider.EMAILBISON, p.emailbison("LEAD_REPLIED", event_id="o-nocred"))
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    message_id = actions.reply(shop.owner.id, shop.ws.id, lead["id"], "Hello")
    assert run(shop.ws.id, message_id) == "failed"
    assert "no EmailBison credentials" in message(message_id)["deliveryError"]
    assert box.requests(message_id) == []


def test_an_approved_draft_is_queued_and_delivered(shop: Shop, box: Sandbox) -> None:
    shop.deliver(Provider.INSTANTLY, p.instantly("reply_received", email_id="inst-d-1"))
    lead = lead_of(shop.ws.id, email="lee@target.example")
    draft = f.create_draft(f.Lead(id=lead["id"], clientId=shop.ws.id), body="Here is the study")
    resp = TestClient(API).post(
        f"/api/inbox/drafts/{draft.id}/approve?clientId={shop.ws.id}",
        json={},
        headers=token(shop.owner),
    )
    assert resp.status_code == 202 and resp.json()["deliveryStatus"] == "queued", resp.text
    message_id = resp.json()["messageId"]
    assert run(shop.ws.id, message_id) == "sent"
    [sent] = box.deliveries(message_id)
    assert sent["fields"]["reply_to_uuid"] == "inst-d-1" and sent["text"] == "Here is the study"


def test_write_api_roles_and_bad_input(shop: Shop) -> None:
    ws = shop.ws
    portal, other_setter = f.create_user(name="Portal"), f.create_user(name="Other Setter")
    f.add_member(ws, portal, "CLIENT_PORTAL")
    f.add_member(ws, other_setter, "SETTER")
    mine = f.create_lead(ws, assignedToUserId=shop.setter.id)
    foreign = f.create_lead(ws, assignedToUserId=other_setter.id)
    draft = f.create_draft(foreign)
    http = TestClient(API)

    def call(user: Any, method: str, path: str, body: Any = None) -> Any:
        return http.request(method, f"{path}?clientId={ws.id}", json=body, headers=token(user))

    lead_url = "/api/inbox/conversations/{}"
    writes = [
        ("POST", lead_url + "/replies", {"body": "hi"}),
        ("PUT", lead_url + "/status", {"status": "qualified"}),
        ("PUT", lead_url + "/sentiment", {"sentiment": "Interested"}),
        ("PUT", lead_url + "/snooze", {"until": None}),
        ("POST", lead_url + "/read", None),
    ]
    for method, path, body in writes:
        for user, lead in ((shop.setter, foreign), (portal, mine), (shop.setter, None)):
            target = lead.id if lead is not None else uuid.uuid4()
            resp = call(user, method, path.format(target), body)
            assert resp.status_code == 403, (method, path, resp.text)
            assert set(resp.json()) == {"error", "message"}
        assert call(shop.setter, method, path.format(mine.id), body).status_code in (202, 204)
    resp = call(shop.setter, "POST", f"/api/inbox/drafts/{draft.id}/approve", {})
    assert resp.status_code == 403 and resp.json()["error"] == "NOT_YOUR_LEAD"
    resp = call(shop.setter, "PUT", lead_url.format(mine.id) + "/assignee", {"userId": None})
    assert resp.status_code == 403  # setters never assign

    bad = [
        ("POST", "/replies", {"body": "   "}),
        ("POST", "/replies", {"body": "x" * 10_001}),
        ("POST", "/replies", {"body": "hi", "channel": "fax"}),
        ("POST", "/replies", {"body": "hi", "extra": 1}),
        ("POST", "/replies", "not an object"),
        ("PUT", "/status", {"status": "gone"}),
        ("PUT", "/sentiment", {}),
        ("PUT", "/snooze", {"until": "2030-01-01T00:00:00"}),  # no time zone
        ("PUT", "/assignee", {"userId": "not-a-uuid"}),
    ]
    for method, suffix, body in bad:
        resp = call(shop.owner, method, lead_url.format(mine.id) + suffix, body)
        assert resp.status_code == 400, (suffix, body, resp.text)
        assert set(resp.json()) == {"error", "message"}
    resp = http.post(
        f"/api/inbox/conversations/{mine.id}/replies?clientId={ws.id}",
        json={"body": "hi"},
        headers={**token(shop.owner), "Idempotency-Key": "has spaces"},
    )
    assert resp.status_code == 400
    resp = http.post(
        f"/api/inbox/conversations/{mine.id}/replies?clientId=nope", json={"body": "x"}
    )
    assert resp.status_code in (400, 401)

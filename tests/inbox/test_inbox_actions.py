"""Inbox writes: rollups stay exact, roles are enforced, the workspace-changed hook fires."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from inboxapp.db.engine import owner_session
from inboxapp.errors import BadRequest, Conflict, Forbidden, NotFound
from inboxapp.inbox import actions, hooks, queries
from inboxapp.inbox.params import parse_list_params
from inboxapp.inbox.rollups import RECOMPUTE_LEAD_ROLLUPS
from tests import factories as f

NOW = datetime.now(UTC)


@pytest.fixture
def ws():
    owner = f.create_user(name="Owner")
    client = f.create_workspace("Actions", owner)
    manager, portal = f.create_user(name="Manager"), f.create_user(name="Portal")
    f.add_member(client, manager, "INBOX_MANAGER")
    f.add_member(client, portal, "CLIENT_PORTAL")
    setters = [f.create_user(name=f"Setter {i}") for i in range(2)]
    for s in setters:
        f.add_member(client, s, "SETTER")
    return {
        "client": client,
        "owner": owner,
        "manager": manager,
        "portal": portal,
        "setters": setters,
    }


@pytest.fixture
def changed():
    seen: list[uuid.UUID] = []
    hooks.on_workspace_changed(seen.append)
    yield seen
    hooks._listeners.remove(seen.append)


def _lead_row(lead_id):
    with owner_session() as s:
        return s.execute(sa.text('SELECT * FROM "Lead" WHERE id = :i'), {"i": lead_id}).one()


def _ids(user, client, filter_name="all"):
    page = queries.list_conversations(user.id, client.id, parse_list_params(filter=filter_name))
    return {i["id"] for i in page["items"]}


def test_reply_writes_message_updates_rollups_and_leaves_responses(ws, changed) -> None:
    client, owner = ws["client"], ws["owner"]
    lead = f.create_lead(client, sentimentTag="Interested")
    f.create_message(lead, direction="outbound", source="campaign", sentAt=NOW - timedelta(days=2))
    inbound = f.create_message(
        lead,
        direction="inbound",
        source="campaign",
        channel="sms",
        body="Yes, tell me more",
        sentAt=NOW - timedelta(hours=1),
    )
    with owner_session() as s:  # bring rollups in line with the messages, as an import would
        s.execute(RECOMPUTE_LEAD_ROLLUPS, {"lead_id": lead.id})
    assert str(lead.id) in _ids(owner, client, "attention")
    assert _lead_row(lead.id).unreadCount == 1

    actions.reply(owner.id, client.id, lead.id, "  Happy to help!  ")
    row = _lead_row(lead.id)
    assert row.lastZrgOutboundAt is not None and row.lastZrgOutboundAt > inbound.sentAt
    assert row.lastOutboundAt == row.lastZrgOutboundAt == row.lastMessageAt
    assert row.lastMessageDirection == "outbound"
    assert row.lastMessagePreview == "Happy to help!"
    assert str(lead.id) not in _ids(owner, client, "responses")
    assert str(lead.id) in _ids(owner, client, "previous_attention")
    detail = queries.conversation(owner.id, client.id, lead.id)
    assert detail["messages"][-1]["channel"] == "sms"  # replies on the lead's inbound channel
    assert detail["messages"][-1]["senderName"] == "Owner"
    assert changed == [client.id]

    actions.mark_read(owner.id, client.id, lead.id)
    assert _lead_row(lead.id).unreadCount == 0


def test_bad_reply_changes_nothing(ws, changed) -> None:
    lead = f.create_lead(ws["client"])
    for body in ("", "   ", "x" * 10_001, "nul\x00byte"):
        with pytest.raises(BadRequest):
            actions.reply(ws["owner"].id, ws["client"].id, lead.id, body)
    assert _lead_row(lead.id).lastOutboundAt is None
    assert changed == []


def test_first_positive_sentiment_assigns_round_robin_once(ws) -> None:
    client, manager, setters = ws["client"], ws["manager"], ws["setters"]
    leads = [f.create_lead(client) for _ in range(4)]
    for lead in leads:
        actions.set_sentiment(manager.id, client.id, lead.id, "Interested")
    assignees = [_lead_row(lead.id).assignedToUserId for lead in leads]
    assert set(assignees) == {s.id for s in setters}
    assert assignees[0] != assignees[1] and assignees[0] == assignees[2]
    # Positive again later: no reassignment.
    actions.set_sentiment(manager.id, client.id, leads[0].id, "Objection")
    actions.set_sentiment(manager.id, client.id, leads[0].id, "Meeting Requested")
    assert _lead_row(leads[0].id).assignedToUserId == assignees[0]


def test_assign_is_for_managers_only(ws) -> None:
    client, setters = ws["client"], ws["setters"]
    lead = f.create_lead(client, assignedToUserId=setters[0].id)
    with pytest.raises(Forbidden):
        actions.assign(setters[0].id, client.id, lead.id, setters[1].id)
    with pytest.raises(Forbidden):
        actions.assign(ws["portal"].id, client.id, lead.id, setters[1].id)
    with pytest.raises(BadRequest):
        actions.assign(ws["manager"].id, client.id, lead.id, ws["portal"].id)
    actions.assign(ws["manager"].id, client.id, lead.id, setters[1].id)
    assert _lead_row(lead.id).assignedToUserId == setters[1].id
    # The previous setter no longer sees it.
    with pytest.raises(NotFound):
        queries.conversation(setters[0].id, client.id, lead.id)


def test_client_portal_cannot_write(ws) -> None:
    lead = f.create_lead(ws["client"])
    for call in (
        lambda: actions.reply(ws["portal"].id, ws["client"].id, lead.id, "hi"),
        lambda: actions.set_status(ws["portal"].id, ws["client"].id, lead.id, "qualified"),
        lambda: actions.mark_read(ws["portal"].id, ws["client"].id, lead.id),
    ):
        with pytest.raises(Forbidden):
            call()
    assert _lead_row(lead.id).status == "new"


def test_setter_cannot_touch_unassigned_lead(ws) -> None:
    lead = f.create_lead(ws["client"])
    with pytest.raises(Forbidden) as refused:
        actions.reply(ws["setters"][0].id, ws["client"].id, lead.id, "hi")
    assert refused.value.code == "NOT_YOUR_LEAD"
    with pytest.raises(Forbidden) as missing:  # the same answer for a lead that does not exist
        actions.reply(ws["setters"][0].id, ws["client"].id, uuid.uuid4(), "hi")
    assert missing.value.code == "NOT_YOUR_LEAD"


def test_snooze_hides_and_validates(ws) -> None:
    client, owner = ws["client"], ws["owner"]
    lead = f.create_lead(client)
    with pytest.raises(BadRequest):
        actions.snooze(owner.id, client.id, lead.id, NOW - timedelta(hours=1))
    with pytest.raises(BadRequest):
        actions.snooze(owner.id, client.id, lead.id, datetime(2030, 1, 1))
    actions.snooze(owner.id, client.id, lead.id, NOW + timedelta(hours=3))
    assert str(lead.id) not in _ids(owner, client)
    actions.snooze(owner.id, client.id, lead.id, None)
    assert str(lead.id) in _ids(owner, client)


def test_status_and_sentiment_validation(ws) -> None:
    lead = f.create_lead(ws["client"])
    with pytest.raises(BadRequest):
        actions.set_status(ws["owner"].id, ws["client"].id, lead.id, "gone")
    with pytest.raises(BadRequest):
        actions.set_sentiment(ws["owner"].id, ws["client"].id, lead.id, "Happy")
    actions.set_status(ws["owner"].id, ws["client"].id, lead.id, "needs_repair")
    assert str(lead.id) in _ids(ws["owner"], ws["client"], "needs_repair")


def test_draft_approve_edit_reject(ws) -> None:
    client, owner = ws["client"], ws["owner"]
    lead = f.create_lead(client)
    draft = f.create_draft(lead, body="AI says hi")
    assert str(lead.id) in _ids(owner, client, "ai_review")
    actions.edit_draft(owner.id, client.id, draft.id, "AI says hello")
    actions.approve_draft(owner.id, client.id, draft.id)
    assert str(lead.id) not in _ids(owner, client, "ai_review")
    assert str(lead.id) in _ids(owner, client, "ai_sent")
    detail = queries.conversation(owner.id, client.id, lead.id)
    assert detail["messages"][-1]["body"] == "AI says hello"
    assert detail["messages"][-1]["sentBy"] == "ai"
    assert detail["draft"] is None
    with pytest.raises(Conflict):
        actions.reject_draft(owner.id, client.id, draft.id)

    other = f.create_draft(lead, body="Another")
    actions.reject_draft(owner.id, client.id, other.id)
    assert str(lead.id) not in _ids(owner, client, "ai_review")


def test_foreign_workspace_writes_are_refused(ws) -> None:
    stranger = f.create_user()
    lead = f.create_lead(ws["client"])
    with pytest.raises(Forbidden):
        actions.reply(stranger.id, ws["client"].id, lead.id, "hi")
    mine = f.create_workspace("Mine", stranger)
    with pytest.raises(NotFound):
        actions.reply(stranger.id, mine.id, lead.id, "hi")

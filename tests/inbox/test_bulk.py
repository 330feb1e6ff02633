"""Bulk actions: all or nothing through RLS, the role rules of the single writes, exact undo."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from inboxapp.db.engine import owner_session
from inboxapp.errors import AppError, BadRequest, Forbidden, NotFound
from inboxapp.inbox import bulk
from inboxapp.inbox.rollups import RECOMPUTE_LEAD_ROLLUPS
from tests import factories as f


@pytest.fixture
def ws() -> dict[str, Any]:
    owner = f.create_user(name="Bulk Owner")
    client = f.create_workspace("Bulk", owner)
    setter, portal = f.create_user(name="Bulk Setter"), f.create_user(name="Bulk Portal")
    f.add_member(client, setter, "SETTER")
    f.add_member(client, portal, "CLIENT_PORTAL")
    leads = [
        f.create_lead(client, firstName=f"B{i}", status="new", assignedToUserId=setter.id)
        for i in range(3)
    ]
    for lead in leads:
        for _ in range(2):
            f.create_message(lead, direction="inbound", isRead=False)
    with owner_session() as s:
        for lead in leads:
            s.execute(RECOMPUTE_LEAD_ROLLUPS, {"lead_id": lead.id})
    stranger = f.create_user(name="Stranger")
    foreign = f.create_lead(f.create_workspace("Elsewhere", stranger), status="new")
    return {"owner": owner, "client": client, "setter": setter, "portal": portal,
            "leads": leads, "foreign": foreign}  # fmt: skip


def rows(*leads: Any) -> list[tuple[Any, ...]]:
    with owner_session() as s:
        return [
            tuple(
                s.execute(
                    sa.text(
                        'SELECT status, "snoozedUntil", "assignedToUserId", "unreadCount"'
                        ' FROM "Lead" WHERE id = :i'
                    ),
                    {"i": lead.id},
                ).one()
            )
            for lead in leads
        ]


def ids(*leads: Any) -> list[str]:
    return [str(lead.id) for lead in leads]


def test_each_action_and_its_exact_undo(ws: dict[str, Any]) -> None:
    owner, client, leads = ws["owner"], ws["client"], ws["leads"]
    before = rows(*leads)
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    cases = [
        ("read", "", lambda r: r[3] == 0),
        ("snooze", later.isoformat(), lambda r: r[1] == later),
        ("status", "qualified", lambda r: r[0] == "qualified"),
        ("assign", "", lambda r: r[2] is None),
    ]
    for action, value, done in cases:
        result = bulk.apply(owner.id, client.id, ids(*leads), action, value)
        assert all(done(r) for r in rows(*leads)), action
        assert set(result.previous) == set(ids(*leads))
        assert bulk.summary(result).startswith("3 conversations")
        bulk.undo(owner.id, client.id, bulk.BulkResult.from_json(result.to_json()))
        assert rows(*leads) == before, action


def test_undoing_read_restores_only_what_it_marked(ws: dict[str, Any]) -> None:
    owner, client, (a, b, _) = ws["owner"], ws["client"], ws["leads"]
    bulk.apply(owner.id, client.id, ids(a), "read")  # a is read before the batch
    result = bulk.apply(owner.id, client.id, ids(a, b), "read")
    assert result.previous[str(a.id)] == [] and len(result.previous[str(b.id)]) == 2
    bulk.undo(owner.id, client.id, result)
    assert [r[3] for r in rows(a, b)] == [0, 2]


def test_a_lead_the_caller_cannot_change_writes_nothing(ws: dict[str, Any]) -> None:
    owner, client, leads = ws["owner"], ws["client"], ws["leads"]
    before = rows(*leads, ws["foreign"])
    with pytest.raises(NotFound):
        bulk.apply(
            owner.id, client.id, [*ids(*leads), str(ws["foreign"].id)], "status", "qualified"
        )
    with pytest.raises(BadRequest):  # "lost" is no status: refused before anything is read
        bulk.apply(owner.id, client.id, ids(*leads), "status", "lost")
    with pytest.raises(NotFound):
        bulk.apply(owner.id, client.id, [*ids(*leads), str(ws["foreign"].id)], "read")
    assert rows(*leads, ws["foreign"]) == before


def test_roles_follow_the_single_writes(ws: dict[str, Any]) -> None:
    client, leads, setter = ws["client"], ws["leads"], ws["setter"]
    before = rows(*leads)
    with pytest.raises(Forbidden):
        bulk.apply(ws["portal"].id, client.id, ids(*leads), "read")
    with pytest.raises(Forbidden):  # setters do not assign
        bulk.apply(setter.id, client.id, ids(*leads), "assign", "")
    with pytest.raises(BadRequest) as err:  # only the workspace's setters take leads
        bulk.apply(ws["owner"].id, client.id, ids(*leads), "assign", str(ws["portal"].id))
    assert err.value.code == "NOT_A_SETTER"
    assert rows(*leads) == before
    bulk.apply(setter.id, client.id, ids(*leads), "status", "qualified")  # their own leads
    other = f.create_lead(client, status="new")
    with pytest.raises(Forbidden):  # a setter's batch with a lead not theirs
        bulk.apply(setter.id, client.id, [*ids(*leads), str(other.id)], "status", "new")
    assert [r[0] for r in rows(*leads, other)] == ["qualified"] * 3 + ["new"]


@pytest.mark.parametrize(
    ("leads", "action", "value", "code"),
    [
        ([], "read", "", "INVALID_BULK"),
        ("not-a-list", "read", "", "INVALID_BULK"),
        (["nope"], "read", "", "INVALID_BULK"),
        ([7], "read", "", "INVALID_BULK"),
        (None, "read", "", "INVALID_BULK"),
        ([str(uuid.uuid4()) for _ in range(bulk.MAX_BULK + 1)], "read", "", "INVALID_BULK"),
        ([str(uuid.uuid4())], "delete", "", "INVALID_BULK_ACTION"),
        ([str(uuid.uuid4())], "status", "\x00", "INVALID_STATUS"),
        ([str(uuid.uuid4())], "snooze", "tomorrow", "INVALID_SNOOZE"),
        ([str(uuid.uuid4())], "snooze", "2020-01-01T00:00:00+00:00", "INVALID_SNOOZE"),
        ([str(uuid.uuid4())], "snooze", "2999-01-01T00:00:00", "INVALID_SNOOZE"),
        ([str(uuid.uuid4())], "assign", "someone", "INVALID_ASSIGNEE"),
        ([str(uuid.uuid4())], "status", 5, "INVALID_BULK"),
    ],
)
def test_bad_batches_are_clear_errors(
    ws: dict[str, Any], leads: Any, action: str, value: Any, code: str
) -> None:
    with pytest.raises(BadRequest) as err:
        bulk.apply(ws["owner"].id, ws["client"].id, leads, action, value)
    assert err.value.code == code


def test_a_hundred_leads_in_one_batch(ws: dict[str, Any]) -> None:
    client = ws["client"]
    many = [f.create_lead(client, status="new") for _ in range(bulk.MAX_BULK - 3)]
    result = bulk.apply(
        ws["owner"].id, client.id, ids(*ws["leads"], *many) * 2, "status", "engaged"
    )
    assert len(result.previous) == bulk.MAX_BULK  # repeats count once
    assert {r[0] for r in rows(*many)} == {"engaged"}


def test_an_undo_that_can_no_longer_apply_writes_nothing(ws: dict[str, Any]) -> None:
    owner, client, leads = ws["owner"], ws["client"], ws["leads"]
    result = bulk.apply(owner.id, client.id, ids(*leads), "assign", "")
    with owner_session() as s:  # the setter left the workspace meanwhile
        s.execute(sa.text('DELETE FROM "ClientMember" WHERE "userId" = :u'), {"u": ws["setter"].id})
    with pytest.raises(AppError):
        bulk.undo(owner.id, client.id, result)
    assert {r[2] for r in rows(*leads)} == {None}

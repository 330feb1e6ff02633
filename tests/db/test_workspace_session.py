"""``workspace_session``: system work (webhooks, delivery, drafts) sees and changes one
workspace only, decided by row level security as the ``inboxapp_service`` role."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from inboxapp.db.engine import workspace_session
from inboxapp.domain.categories import L
from tests import factories as f


def test_a_workspace_session_is_confined_to_its_workspace() -> None:
    owner_a, owner_b, outsider = f.create_user(), f.create_user(), f.create_user()
    a = f.create_workspace("Service A", owner=owner_a)
    b = f.create_workspace("Service B", owner=owner_b)
    lead_a, lead_b = f.create_lead(a, firstName="Ann"), f.create_lead(b, firstName="Bob")

    with workspace_session(a.id) as s:
        assert set(s.execute(sa.select(L.c.id)).scalars()) == {lead_a.id}
        users = set(s.execute(sa.text('SELECT id FROM "User"')).scalars())
        assert users == {owner_a.id}  # only people of this workspace
        assert s.execute(sa.text('SELECT id FROM "Client"')).scalars().all() == [a.id]
        moved = s.execute(sa.update(L).where(L.c.id == lead_b.id).values(firstName="Eve"))
        assert moved.rowcount == 0  # invisible, so untouchable
        s.execute(sa.insert(L).values(id=uuid.uuid4(), clientId=a.id, firstName="New"))

    with pytest.raises(DBAPIError), workspace_session(a.id) as s:
        s.execute(sa.insert(L).values(id=uuid.uuid4(), clientId=b.id, firstName="Intruder"))
    with pytest.raises(DBAPIError), workspace_session(a.id) as s:
        s.execute(sa.update(L).where(L.c.id == lead_a.id).values(clientId=b.id))
    with workspace_session(b.id) as s:
        names = set(s.execute(sa.select(L.c.firstName)).scalars())
    assert names == {"Bob"}
    assert outsider.id not in users


def test_a_session_without_a_workspace_sees_nothing() -> None:
    f.create_lead(f.create_workspace("Service C"))
    with workspace_session(uuid.uuid4()) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(L)).scalar_one() == 0

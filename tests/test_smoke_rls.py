from sqlalchemy import text

from inboxapp.db.engine import user_session
from tests import factories as f


def test_member_sees_only_own_workspace_leads() -> None:
    a, b = f.create_user(), f.create_user()
    wa, wb = f.create_workspace("A", a), f.create_workspace("B", b)
    la, _ = f.create_lead(wa), f.create_lead(wb)
    with user_session(a.id) as s:
        ids = s.execute(text('SELECT id FROM "Lead"')).scalars().all()
    assert ids == [la.id]

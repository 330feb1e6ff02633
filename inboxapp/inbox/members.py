"""Small per-workspace lookups for the inbox UI: the setters (assign dropdown) and the campaigns
(campaign filter). Both run in ``user_session`` after the usual access check, so row level
security decides what the caller sees.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from inboxapp.db.engine import user_session
from inboxapp.db.models import Campaign, ClientMember, User
from inboxapp.domain.roles import Role
from inboxapp.inbox.queries import require_access

CM: sa.Table = ClientMember.__table__  # type: ignore[attr-defined]
U: sa.Table = User.__table__  # type: ignore[attr-defined]
CA: sa.Table = Campaign.__table__  # type: ignore[attr-defined]


def workspace_setters(user_id: uuid.UUID, client_id: uuid.UUID) -> list[dict[str, str]]:
    """``[{"id", "name", "email"}]`` of the workspace's SETTER members, by name."""
    with user_session(user_id) as s:
        require_access(s, user_id, client_id)
        rows = s.execute(
            sa.select(U.c.id, U.c.displayName, U.c.email)
            .select_from(CM.join(U, U.c.id == CM.c.userId))
            .where(CM.c.clientId == client_id, CM.c.role == Role.SETTER.value)
            .distinct()
            .order_by(U.c.displayName, U.c.id)
        ).all()
    return [{"id": str(r.id), "name": r.displayName or r.email, "email": r.email} for r in rows]


def workspace_campaigns(user_id: uuid.UUID, client_id: uuid.UUID) -> list[dict[str, str]]:
    """``[{"id", "name"}]`` of the workspace's campaigns, by name."""
    with user_session(user_id) as s:
        require_access(s, user_id, client_id)
        rows = s.execute(
            sa.select(CA.c.id, CA.c.name)
            .where(CA.c.clientId == client_id)
            .order_by(CA.c.name, CA.c.id)
        ).all()
    return [{"id": str(r.id), "name": r.name} for r in rows]

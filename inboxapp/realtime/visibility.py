"""Batched access and visibility checks for the realtime hub (blocking; run in a thread).

Per batch and workspace the hub makes:

* ONE :func:`subscriber_access` query for all of the workspace's subscribers in this process:
  each user's effective role (owner/member, disabled users excluded) and which of their login
  sessions (refresh-token families) are still alive. It runs on the owner connection because
  ``app.my_workspaces()`` answers for the caller only: evaluating it for N other users would be
  N ``user_session`` transactions per batch. The query reads roles and session liveness for the
  given user ids only and returns no tenant data.
* ONE :func:`visible_lead_ids` query per distinct scope (``global`` or one setter), inside
  ``user_session`` of a representative user of that scope, so row level security, not Python,
  decides which of the changed leads the scope may see.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field

import sqlalchemy as sa

from inboxapp.db.engine import owner_session, user_session
from inboxapp.domain.roles import Role

ACCESS_SQL = sa.text(
    """
    WITH roles AS (
      SELECT s.uid, (array_agg(s.role ORDER BY app.role_rank(s.role) DESC))[1] AS role
      FROM (
        SELECT c."ownerUserId" AS uid, CAST(:owner AS text) AS role FROM public."Client" c
          WHERE c.id = :client AND c."ownerUserId" = ANY(CAST(:users AS uuid[]))
        UNION ALL
        SELECT m."userId", m.role FROM public."ClientMember" m
          WHERE m."clientId" = :client AND m."userId" = ANY(CAST(:users AS uuid[]))
      ) s
      JOIN public."User" u ON u.id = s.uid AND u."disabledAt" IS NULL
      GROUP BY s.uid
    )
    SELECT 'role' AS kind, r.uid AS id, r.role FROM roles r
    UNION ALL
    SELECT DISTINCT 'session', t."familyId", NULL FROM public."RefreshToken" t
      WHERE t."familyId" = ANY(CAST(:families AS uuid[]))
        AND t."revokedAt" IS NULL AND t."expiresAt" > now()
    """
)

VISIBLE_SQL = sa.text(
    'SELECT id FROM "Lead" WHERE "clientId" = :client AND id = ANY(CAST(:ids AS uuid[]))'
)


@dataclass(frozen=True)
class SubscriberAccess:
    roles: dict[uuid.UUID, str] = field(default_factory=dict)
    """Effective role per user that may open the workspace (absent: no access)."""
    live_sessions: frozenset[uuid.UUID] = frozenset()
    """Session (refresh-token family) ids that are neither revoked nor expired."""


def subscriber_access(
    client_id: uuid.UUID,
    user_ids: Collection[uuid.UUID],
    session_ids: Collection[uuid.UUID] = (),
) -> SubscriberAccess:
    """Roles of ``user_ids`` in the workspace and which ``session_ids`` are alive: 1 query."""
    if not user_ids:
        return SubscriberAccess()
    with owner_session() as s:
        rows = s.execute(
            ACCESS_SQL,
            {
                "client": client_id,
                "users": list(user_ids),
                "families": list(session_ids),
                "owner": Role.OWNER.value,
            },
        ).all()
    roles = {r.id: r.role for r in rows if r.kind == "role"}
    live = frozenset(r.id for r in rows if r.kind == "session")
    return SubscriberAccess(roles, live)


def visible_lead_ids(
    user_id: uuid.UUID, client_id: uuid.UUID, lead_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``lead_ids`` ``user_id`` can see now, decided by RLS: 1 transaction."""
    if not lead_ids:
        return set()
    with user_session(user_id) as s:
        rows = s.execute(VISIBLE_SQL, {"client": client_id, "ids": list(lead_ids)}).scalars()
        return set(rows)

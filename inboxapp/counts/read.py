"""O(1) counts reads: one indexed lookup of the caller's materialized row (RLS-scoped)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inboxapp.counts.recompute import DIRTY, STORED_KEYS, C
from inboxapp.domain.access import Access
from inboxapp.domain.categories import finish_counts


def read_materialized(session: Session, access: Access) -> dict[str, Any] | None:
    """The caller's counts row (global, or their own for a setter); None when missing."""
    scope = access.scope.row_id
    row = session.execute(
        sa.select(C, DIRTY.c.dirtySeq)
        .select_from(C.outerjoin(DIRTY, DIRTY.c.clientId == C.c.clientId))
        .where(C.c.clientId == access.client_id, C.c.scopeUserId == scope)
    ).first()
    if row is None:
        return None
    return {
        "clientId": str(access.client_id),
        "scope": access.scope,
        "counts": finish_counts({k: getattr(row, k) for k in STORED_KEYS}),
        "computedAt": row.computedAt.isoformat(),
        "source": "materialized",
        "version": int(row.version),
        "stale": row.dirtySeq is not None,
    }

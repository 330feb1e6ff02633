"""Recompute a workspace's materialized inbox counts in one SQL pass.

The pass groups the workspace's (non-snoozed) leads by assignee with the canonical category
expressions, so every setter row comes from the same definitions as the list and the live
counts; the global row is the sum of the groups (every lead is in exactly one, unassigned
included). A plain ``GROUP BY`` runs as a parallel aggregate, which ``GROUPING SETS`` cannot:
0.57 s instead of 0.90 s for a million leads on 2 cores. The dirty mark is cleared only when
no newer change arrived meanwhile (``dirtySeq`` unchanged): no lost update.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from inboxapp.db.engine import owner_session
from inboxapp.db.models import InboxCounts, InboxCountsDirty
from inboxapp.domain import categories as cat
from inboxapp.domain.categories import L
from inboxapp.domain.scope import GLOBAL_ROW_ID
from inboxapp.inbox.hooks import bump_cache_versions

C: sa.Table = InboxCounts.__table__  # type: ignore[attr-defined]
DIRTY: sa.Table = InboxCountsDirty.__table__  # type: ignore[attr-defined]
STORED_KEYS = tuple(c.count_key for c in cat.CATEGORIES)
NOTIFY_CHANNEL = "inbox_counts"


@dataclass(frozen=True)
class RecomputeResult:
    client_id: uuid.UUID
    scopes: int
    cleared_dirty: bool
    duration_ms: float


def compute_rows(session: Session, client_id: uuid.UUID) -> dict[uuid.UUID, dict[str, int]]:
    """Counts per scope (global sentinel + each assignee) straight from the lead table."""
    assignee = L.c.assignedToUserId
    stmt = (
        sa.select(assignee, *cat.count_columns(client_id))
        .where(L.c.clientId == client_id, cat.not_snoozed())
        .group_by(assignee)
    )
    total = dict.fromkeys(STORED_KEYS, 0)
    rows: dict[uuid.UUID, dict[str, int]] = {GLOBAL_ROW_ID: total}
    for r in session.execute(stmt):
        values = {k: int(getattr(r, k)) for k in STORED_KEYS}
        for k, v in values.items():
            total[k] += v
        if r.assignedToUserId is not None:
            rows[r.assignedToUserId] = values
    setters = session.execute(
        sa.text(
            'SELECT DISTINCT "userId" FROM "ClientMember"'
            " WHERE \"clientId\" = :c AND role = 'SETTER'"
        ),
        {"c": client_id},
    ).scalars()
    for setter in setters:
        rows.setdefault(setter, dict.fromkeys(STORED_KEYS, 0))
    return rows


def _upsert(session: Session, client_id: uuid.UUID, rows: dict[uuid.UUID, dict[str, int]]) -> None:
    values: list[dict[str, Any]] = [
        {"clientId": client_id, "scopeUserId": scope, **counts} for scope, counts in rows.items()
    ]
    stmt = insert(C).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[C.c.clientId, C.c.scopeUserId],
        set_={
            **{k: stmt.excluded[k] for k in STORED_KEYS},
            "computedAt": sa.func.now(),
            "version": C.c.version + 1,
        },
    )
    session.execute(stmt)
    session.execute(
        sa.delete(C).where(C.c.clientId == client_id, C.c.scopeUserId.not_in(list(rows)))
    )


def recompute_workspace(client_id: uuid.UUID | str) -> RecomputeResult:
    """Recompute, upsert, clear the dirty mark (if unchanged), bump versions, notify."""
    cid = uuid.UUID(str(client_id))
    started = time.perf_counter()
    with owner_session() as s:
        seq = s.execute(
            sa.select(DIRTY.c.dirtySeq).where(DIRTY.c.clientId == cid)
        ).scalar_one_or_none()
        exists = s.execute(sa.text('SELECT 1 FROM "Client" WHERE id = :c'), {"c": cid}).first()
        rows = compute_rows(s, cid) if exists else {}
        if rows:
            _upsert(s, cid, rows)
        cleared = False
        if seq is not None:
            deleted = s.execute(
                sa.delete(DIRTY)
                .where(DIRTY.c.clientId == cid, DIRTY.c.dirtySeq == seq)
                .returning(DIRTY.c.clientId)
            ).first()
            cleared = deleted is not None
        s.execute(sa.text("SELECT pg_notify(:ch, :c)"), {"ch": NOTIFY_CHANNEL, "c": str(cid)})
    bump_cache_versions(cid)
    return RecomputeResult(cid, len(rows), cleared, (time.perf_counter() - started) * 1000)


def dirty_workspaces(limit: int = 1000) -> list[uuid.UUID]:
    with owner_session() as s:
        return list(
            s.execute(sa.select(DIRTY.c.clientId).order_by(DIRTY.c.dirtyAt).limit(limit)).scalars()
        )


def all_workspaces() -> list[uuid.UUID]:
    with owner_session() as s:
        return list(s.execute(sa.text('SELECT id FROM "Client" ORDER BY id')).scalars())


def verify_workspace(client_id: uuid.UUID | str) -> list[str]:
    """Differences between the materialized rows and a live computation (empty when equal)."""
    cid = uuid.UUID(str(client_id))
    with owner_session() as s:
        live = compute_rows(s, cid)
        stored = {
            r.scopeUserId: {k: int(getattr(r, k)) for k in STORED_KEYS}
            for r in s.execute(sa.select(C).where(C.c.clientId == cid))
        }
    problems = []
    for scope in sorted(set(live) | set(stored), key=str):
        if live.get(scope) != stored.get(scope):
            problems.append(
                f"scope {scope}: materialized {stored.get(scope)} != live {live.get(scope)}"
            )
    return problems

"""The one canonical definition of every inbox category (docs/inbox-semantics.md).

Each category is a SQL boolean expression over the ``Lead`` table. The conversation list uses
it as a WHERE clause, the live counts as ``COUNT(*) FILTER (WHERE ...)``, and the materialized
counts recompute uses the very same expressions. Nothing else may define a category.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from inboxapp.db.models import AIDraft, Lead, Message
from inboxapp.domain.vocabulary import ATTENTION_TAGS, EXCLUDED_STATUSES

L: sa.Table = Lead.__table__  # type: ignore[attr-defined]
M: sa.Table = Message.__table__  # type: ignore[attr-defined]
D: sa.Table = AIDraft.__table__  # type: ignore[attr-defined]

EPOCH: ColumnElement[Any] = sa.literal_column("'epoch'::timestamptz")


def not_snoozed() -> ColumnElement[bool]:
    """Every category first excludes snoozed leads."""
    return sa.or_(L.c.snoozedUntil.is_(None), L.c.snoozedUntil <= sa.func.now())


def last_ours() -> ColumnElement[Any]:
    """``coalesce(lastZrgOutboundAt, lastOutboundAt, epoch)``."""
    return sa.func.coalesce(L.c.lastZrgOutboundAt, L.c.lastOutboundAt, EPOCH)


def _non_blacklisted(_client_id: Any = None) -> ColumnElement[bool]:
    return L.c.status.not_in(EXCLUDED_STATUSES)


def _responses(_client_id: Any = None) -> ColumnElement[bool]:
    return sa.and_(L.c.lastInboundAt.is_not(None), L.c.lastInboundAt > last_ours())


def _attention(_client_id: Any = None) -> ColumnElement[bool]:
    return sa.and_(_responses(), L.c.sentimentTag.in_(ATTENTION_TAGS), _non_blacklisted())


def _previous_attention(_client_id: Any = None) -> ColumnElement[bool]:
    return sa.and_(
        L.c.sentimentTag.in_(ATTENTION_TAGS), _non_blacklisted(), last_ours() >= L.c.lastInboundAt
    )


def _needs_repair(_client_id: Any = None) -> ColumnElement[bool]:
    return L.c.status == "needs_repair"


def lead_ids_where(table: sa.Table, *conditions: Any) -> ColumnElement[bool]:
    """``Lead.id IN (SELECT leadId FROM table WHERE ...)`` evaluated once as a hashed subplan.

    The subquery is uncorrelated (the caller passes the workspace id), so it runs once per
    statement instead of once per lead. Wrapping it in ``coalesce`` keeps the planner from
    turning it into a semi-join, so a keyset page walks the (clientId, updatedAt, id) index and
    probes the hash instead of joining and sorting every matching lead.
    """
    sublink = L.c.id.in_(sa.select(table.c.leadId).where(*conditions))
    return sa.func.coalesce(sublink, sa.false())


def _ai_sent(client_id: Any) -> ColumnElement[bool]:
    return lead_ids_where(
        M,
        M.c.clientId == client_id,
        M.c.channel == "email",
        M.c.direction == "outbound",
        M.c.source == "zrg",
        M.c.sentBy == "ai",
        M.c.aiDraftId.is_not(None),
    )


def _ai_review(client_id: Any) -> ColumnElement[bool]:
    return lead_ids_where(
        D,
        D.c.clientId == client_id,
        D.c.status == "pending",
        D.c.autoSendAction == "needs_review",
    )


def _unread(_client_id: Any = None) -> ColumnElement[bool]:
    return L.c.unreadCount > 0


def _total(_client_id: Any = None) -> ColumnElement[bool]:
    return sa.true()


@dataclass(frozen=True)
class Category:
    count_key: str
    list_filter: str | None
    label: str
    where: Callable[[Any], ColumnElement[bool]]
    """``where(client_id)``: the category's condition for leads of that workspace."""


CATEGORIES: tuple[Category, ...] = (
    Category("allResponses", "responses", "All responses", _responses),
    Category("requiresAttention", "attention", "Requires attention", _attention),
    Category(
        "previouslyRequiredAttention",
        "previous_attention",
        "Previously required attention",
        _previous_attention,
    ),
    Category("needsRepair", "needs_repair", "Needs repair", _needs_repair),
    Category("aiSent", "ai_sent", "AI sent", _ai_sent),
    Category("aiReview", "ai_review", "AI review", _ai_review),
    Category("unread", "unread", "Unread", _unread),
    Category("totalNonBlacklisted", None, "Not blacklisted", _non_blacklisted),
    Category("total", "all", "All", _total),
)
BY_FILTER: dict[str, Category] = {c.list_filter: c for c in CATEGORIES if c.list_filter}
COUNT_KEYS = (
    "allResponses",
    "requiresAttention",
    "previouslyRequiredAttention",
    "needsRepair",
    "aiSent",
    "aiReview",
    "unread",
    "awaitingReply",
    "total",
)
"""The nine keys every counts payload carries (awaitingReply is derived)."""


def filter_for(list_filter: str, client_id: Any) -> ColumnElement[bool]:
    """WHERE clause of a list filter (raises KeyError for an unknown filter)."""
    return BY_FILTER[list_filter].where(client_id)


def count_columns(client_id: Any) -> list[ColumnElement[Any]]:
    """``COUNT(*) FILTER (WHERE <category>)`` for every category, labelled by count key."""
    return [
        sa.func.count().filter(c.where(client_id)).label(c.count_key)
        if c.count_key != "total"
        else sa.func.count().label("total")
        for c in CATEGORIES
    ]


def finish_counts(raw: dict[str, int]) -> dict[str, int]:
    """Add the derived ``awaitingReply`` and keep the eight public keys."""
    awaiting = max(0, int(raw["totalNonBlacklisted"]) - int(raw["requiresAttention"]))
    merged = {**raw, "awaitingReply": awaiting}
    return {key: int(merged[key]) for key in COUNT_KEYS}

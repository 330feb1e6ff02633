"""The change feed interface and the event types of realtime invalidation (ids only, no rows).

A :class:`ChangeFeed` turns database changes into :class:`FeedEvent` objects and hands them to a
sink. Two implementations:

* :class:`inboxapp.realtime.pg_feed.PgChangeFeed` (default): one LISTEN connection per process,
  feeding the process hub (:mod:`inboxapp.realtime.hub`), which decides visibility with RLS.
* :class:`inboxapp.realtime.supabase_feed.SupabaseLeadFeed` (``SUPABASE_URL`` set): hosted
  Supabase Realtime ``postgres_changes``, authorized by the user's own access token.

What a subscriber finally receives is a :class:`RealtimeEvent` ``{clientId, leadIds, op,
version}``: which leads of which workspace changed, never what they contain. The UI re-reads
through the RLS-checked read path.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Op = Literal["INSERT", "UPDATE", "RESYNC", "COUNTS"]
"""``INSERT``/``UPDATE``: leads changed (re-read list + counts). ``RESYNC``: changes may have been
missed (listener reconnect, session refreshed after expiry, overflow): re-read everything.
``COUNTS``: the workspace's materialized counts were recomputed (re-read counts)."""

OPS: tuple[Op, ...] = ("INSERT", "UPDATE", "RESYNC", "COUNTS")


@dataclass(frozen=True, slots=True)
class LeadChange:
    """One changed lead as the trigger reports it: ids only."""

    lead_id: uuid.UUID
    old_assignee: uuid.UUID | None = None
    new_assignee: uuid.UUID | None = None
    gone: bool = False
    """The lead left this workspace (an operator moved it)."""


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """What a feed emits: one workspace, one operation, the changed leads (maybe none)."""

    client_id: uuid.UUID
    op: Op
    changes: tuple[LeadChange, ...] = ()

    @property
    def lead_ids(self) -> tuple[uuid.UUID, ...]:
        return tuple(c.lead_id for c in self.changes)


@dataclass(frozen=True, slots=True)
class RealtimeEvent:
    """What a subscriber receives: ``{clientId, leadIds, op, version}`` (ids only)."""

    client_id: uuid.UUID
    lead_ids: tuple[uuid.UUID, ...]
    op: Op
    version: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "clientId": str(self.client_id),
            "leadIds": [str(i) for i in self.lead_ids],
            "op": self.op,
            "version": self.version,
        }


FeedSink = Callable[[FeedEvent], None]
"""Receives feed events on the event loop thread; must not block."""


class ChangeFeed(abc.ABC):
    """A source of :class:`FeedEvent` for the workspaces it watches."""

    @abc.abstractmethod
    async def start(self, sink: FeedSink) -> None:
        """Start delivering events to ``sink`` (returns once the feed is running)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop and release connections. Idempotent."""

    @abc.abstractmethod
    async def watch(self, client_id: uuid.UUID) -> None:
        """Deliver events of this workspace (reference counted)."""

    @abc.abstractmethod
    async def unwatch(self, client_id: uuid.UUID) -> None:
        """Release one :meth:`watch` of this workspace."""

    @property
    @abc.abstractmethod
    def connected(self) -> bool:
        """True while the feed is connected (the UI's live/reconnecting indicator)."""


def parse_uuid(value: Any) -> uuid.UUID | None:
    """A UUID from a payload field, or None (null, missing or malformed)."""
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None

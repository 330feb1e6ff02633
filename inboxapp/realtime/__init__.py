"""Realtime invalidation for the inbox: ids-only change events, RLS-checked fan-out.

* :mod:`.feed`: the :class:`ChangeFeed` interface and the event types (no row data).
* :mod:`.pg_feed`: default feed, one Postgres LISTEN connection per process (migration 0006).
* :mod:`.hub`: per-process, version-based hub; batches per workspace, one RLS visibility query
  per (workspace, scope) per batch.
* :mod:`.visibility`: the batched access and RLS visibility queries.
* :mod:`.supabase_feed`: hosted Supabase Realtime feed (``SUPABASE_URL`` set).
* :mod:`.subscription`: what a UI session uses (``async with subscribe(...) as sub``).
"""

from .feed import ChangeFeed, FeedEvent, LeadChange, Op, RealtimeEvent
from .subscription import (
    Subscription,
    SubscriptionClosed,
    heartbeat_timeout,
    process_hub,
    shutdown,
    subscribe,
)

__all__ = [
    "ChangeFeed",
    "FeedEvent",
    "LeadChange",
    "Op",
    "RealtimeEvent",
    "Subscription",
    "SubscriptionClosed",
    "heartbeat_timeout",
    "process_hub",
    "shutdown",
    "subscribe",
]

"""Hosted Supabase Realtime implementation of the change feed (used when ``SUPABASE_URL`` is set).

One :class:`SupabaseLeadFeed` per subscription: it connects with the ``realtime`` package's
``AsyncRealtimeClient`` (``<SUPABASE_URL>/realtime/v1``, ``apikey`` = the anon key) and, per
watched workspace, joins a channel with two ``postgres_changes`` bindings, INSERT and UPDATE on
``public.Lead`` filtered by ``clientId=eq.<id>``. The join carries the USER's access token
(``set_auth``), so Supabase applies the foundation's RLS policies to every change before sending
it; :meth:`set_auth` pushes a refreshed token to the joined channels before the old one expires.

Change frames carry the whole row; this adapter keeps ``record.id``, ``record.clientId`` and
``record.assignedToUserId`` (and ``old_record.assignedToUserId`` when the table's replica
identity provides it) and drops everything else, so the rest of the app sees the same ids-only
:class:`~.feed.FeedEvent` as with the Postgres feed.

Known limits of the hosted model (why Postgres LISTEN + the hub is the default): Supabase runs
one RLS-checked read per subscriber per change on a single thread, and a setter is not told when
a lead is reassigned away from them (RLS hides the new row); the UI's heartbeat refetch covers
that case.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from typing import Any

from realtime import (
    AsyncRealtimeChannel,
    AsyncRealtimeClient,
    PostgresChangesPayload,
    RealtimePostgresChangesListenEvent,
    RealtimeSubscribeStates,
)

from inboxapp.logs import get_logger

from .feed import ChangeFeed, FeedEvent, FeedSink, LeadChange, parse_uuid

log = get_logger(__name__)

EVENTS = (RealtimePostgresChangesListenEvent.Insert, RealtimePostgresChangesListenEvent.Update)


class RealtimeUnavailable(RuntimeError):
    """The hosted Realtime server refused or did not answer the channel join."""


def realtime_url(supabase_url: str) -> str:
    """``https://<project>.supabase.co`` -> ``https://<project>.supabase.co/realtime/v1``."""
    base = supabase_url.rstrip("/")
    return base if base.endswith("/realtime/v1") else f"{base}/realtime/v1"


def lead_filter(client_id: uuid.UUID) -> str:
    return f"clientId=eq.{client_id}"


def topic_name(client_id: uuid.UUID) -> str:
    """Channel name (the client prefixes ``realtime:``)."""
    return f"inbox-leads:{client_id}"


def event_from_change(client_id: uuid.UUID, payload: Any) -> FeedEvent | None:
    """Ids-only event from a ``postgres_changes`` payload; None when it is not ours."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return None
    kind = getattr(data.get("type"), "value", data.get("type"))
    if kind not in ("INSERT", "UPDATE") or data.get("table") != "Lead":
        return None
    record = data.get("record") or {}
    old = data.get("old_record") or {}
    lead_id = parse_uuid(record.get("id"))
    # The client does not apply the filter (the server does): check the workspace anyway.
    if lead_id is None or parse_uuid(record.get("clientId")) != client_id:
        return None
    change = LeadChange(
        lead_id,
        parse_uuid(old.get("assignedToUserId")),
        parse_uuid(record.get("assignedToUserId")),
    )
    return FeedEvent(client_id, "INSERT" if kind == "INSERT" else "UPDATE", (change,))


class SupabaseLeadFeed(ChangeFeed):
    """``postgres_changes`` on ``public.Lead`` for the watched workspaces, as one user."""

    def __init__(
        self,
        supabase_url: str,
        apikey: str | None,
        access_token: str,
        *,
        hb_interval: int = 25,
        timeout: int = 10,
    ) -> None:
        self._client = AsyncRealtimeClient(
            realtime_url(supabase_url),
            apikey or access_token,
            hb_interval=hb_interval,
            timeout=timeout,
        )
        self._token = access_token
        self._sink: FeedSink | None = None
        self._channels: dict[uuid.UUID, AsyncRealtimeChannel] = {}
        self._refs: dict[uuid.UUID, int] = {}
        self._subscribed: dict[uuid.UUID, bool] = {}
        self._rejoining: set[uuid.UUID] = set()
        self.dropped = 0
        """Change frames ignored (wrong workspace, malformed)."""

    @property
    def client(self) -> AsyncRealtimeClient:
        return self._client

    @property
    def connected(self) -> bool:
        return self._client.is_connected and all(self._subscribed.values())

    async def start(self, sink: FeedSink) -> None:
        self._sink = sink
        await self._client.set_auth(self._token)  # the join payload carries the user's token
        await self._client.connect()

    async def set_auth(self, access_token: str) -> None:
        """Send the refreshed token to every joined channel (``access_token`` frames)."""
        self._token = access_token
        await self._client.set_auth(access_token)

    async def watch(self, client_id: uuid.UUID) -> None:
        self._refs[client_id] = self._refs.get(client_id, 0) + 1
        if client_id in self._channels:
            return
        channel = self._client.channel(topic_name(client_id))
        on_change = functools.partial(self._on_change, client_id)
        for event in EVENTS:
            channel.on_postgres_changes(
                event, on_change, table="Lead", schema="public", filter=lead_filter(client_id)
            )
        states: list[RealtimeSubscribeStates] = []

        def on_state(state: RealtimeSubscribeStates, error: Exception | None) -> None:
            states.append(state)
            self._on_state(client_id, state, error)

        self._channels[client_id] = channel
        self._subscribed[client_id] = False
        await channel.subscribe(on_state)
        if not states or states[-1] != RealtimeSubscribeStates.SUBSCRIBED:
            self._refs.pop(client_id, None)
            self._subscribed.pop(client_id, None)
            self._channels.pop(client_id, None)
            with contextlib.suppress(Exception):
                await self._client.remove_channel(channel)
            raise RealtimeUnavailable(f"realtime join failed: {states[-1] if states else 'none'}")

    async def unwatch(self, client_id: uuid.UUID) -> None:
        left = self._refs.get(client_id, 0) - 1
        if left > 0:
            self._refs[client_id] = left
            return
        self._refs.pop(client_id, None)
        self._subscribed.pop(client_id, None)
        channel = self._channels.pop(client_id, None)
        if channel is not None:
            with contextlib.suppress(Exception):
                await self._client.remove_channel(channel)

    async def close(self) -> None:
        self._channels.clear()
        self._refs.clear()
        self._subscribed.clear()
        with contextlib.suppress(Exception):
            await self._client.remove_all_channels()
        with contextlib.suppress(Exception):
            await self._client.close()

    # -- callbacks (event loop thread) -----------------------------------------------------

    def _emit(self, event: FeedEvent) -> None:
        if self._sink is not None:
            try:
                self._sink(event)
            except Exception:
                log.exception("realtime.sink_failed", clientId=str(event.client_id))

    def _on_change(self, client_id: uuid.UUID, payload: PostgresChangesPayload) -> None:
        event = event_from_change(client_id, payload)
        if event is None:
            self.dropped += 1
            return
        self._emit(event)

    def _on_state(
        self, client_id: uuid.UUID, state: RealtimeSubscribeStates, error: Exception | None
    ) -> None:
        if client_id not in self._subscribed:
            return
        if state == RealtimeSubscribeStates.SUBSCRIBED:
            if client_id in self._rejoining:
                # Rejoined after an error: changes meanwhile are lost, re-read everything.
                self._emit(FeedEvent(client_id, "RESYNC"))
            self._rejoining.discard(client_id)
            self._subscribed[client_id] = True
        else:
            log.info("realtime.hosted_channel_state", state=str(state.value))
            self._subscribed[client_id] = False
            self._rejoining.add(client_id)

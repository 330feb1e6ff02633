"""Accepting a webhook: store the raw event once, queue its processing.

Runs in the endpoint's ``workspace_session``: the token chose the workspace and row level
security keeps the insert in it. A repeat (same provider and dedupe key in that workspace:
another workspace's event never counts) answers ``duplicate``, and re-queues the event if it
is still waiting (a provider retrying after a lost answer heals a lost enqueue). An event type
the adapter does not handle is stored as ``ignored`` and not queued. Only a database failure
fails the request; a failed enqueue is logged and left to the stranded-event sweep.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from inboxapp.db.engine import workspace_session
from inboxapp.logs import get_logger
from inboxapp.pipeline.providers import Provider

from .event import Ignored, Parsed
from .jobs import enqueue_event
from .models import WebhookEvent

W: sa.Table = WebhookEvent.__table__  # type: ignore[attr-defined]
log = get_logger(__name__)
Outcome = Literal["accepted", "duplicate", "ignored"]


@dataclass(frozen=True)
class Stored:
    status: Outcome
    event_id: uuid.UUID


def store_event(
    client_id: uuid.UUID, provider: Provider, parsed: Parsed, payload: dict[str, Any]
) -> Stored:
    ignored = isinstance(parsed, Ignored)
    with workspace_session(client_id) as s:
        new_id = s.execute(
            pg_insert(W)
            .values(
                clientId=client_id,
                provider=provider.value,
                eventType=parsed.event_type[:200] or "unknown",
                dedupeKey=parsed.dedupe_key[:1000],
                payload=payload,
                status="ignored" if ignored else "pending",
            )
            .on_conflict_do_nothing(constraint="WebhookEvent_client_provider_dedupe_key")
            .returning(W.c.id)
        ).scalar_one_or_none()
        existing = None
        if new_id is None:
            existing = s.execute(
                sa.select(W.c.id, W.c.status).where(
                    W.c.clientId == client_id,
                    W.c.provider == provider.value,
                    W.c.dedupeKey == parsed.dedupe_key[:1000],
                )
            ).one()
    if existing is not None:
        if existing.status == "pending":
            _enqueue(client_id, existing.id, fresh=False)
        return Stored("duplicate", existing.id)
    assert new_id is not None
    if ignored:
        return Stored("ignored", new_id)
    _enqueue(client_id, new_id, fresh=True)
    return Stored("accepted", new_id)


def _enqueue(client_id: uuid.UUID, event_id: uuid.UUID, *, fresh: bool) -> None:
    try:
        enqueue_event(client_id, event_id, fresh=fresh)
    except Exception as exc:  # the event is stored: the sweep queues it later
        log.warning("webhook.enqueue_failed", errorType=type(exc).__name__, eventId=str(event_id))

"""Queue a send in the caller's transaction, and the look-ups around it.

:func:`queue` runs inside the transaction that inserts the outbound message (a user's
``user_session`` in :mod:`inboxapp.inbox.actions`): the message is ``queued`` and its outbox
row exists together or not at all. The delivery job is queued after commit
(:func:`inboxapp.pipeline.outbound.delivery.enqueue_delivery`); if that is lost (the process
died in between), the outbox sweep queues it.

The caller's ``Idempotency-Key`` (``requestKey``) is unique per workspace and caller:
:func:`find_request` answers a repeat with the message it created the first time.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inboxapp.domain.categories import M
from inboxapp.errors import BadRequest
from inboxapp.pipeline.providers import CHANNEL, Provider

from .models import Outbox

OB: sa.Table = Outbox.__table__  # type: ignore[attr-defined]
REQUEST_KEY_PATTERN = r"^[A-Za-z0-9._:~+/=-]{1,200}$"
"""An ``Idempotency-Key`` header: 1-200 visible URL-safe characters (UUIDs, ULIDs, base64)."""
_REQUEST_KEY = re.compile(REQUEST_KEY_PATTERN)
DEFAULT_PROVIDER = {
    "email": Provider.EMAILBISON,
    "sms": Provider.GHL,
    "linkedin": Provider.LINKEDIN,
}
"""The provider of a channel when nothing about the lead names one."""


def check_request_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not _REQUEST_KEY.fullmatch(value):
        raise BadRequest(
            "INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be 1-200 URL-safe characters"
        )
    return value


def idempotency_key(message_id: uuid.UUID) -> str:
    """The key every provider request for this message carries (unique, stable across retries)."""
    return f"inboxapp-{message_id}"


@dataclass(frozen=True)
class Queued:
    message_id: uuid.UUID
    outbox_id: uuid.UUID
    delivery_status: str
    replayed: bool = False
    """A repeat of an ``Idempotency-Key``: nothing new was queued."""


def choose_provider(s: Session, lead: Any, channel: str) -> Provider:
    """The provider that carries ``channel`` for this lead: the one its latest message on that
    channel came through (inbound first), else one it has an id at, else the channel's default."""
    used = s.execute(
        sa.select(M.c.provider)
        .where(M.c.leadId == lead.id, M.c.channel == channel, M.c.provider.is_not(None))
        .order_by(
            sa.case((M.c.direction == "inbound", 0), else_=1), M.c.sentAt.desc(), M.c.id.desc()
        )
        .limit(1)
    ).scalar_one_or_none()
    for candidate in (used, *sorted((lead.externalIds or {}).keys())):
        try:
            provider = Provider(candidate)
        except ValueError:
            continue
        if CHANNEL[provider] == channel:
            return provider
    return DEFAULT_PROVIDER[channel]


def queue(
    s: Session,
    *,
    client_id: uuid.UUID,
    lead_id: uuid.UUID,
    message_id: uuid.UUID,
    provider: Provider,
    user_id: uuid.UUID | None,
    request_key: str | None = None,
) -> Queued:
    """The outbox row of a message just inserted as ``queued`` (same transaction)."""
    outbox_id = uuid.uuid4()
    s.execute(
        sa.insert(OB).values(
            id=outbox_id,
            clientId=client_id,
            messageId=message_id,
            leadId=lead_id,
            provider=provider.value,
            idempotencyKey=idempotency_key(message_id),
            requestKey=request_key,
            requestedByUserId=user_id,
        )
    )
    return Queued(message_id, outbox_id, "queued")


def lock_request(s: Session, client_id: uuid.UUID, user_id: uuid.UUID, request_key: str) -> None:
    """Serialize concurrent requests with the same key (until the transaction ends)."""
    s.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"outbox-request:{client_id}:{user_id}:{request_key}"},
    )


def find_request(
    s: Session, client_id: uuid.UUID, user_id: uuid.UUID, request_key: str
) -> Any | None:
    """The message an earlier request with this key created (its id, lead, body, status)."""
    return s.execute(
        sa.select(OB.c.id, OB.c.messageId, M.c.leadId, M.c.body, M.c.deliveryStatus)
        .join(M, M.c.id == OB.c.messageId)
        .where(
            OB.c.clientId == client_id,
            OB.c.requestedByUserId == user_id,
            OB.c.requestKey == request_key,
        )
    ).first()

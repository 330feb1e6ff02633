"""The thread a reply answers, as one provider knows it (read in the workspace's session).

The provider's ids come from what arrived through it: the latest inbound message of the lead
that came through this provider (its id, subject, text), the webhook body that brought it (the
provider-specific fields: a chat id, a stats id, the sending account), the lead's id at the
provider and its campaign's provider id.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inboxapp.db.models import Campaign
from inboxapp.domain.categories import M
from inboxapp.pipeline.inbound.models import WebhookEvent
from inboxapp.pipeline.providers import Provider

from .send import Thread

C: sa.Table = Campaign.__table__  # type: ignore[attr-defined]
W: sa.Table = WebhookEvent.__table__  # type: ignore[attr-defined]


def thread_of(s: Session, lead: Any, provider: Provider) -> Thread:
    latest = s.execute(
        sa.select(M.c.id, M.c.providerMessageId, M.c.subject, M.c.rawText, M.c.rawHtml, M.c.sentAt)
        .where(
            M.c.leadId == lead.id,
            M.c.direction == "inbound",
            M.c.provider == provider.value,
            M.c.providerMessageId.is_not(None),
        )
        .order_by(M.c.sentAt.desc(), M.c.id.desc())
        .limit(1)
    ).first()
    event = _event(s, lead.id, provider, latest.id if latest else None)
    campaign_id = None
    if lead.campaignId is not None:
        campaign_id = s.execute(
            sa.select(C.c.externalId).where(
                C.c.id == lead.campaignId, C.c.provider == provider.value
            )
        ).scalar_one_or_none()
    return Thread(
        email=lead.email,
        phone=lead.phone,
        first_name=lead.firstName,
        last_name=lead.lastName,
        external_id=(lead.externalIds or {}).get(provider.value),
        campaign_id=campaign_id,
        reply_id=latest.providerMessageId if latest else None,
        subject=latest.subject if latest else None,
        reply_text=latest.rawText if latest else None,
        reply_html=latest.rawHtml if latest else None,
        reply_at=latest.sentAt if latest else None,
        event=event,
    )


def _event(
    s: Session, lead_id: uuid.UUID, provider: Provider, message_id: uuid.UUID | None
) -> dict[str, Any]:
    """The webhook body of ``message_id``, else the lead's latest processed one."""
    where = [W.c.provider == provider.value, W.c.status == "processed"]
    where.append(W.c.messageId == message_id if message_id else W.c.leadId == lead_id)
    payload = s.execute(
        sa.select(W.c.payload).where(*where).order_by(W.c.receivedAt.desc()).limit(1)
    ).scalar_one_or_none()
    if payload is None and message_id is not None:
        return _event(s, lead_id, provider, None)
    return dict(payload) if isinstance(payload, dict) else {}

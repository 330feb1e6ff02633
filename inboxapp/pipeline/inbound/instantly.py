"""Instantly (email): ``event_type`` at the root, the lead by ``lead_email``.

Instantly sends no id for a reply: the reply is identified by a digest of the lead, the email
it answers (``email_id``), its time and its text, the same for every retry. Sent emails are
``email_id``; ``lead_interested`` marks the lead interested.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inboxapp.pipeline.providers import Provider

from .event import CampaignRef, InboundEvent, Kind, LeadRef, Parsed, dedupe_key, ignored
from .fields import PayloadError, digest, ident, text, timestamp

PROVIDER = Provider.INSTANTLY
KINDS = {
    "reply_received": Kind.REPLY,
    "auto_reply_received": Kind.REPLY,
    "lead_interested": Kind.INTERESTED,
    "email_sent": Kind.SENT,
    "email_opened": Kind.OPENED,
    "email_bounced": Kind.BOUNCED,
    "lead_unsubscribed": Kind.UNSUBSCRIBED,
}


def parse(payload: Mapping[str, Any]) -> Parsed:
    event_type = text(payload, "event_type", required=True) or ""
    kind = KINDS.get(event_type)
    email_id = ident(payload, "email_id")
    if kind is None:
        return ignored(event_type, email_id, payload)
    lead_email = text(payload, "lead_email")
    if lead_email is None:
        raise PayloadError("lead_email is missing")
    when = timestamp(payload.get("timestamp"))
    message_id: str | None = None
    if kind is Kind.REPLY:
        message_id = _reply_id(lead_email, email_id, payload)
    elif kind is Kind.SENT:
        message_id = ident(payload, "email_id", required=True)
    elif kind is Kind.BOUNCED:
        message_id = f"bounce:{email_id or lead_email}"
    campaign_id = ident(payload, "campaign_id")
    reply = kind is Kind.REPLY
    return InboundEvent(
        kind=kind,
        provider=PROVIDER,
        lead=LeadRef(
            email=lead_email,
            first_name=text(payload, "firstName"),
            last_name=text(payload, "lastName"),
            company=text(payload, "companyName"),
        ),
        campaign=CampaignRef(campaign_id, text(payload, "campaign_name")) if campaign_id else None,
        message_id=message_id,
        subject=text(payload, "reply_subject" if reply else "email_subject"),
        text=text(payload, "reply_text" if reply else "email_text"),
        html=text(payload, "reply_html" if reply else "email_html"),
        sent_at=when,
        sentiment_hint=(
            "Automated Reply"
            if event_type == "auto_reply_received"
            else "Interested"
            if kind is Kind.INTERESTED
            else None
        ),
        event_type=event_type,
        dedupe_key=dedupe_key(event_type, message_id, payload),
    )


def _reply_id(lead_email: str, email_id: str | None, payload: Mapping[str, Any]) -> str:
    return digest(
        lead_email.lower(),
        email_id or "",
        str(payload.get("timestamp") or ""),
        text(payload, "reply_text") or text(payload, "reply_html") or "",
    )

"""SmartLead (email): ``event_type`` at the root (older payloads say ``event``).

Replies carry ``reply_message {message_id, html, text, time}`` (older fields ``message_id``,
``reply_body``, ``preview_text`` as fallbacks); the lead is ``sl_email_lead_id`` /
``sl_lead_email``. ``LEAD_CATEGORY_UPDATED`` to "Interested" marks the lead interested.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inboxapp.pipeline.providers import Provider

from .event import CampaignRef, InboundEvent, Kind, LeadRef, Parsed, dedupe_key, ignored
from .fields import PayloadError, addresses, ident, obj, split_name, text, timestamp

PROVIDER = Provider.SMARTLEAD
KINDS = {
    "EMAIL_REPLY": Kind.REPLY,
    "EMAIL_REPLIED": Kind.REPLY,
    "UNTRACKED_REPLIES": Kind.UNTRACKED_REPLY,
    "EMAIL_SENT": Kind.SENT,
    "FIRST_EMAIL_SENT": Kind.SENT,
    "EMAIL_OPEN": Kind.OPENED,
    "EMAIL_OPENED": Kind.OPENED,
    "EMAIL_BOUNCE": Kind.BOUNCED,
    "EMAIL_BOUNCED": Kind.BOUNCED,
    "LEAD_UNSUBSCRIBED": Kind.UNSUBSCRIBED,
    "EMAIL_UNSUBSCRIBED": Kind.UNSUBSCRIBED,
    "LEAD_CATEGORY_UPDATED": Kind.INTERESTED,
}


def parse(payload: Mapping[str, Any]) -> Parsed:
    event_type = text(payload, "event_type") or text(payload, "event")
    if event_type is None:
        raise PayloadError("event_type is missing")
    kind = KINDS.get(event_type)
    category = text(obj(payload, "lead_category"), "new_name")
    if kind is Kind.INTERESTED and (category or "").lower() != "interested":
        kind = None
    reply = obj(payload, "reply_message")
    message_id = ident(reply, "message_id") or ident(payload, "message_id")
    if kind is None:
        return ignored(event_type, message_id, payload)
    lead = obj(payload, "lead")
    sender = text(payload, "sender_detail")
    first, last = split_name(text(payload, "to_name") or _name_of(sender))
    ref = LeadRef(
        external_id=ident(payload, "sl_email_lead_id")
        or ident(payload, "lead_id")
        or ident(lead, "id"),
        email=text(payload, "sl_lead_email") or text(lead, "email") or _lead_address(kind, payload),
        first_name=text(lead, "first_name") or first,
        last_name=text(lead, "last_name") or last,
        company=text(lead, "company_name"),
    )
    if kind is Kind.UNTRACKED_REPLY:
        ref = LeadRef(email=ref.email, first_name=ref.first_name, last_name=ref.last_name)
    if ref.external_id is None and ref.email is None:
        raise PayloadError("the lead needs sl_email_lead_id or an email")
    campaign_id = ident(payload, "campaign_id")
    sent = obj(payload, "sent_message")
    when = timestamp(
        reply.get("time")
        or payload.get("event_timestamp")
        or payload.get("time_replied")
        or payload.get("time_sent")
        or payload.get("timestamp")
    )
    if kind in (Kind.REPLY, Kind.UNTRACKED_REPLY) and message_id is None:
        raise PayloadError("reply_message.message_id is missing")
    if kind is Kind.SENT:
        message_id = ident(sent, "message_id") or ident(payload, "message_id", required=True)
    if kind is Kind.BOUNCED:
        message_id = (
            f"bounce:{ident(payload, 'message_id') or ident(payload, 'stats_id') or ref.email}"
        )
    inbound = kind in (Kind.REPLY, Kind.UNTRACKED_REPLY)
    return InboundEvent(
        kind=kind,
        provider=PROVIDER,
        lead=ref,
        campaign=(
            CampaignRef(campaign_id, text(payload, "campaign_name"))
            if campaign_id and kind is not Kind.UNTRACKED_REPLY
            else None
        ),
        message_id=message_id
        if kind not in (Kind.OPENED, Kind.UNSUBSCRIBED, Kind.INTERESTED)
        else None,
        subject=text(payload, "subject") or text(payload, "custom_subject"),
        text=(text(reply, "text") or text(payload, "preview_text"))
        if inbound
        else text(sent, "text"),
        html=(
            (text(reply, "html") or text(payload, "reply_body"))
            if inbound
            else text(sent, "html") or text(payload, "custom_email_message")
        ),
        cc=addresses(payload.get("cc_emails") or payload.get("cc")),
        bcc=addresses(payload.get("bcc")),
        sent_at=when,
        sentiment_hint="Interested" if kind is Kind.INTERESTED else None,
        event_type=event_type,
        dedupe_key=dedupe_key(event_type, message_id or ident(payload, "stats_id"), payload),
    )


def _name_of(sender: str | None) -> str | None:
    """``"Jane Doe <jane@x.com>"`` -> ``"Jane Doe"``."""
    if not sender or "<" not in sender:
        return None
    return sender.split("<", 1)[0].strip().strip('"') or None


def _lead_address(kind: Kind, payload: Mapping[str, Any]) -> str | None:
    if kind is Kind.UNTRACKED_REPLY:
        return text(payload, "sender_detail")
    return text(payload, "to_email")

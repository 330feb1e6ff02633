"""EmailBison / Inboxxia (email): ``{"event": {"type", ...}, "data": {...}}``.

Event ids: ``data.campaign_event.id``; message ids: ``data.reply.id`` for replies,
``data.scheduled_email.id`` for sent emails (a bounce gets ``bounce:<scheduled email id>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inboxapp.pipeline.providers import Provider

from .event import CampaignRef, InboundEvent, Kind, LeadRef, Parsed, dedupe_key, ignored
from .fields import PayloadError, addresses, flag, ident, obj, split_name, text, timestamp

PROVIDER = Provider.EMAILBISON
KINDS = {
    "LEAD_REPLIED": Kind.REPLY,
    "LEAD_INTERESTED": Kind.INTERESTED,
    "UNTRACKED_REPLY_RECEIVED": Kind.UNTRACKED_REPLY,
    "EMAIL_SENT": Kind.SENT,
    "EMAIL_OPENED": Kind.OPENED,
    "EMAIL_BOUNCED": Kind.BOUNCED,
    "LEAD_UNSUBSCRIBED": Kind.UNSUBSCRIBED,
}


def parse(payload: Mapping[str, Any]) -> Parsed:
    event_type = text(obj(payload, "event", required=True), "type", required=True) or ""
    data = obj(payload, "data", required=True)
    event_id = ident(obj(data, "campaign_event"), "id")
    kind = KINDS.get(event_type)
    if kind is None:
        return ignored(event_type, event_id, payload)
    lead, reply, scheduled = obj(data, "lead"), obj(data, "reply"), obj(data, "scheduled_email")
    campaign = obj(data, "campaign")
    first, last = text(lead, "first_name"), text(lead, "last_name")
    if kind.inbound:
        if not reply:
            raise PayloadError("data.reply is missing")
        sender_first, sender_last = split_name(text(reply, "from_name"))
        first, last = first or sender_first, last or sender_last
    ref = LeadRef(
        external_id=ident(lead, "id") if kind is not Kind.UNTRACKED_REPLY else None,
        email=text(lead, "email") or text(reply, "from_email_address"),
        first_name=first,
        last_name=last,
        company=text(lead, "company"),
    )
    if ref.external_id is None and ref.email is None:
        raise PayloadError("data.lead needs an id or an email")
    common: dict[str, Any] = {
        "kind": kind,
        "provider": PROVIDER,
        "lead": ref,
        "event_type": event_type,
        "campaign": _campaign(campaign) if kind is not Kind.UNTRACKED_REPLY else None,
    }
    if kind.inbound:
        message_id = ident(reply, "id", required=True)
        hint = "Interested" if kind is Kind.INTERESTED or flag(reply, "interested") else None
        return InboundEvent(
            **common,
            message_id=message_id,
            subject=text(reply, "email_subject"),
            text=text(reply, "text_body"),
            html=text(reply, "html_body"),
            cc=addresses(reply.get("cc")),
            bcc=addresses(reply.get("bcc")),
            sent_at=timestamp(reply.get("date_received") or reply.get("created_at")),
            sentiment_hint=hint or ("Automated Reply" if flag(reply, "automated_reply") else None),
            dedupe_key=dedupe_key(event_type, event_id or message_id, payload),
        )
    scheduled_id = ident(scheduled, "id", required=kind is Kind.SENT)
    message_id = scheduled_id
    if kind is Kind.BOUNCED:
        message_id = f"bounce:{scheduled_id or event_id or ref.email}"
    return InboundEvent(
        **common,
        message_id=message_id if kind in (Kind.SENT, Kind.BOUNCED) else None,
        subject=text(scheduled, "email_subject"),
        html=text(scheduled, "email_body") if kind is Kind.SENT else None,
        sent_at=timestamp(
            scheduled.get("sent_at") or obj(data, "campaign_event").get("created_at")
        ),
        dedupe_key=dedupe_key(event_type, event_id or scheduled_id, payload),
    )


def _campaign(campaign: Mapping[str, Any]) -> CampaignRef | None:
    campaign_id = ident(campaign, "id")
    return CampaignRef(campaign_id, text(campaign, "name")) if campaign_id else None

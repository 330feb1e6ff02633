"""LinkedIn through Unipile: the ``message_received`` webhook.

Unipile reports every message of a chat, ours too: a message whose sender is the connected
account (``is_sender``, or ``sender.attendee_provider_id == account_info.user_id``) is an
outbound campaign message, any other an inbound reply from that attendee. The lead is
identified by the attendee's LinkedIn provider id and profile URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inboxapp.pipeline.providers import Provider

from .event import InboundEvent, Kind, LeadRef, Parsed, dedupe_key, ignored
from .fields import PayloadError, flag, ident, obj, split_name, text, timestamp

PROVIDER = Provider.LINKEDIN
MESSAGE_RECEIVED = "message_received"


def parse(payload: Mapping[str, Any]) -> Parsed:
    event_type = text(payload, "event", required=True) or ""
    message_id = ident(payload, "message_id")
    if event_type != MESSAGE_RECEIVED:
        return ignored(event_type, message_id, payload)
    if message_id is None:
        raise PayloadError("message_id is missing")
    me = ident(obj(payload, "account_info"), "user_id")
    sender = obj(payload, "sender", required=True)
    ours = flag(payload, "is_sender") or (
        me is not None and ident(sender, "attendee_provider_id") == me
    )
    attendee = _other_attendee(payload, me) if ours else sender
    if not attendee:
        raise PayloadError("the message names no attendee to attach it to")
    first, last = split_name(text(attendee, "attendee_name"))
    lead = LeadRef(
        external_id=ident(attendee, "attendee_provider_id"),
        linkedin_url=text(attendee, "attendee_profile_url"),
        first_name=first,
        last_name=last,
    )
    if lead.external_id is None and lead.linkedin_url is None:
        raise PayloadError("the attendee has no provider id or profile URL")
    return InboundEvent(
        kind=Kind.SENT if ours else Kind.REPLY,
        provider=PROVIDER,
        lead=lead,
        message_id=message_id,
        subject=text(payload, "subject"),
        text=text(payload, "message"),
        sent_at=timestamp(payload.get("timestamp")),
        event_type=event_type,
        dedupe_key=dedupe_key(event_type, message_id, payload),
    )


def _other_attendee(payload: Mapping[str, Any], me: str | None) -> Mapping[str, Any]:
    attendees = payload.get("attendees")
    if not isinstance(attendees, list):
        return {}
    for item in attendees:
        if isinstance(item, Mapping) and ident(item, "attendee_provider_id") != me:
            return item
    return {}

"""GoHighLevel (SMS): the workflow webhook, snake_case at the root.

``contact_id`` and ``location.id`` are required (the original refused a body without them);
the SMS text is ``message.body`` (or ``customData.Message``), the time ``customData`` Date +
Time, else ``date_created``. The workflow webhook carries no message id unless the workflow
adds one (``message.id``); otherwise the message is identified by a digest of contact, time
and text, so a provider retry is still the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inboxapp.pipeline.providers import Provider

from .event import CampaignRef, InboundEvent, Kind, LeadRef, Parsed, dedupe_key, ignored
from .fields import digest, ident, obj, split_name, text, timestamp

PROVIDER = Provider.GHL
EVENT_TYPE = "InboundMessage"
SMS_TYPES = ("sms", "2", "type_sms")


def parse(payload: Mapping[str, Any]) -> Parsed:
    contact_id = ident(payload, "contact_id", required=True)
    ident(obj(payload, "location", required=True), "id", required=True)
    message = obj(payload, "message")
    custom = obj(payload, "customData")
    message_type = (text(message, "type") or "sms").lower()
    if message_type not in SMS_TYPES:
        event_type = f"{EVENT_TYPE}:{message_type}"
        return ignored(event_type, None, payload)
    body = text(message, "body") or text(custom, "Message")
    when = _custom_time(custom) or timestamp(payload.get("date_created"))
    message_id = ident(message, "id") or _digest(contact_id or "", when, body)
    full_first, full_last = split_name(text(payload, "full_name"))
    workflow = obj(payload, "workflow")
    workflow_id = ident(workflow, "id")
    return InboundEvent(
        kind=Kind.REPLY,
        provider=PROVIDER,
        lead=LeadRef(
            external_id=contact_id,
            email=text(payload, "email") or text(custom, "Email"),
            phone=text(payload, "phone") or text(custom, "Phone Number"),
            first_name=text(payload, "first_name") or text(custom, "First Name") or full_first,
            last_name=text(payload, "last_name") or text(custom, "Last Name") or full_last,
        ),
        campaign=CampaignRef(workflow_id, text(workflow, "name")) if workflow_id else None,
        message_id=message_id,
        text=body,
        sent_at=when,
        event_type=EVENT_TYPE,
        dedupe_key=dedupe_key(EVENT_TYPE, message_id, payload),
    )


def _custom_time(custom: Mapping[str, Any]) -> Any:
    day, clock = text(custom, "Date"), text(custom, "Time")
    return timestamp(f"{day}T{clock}") if day and clock else timestamp(day)


def _digest(contact_id: str, when: Any, body: str | None) -> str:
    return digest(contact_id, when.isoformat() if when else "", body or "")

"""The one internal event every provider adapter produces, and the helpers adapters share.

An adapter (``inboxapp.pipeline.inbound.<provider>``) has one function,
``parse(payload) -> InboundEvent | Ignored``: it reads its provider's field names, raises
:class:`PayloadError` for a body its provider would never send (the webhook answers 400), and
leaves every rule (lead matching, cleaning, sentiment, status) to :mod:`.process`. The field
readers adapters share are in :mod:`.fields`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inboxapp.pipeline.providers import CHANNEL, Provider

from .fields import digest


class Kind(enum.StrEnum):
    REPLY = "reply"
    """The lead answered (inbound message)."""
    INTERESTED = "interested"
    """The provider marked a reply interested (inbound message, sentiment Interested)."""
    UNTRACKED_REPLY = "untracked_reply"
    """A reply from an address no campaign knows (inbound message, no campaign)."""
    SENT = "sent"
    """The campaign tool sent a message (outbound campaign message, read)."""
    OPENED = "opened"
    """An email was opened: logged only."""
    BOUNCED = "bounced"
    """An email bounced: the lead is blacklisted, a visible ``[BOUNCED]`` message is kept."""
    UNSUBSCRIBED = "unsubscribed"
    """The lead opted out: blacklisted, pending drafts rejected."""

    @property
    def inbound(self) -> bool:
        """A message from the lead (:data:`INBOUND_KINDS`)."""
        return self in INBOUND_KINDS


INBOUND_KINDS = frozenset({Kind.REPLY, Kind.INTERESTED, Kind.UNTRACKED_REPLY})


@dataclass(frozen=True)
class LeadRef:
    """Who the event is about, as the provider names them (normalized by :mod:`.identity`)."""

    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    linkedin_url: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None


@dataclass(frozen=True)
class CampaignRef:
    external_id: str
    name: str | None = None


@dataclass(frozen=True)
class InboundEvent:
    kind: Kind
    provider: Provider
    lead: LeadRef
    campaign: CampaignRef | None = None
    message_id: str | None = None
    """The provider's id of the message (replies, sent messages, bounces); dedupes messages."""
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    sent_at: datetime | None = None
    sentiment_hint: str | None = None
    """What the provider already knows (its "interested" flag, an automated reply)."""
    dedupe_key: str = ""
    event_type: str = ""

    @property
    def channel(self) -> str:
        """The provider's channel (email, sms, linkedin)."""
        return CHANNEL[self.provider]


@dataclass(frozen=True)
class Ignored:
    """An event type with nothing to do here (stored, answered 2xx ``ignored``)."""

    event_type: str
    dedupe_key: str


Parsed = InboundEvent | Ignored


def ignored(event_type: str, event_id: str | None, payload: Mapping[str, Any]) -> Ignored:
    """An event type with nothing to do, deduplicated like any other event."""
    return Ignored(event_type, dedupe_key(event_type, event_id, payload))


def body_digest(payload: Mapping[str, Any]) -> str:
    """A stable id for a payload that carries none of its own (a retry has the same body)."""
    return digest(json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def dedupe_key(event_type: str, event_id: str | None, payload: Mapping[str, Any]) -> str:
    """``<type>:<the provider's id>``, or the body digest when the provider sends no id."""
    return f"{event_type}:{event_id}" if event_id else f"{event_type}:{body_digest(payload)}"

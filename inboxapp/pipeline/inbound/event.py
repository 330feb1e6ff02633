"""The one internal event every provider adapter produces, and the helpers adapters share.

An adapter (``inboxapp.pipeline.inbound.<provider>``) has one function,
``parse(payload) -> InboundEvent | Ignored``: it reads its provider's field names, raises
:class:`PayloadError` for a body its provider would never send (the webhook answers 400), and
leaves every rule (lead matching, cleaning, sentiment, status) to :mod:`.process`.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from inboxapp.pipeline.providers import Provider

MAX_ID_CHARS = 500
MAX_TEXT_CHARS = 200_000


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


INBOUND_KINDS = frozenset({Kind.REPLY, Kind.INTERESTED, Kind.UNTRACKED_REPLY})


class PayloadError(ValueError):
    """A body that is not what the provider sends for its event type (a 400, never stored)."""


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
    channel: str
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


@dataclass(frozen=True)
class Ignored:
    """An event type with nothing to do here (stored, answered 2xx ``ignored``)."""

    event_type: str
    dedupe_key: str


Parsed = InboundEvent | Ignored


# -- field access ----------------------------------------------------------------------------


def obj(payload: Mapping[str, Any], key: str, *, required: bool = False) -> Mapping[str, Any]:
    """``payload[key]`` as an object (``{}`` when absent and not required)."""
    value = payload.get(key)
    if value is None:
        if required:
            raise PayloadError(f"{key} is missing")
        return {}
    if not isinstance(value, Mapping):
        raise PayloadError(f"{key} must be an object")
    return value


def text(payload: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    """A string (or number, as text) field, stripped; None when absent or empty."""
    value = payload.get(key)
    if isinstance(value, bool) or (value is not None and not isinstance(value, str | int | float)):
        raise PayloadError(f"{key} must be a string")
    out = None if value is None else str(value).strip() or None
    if out is None and required:
        raise PayloadError(f"{key} is missing")
    if out is not None and len(out) > MAX_TEXT_CHARS:
        raise PayloadError(f"{key} is too long")
    return out


def ident(payload: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    """An id field (string or integer) as text."""
    out = text(payload, key, required=required)
    if out is not None and len(out) > MAX_ID_CHARS:
        raise PayloadError(f"{key} is too long")
    return out


def flag(payload: Mapping[str, Any], key: str) -> bool:
    value = payload.get(key)
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1"))


def addresses(value: object) -> tuple[str, ...]:
    """Email addresses from ``[{"address": ...}]``, ``["a@x"]`` or ``"a@x, b@y"``."""
    items: Sequence[Any]
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, Sequence):
        items = value
    else:
        raise PayloadError("an address list must be a list or a string")
    out: list[str] = []
    for item in items:
        raw = item.get("address") or item.get("email") if isinstance(item, Mapping) else item
        if isinstance(raw, str) and "@" in raw:
            out.append(raw.strip().lower()[:MAX_ID_CHARS])
    return tuple(dict.fromkeys(out))


def timestamp(value: object) -> datetime | None:
    """ISO-8601 text or unix seconds/milliseconds; None when absent or unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    raw = value.strip().replace("Z", "+00:00").replace(" ", "T", 1)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def body_digest(payload: Mapping[str, Any]) -> str:
    """A stable id for a payload that carries none of its own (a retry has the same body)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def dedupe_key(event_type: str, event_id: str | None, payload: Mapping[str, Any]) -> str:
    """``<type>:<the provider's id>``, or the body digest when the provider sends no id."""
    return f"{event_type}:{event_id}" if event_id else f"{event_type}:{body_digest(payload)}"


def split_name(full: str | None) -> tuple[str | None, str | None]:
    """``"Jane van Doe"`` -> ``("Jane", "van Doe")``."""
    if not full:
        return None, None
    first, _, last = full.strip().partition(" ")
    return first or None, last.strip() or None

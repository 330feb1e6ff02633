"""Validated inbox list parameters and the keyset cursor (shared by the UI state and the API)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from inboxapp.domain.categories import BY_FILTER
from inboxapp.domain.vocabulary import CHANNELS, SENTIMENT_TAGS
from inboxapp.errors import BadRequest, reject_nul
from inboxapp.payloads import UUID_PATTERN

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MIN_QUERY_CHARS, MAX_QUERY_CHARS = 3, 200
SCORES = ("4", "3+", "2+", "1+", "unscored", "disqualified")
ORDERS = ("newest", "oldest")
"""List orders: newest activity first (the default), or oldest first (who has waited longest)."""
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID_RE = re.compile(UUID_PATTERN)


@dataclass(frozen=True)
class Cursor:
    """Position after the last row of a page: ``(updatedAt, id)`` of that row."""

    updated_at: datetime
    lead_id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps({"u": self.updated_at.isoformat(), "i": str(self.lead_id)})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        data = decode_cursor(token, ("u", "i"))
        try:
            return cls(aware_datetime(data["u"]), uuid.UUID(data["i"]))
        except ValueError as exc:
            raise BadRequest(*BAD_CURSOR) from exc


BAD_CURSOR = ("INVALID_CURSOR", "cursor is malformed; start from page one")
MAX_CURSOR_CHARS = 512
CURSOR_PATTERN = f"^[A-Za-z0-9_-]{{1,{MAX_CURSOR_CHARS}}}$"
"""What ``encode`` produces: unpadded URL-safe base64 (of a small JSON object)."""


def decode_cursor(
    token: str, fields: tuple[str, ...], nullable: tuple[str, ...] = ()
) -> dict[str, str]:
    """The cursor's JSON object when every field in ``fields`` is a string (or null, for
    ``nullable`` ones, dropped from the result); else ``BadRequest`` ``INVALID_CURSOR``,
    whatever JSON (or non-JSON) the token holds."""
    try:
        if len(token) > MAX_CURSOR_CHARS:
            raise ValueError("cursor too long")
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, RecursionError) as exc:  # UnicodeError is a ValueError
        raise BadRequest(*BAD_CURSOR) from exc
    if not isinstance(data, dict):
        raise BadRequest(*BAD_CURSOR)
    out: dict[str, str] = {}
    for name in fields:
        value = data.get(name)
        if isinstance(value, str):
            out[name] = value
        elif not (value is None and name in nullable and name in data):
            raise BadRequest(*BAD_CURSOR)
    return out


def aware_datetime(value: str) -> datetime:
    """An ISO-8601 timestamp with an offset (``ValueError`` otherwise)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive timestamp")
    return parsed


@dataclass(frozen=True)
class ListParams:
    filter: str = "all"
    cursor: Cursor | None = None
    limit: int = DEFAULT_LIMIT
    q: str | None = None
    channel: str | None = None
    sentiments: tuple[str, ...] = field(default_factory=tuple)
    campaign_id: uuid.UUID | None = None
    score: str | None = None
    assignee: str | None = None
    """``me``, ``none`` (unassigned) or a user id: whose leads (managers' assignee views)."""
    snoozed: bool = False
    """The Snoozed view: only leads snoozed right now (every other view hides them)."""
    order: str = "newest"
    """One of :data:`ORDERS`: ``updatedAt, id`` descending (newest) or ascending (oldest)."""

    def cache_fields(self) -> dict[str, object]:
        """Normalized filters (without the cursor) for cache keys."""
        return {
            "filter": self.filter,
            "limit": self.limit,
            "q": self.q.lower() if self.q else None,
            "channel": self.channel,
            "sentiments": sorted(self.sentiments),
            "campaign": str(self.campaign_id) if self.campaign_id else None,
            "score": self.score,
            "assignee": self.assignee,
            "snoozed": self.snoozed,
            "order": self.order,
        }


def parse_uuid(value: str | uuid.UUID | None, name: str) -> uuid.UUID:
    """A UUID in its canonical hyphenated form (``UUID_PATTERN``), else 400 ``INVALID_<NAME>``."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not _UUID_RE.fullmatch(value):
        raise BadRequest("INVALID_" + name.upper(), f"{name} must be a UUID")
    return uuid.UUID(value)


def parse_limit(limit: str | int | None, default: int, maximum: int) -> int:
    """A page size from 1 to ``maximum`` (``default`` when absent), else 400 ``INVALID_LIMIT``."""
    if limit in (None, ""):
        return default
    try:
        size = int(str(limit))
    except ValueError:
        raise BadRequest("INVALID_LIMIT", "limit must be a whole number") from None
    if not 1 <= size <= maximum:
        raise BadRequest("INVALID_LIMIT", f"limit must be between 1 and {maximum}")
    return size


def csv_values(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Comma-separated (or listed) values, stripped, without blanks and repeats, sorted."""
    if not value:
        return ()
    raw = value.split(",") if isinstance(value, str) else list(value)
    return tuple(sorted({v.strip() for v in raw if v.strip()}))


ASSIGNEE_WORDS = ("me", "none")


def parse_list_params(
    *,
    filter: str | None = None,
    cursor: str | None = None,
    limit: str | int | None = None,
    q: str | None = None,
    channel: str | None = None,
    sentiment: str | Iterable[str] | None = None,
    campaign_id: str | None = None,
    score: str | None = None,
    assignee: str | None = None,
    snoozed: str | bool | None = None,
    order: str | None = None,
) -> ListParams:
    """Validate raw (string) parameters; raise :class:`BadRequest` with a clear code."""
    raw_values = {"filter": filter, "cursor": cursor, "q": q, "channel": channel, "score": score}
    raw_values["assignee"] = assignee
    raw_values["order"] = order
    raw_values["campaignId"] = campaign_id
    raw_values["sentiment"] = sentiment if isinstance(sentiment, str) else None
    for name, value in raw_values.items():
        reject_nul(value, name)
    name = (filter or "all").strip()
    if name not in BY_FILTER:
        allowed = ", ".join(sorted(BY_FILTER))
        raise BadRequest("INVALID_FILTER", f"unknown filter {name!r}; use one of: {allowed}")
    size = parse_limit(limit, DEFAULT_LIMIT, MAX_LIMIT)
    text = (q or "").strip()
    if text and len(text) < MIN_QUERY_CHARS:
        raise BadRequest("QUERY_TOO_SHORT", f"search needs at least {MIN_QUERY_CHARS} characters")
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest("QUERY_TOO_LONG", f"search is limited to {MAX_QUERY_CHARS} characters")
    if channel and channel not in CHANNELS:
        raise BadRequest("INVALID_CHANNEL", f"channel must be one of: {', '.join(CHANNELS)}")
    tags = csv_values(sentiment)
    if unknown := [t for t in tags if t not in SENTIMENT_TAGS]:
        raise BadRequest("INVALID_SENTIMENT", f"unknown sentiment tag {unknown[0]!r}")
    if score and score not in SCORES:
        raise BadRequest("INVALID_SCORE", f"score must be one of: {', '.join(SCORES)}")
    who = (assignee or "").strip().lower() or None
    if who is not None and who not in ASSIGNEE_WORDS:
        who = str(parse_uuid(who, "assignee"))
    if snoozed not in (None, "", True, False, "true", "false", "1", "0"):
        raise BadRequest("INVALID_SNOOZED", "snoozed must be true or false")
    chosen = order or ORDERS[0]
    if chosen not in ORDERS:
        raise BadRequest("INVALID_ORDER", f"order must be one of: {', '.join(ORDERS)}")
    return ListParams(
        assignee=who,
        snoozed=snoozed in (True, "true", "1"),
        filter=name,
        cursor=Cursor.decode(cursor) if cursor else None,
        limit=size,
        q=text or None,
        channel=channel or None,
        sentiments=tags,
        campaign_id=parse_uuid(campaign_id, "campaignId") if campaign_id else None,
        score=score or None,
        order=chosen,
    )


def is_full_email(text: str) -> bool:
    return bool(EMAIL_RE.match(text))

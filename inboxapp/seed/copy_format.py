"""PostgreSQL ``COPY`` text format: the seeded tables' columns, escaping, timestamps, ids."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

SEED_NAMESPACE = uuid.UUID("5f0c3a52-5b1e-4d61-9a57-3c2b8f0d9e11")
"""Namespace for the deterministic ids of seeded rows (uuid5)."""


NULL = "\\N"
LEAD_COLUMNS = (
    "id",
    "clientId",
    "campaignId",
    "firstName",
    "lastName",
    "email",
    "phone",
    "company",
    "status",
    "sentimentTag",
    "lastInboundAt",
    "lastOutboundAt",
    "lastZrgOutboundAt",
    "lastMessageAt",
    "lastMessageDirection",
    "lastMessagePreview",
    "unreadCount",
    "snoozedUntil",
    "assignedToUserId",
    "assignedAt",
    "positiveAt",
    "overallScore",
    "appointmentBookedAt",
    "createdAt",
    "updatedAt",
)
MESSAGE_COLUMNS = (
    "id",
    "clientId",
    "leadId",
    "channel",
    "source",
    "direction",
    "sentBy",
    "sentByUserId",
    "aiDraftId",
    "subject",
    "body",
    "sentAt",
    "isRead",
    "createdAt",
)
DRAFT_COLUMNS = (
    "id",
    "clientId",
    "leadId",
    "triggerMessageId",
    "channel",
    "body",
    "status",
    "autoSendAction",
    "reviewedByUserId",
    "createdAt",
    "updatedAt",
)


def copy_sql(table: str, columns: Sequence[str]) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    return f'COPY "{table}" ({cols}) FROM STDIN'


def esc(value: str) -> str:
    """Escape a value for COPY text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY_TEXT: dict[int, str] = {}


def ts(epoch_s: int) -> str:
    """Epoch seconds as a UTC timestamptz literal (fast: one cached date string per day)."""
    day, rest = divmod(epoch_s, 86400)
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{text} {hour:02d}:{minute:02d}:{second:02d}+00"


def ts_or_null(epoch_s: int | None) -> str:
    return NULL if epoch_s is None else ts(epoch_s)


def id_prefix(*parts: object) -> str:
    """The first 24 characters (``xxxxxxxx-xxxx-xxxx-xxxx-``) of a deterministic uuid; a 12-hex
    counter completes it. Counter-based ids are unique, deterministic and append to btrees."""
    return str(uuid.uuid5(SEED_NAMESPACE, ":".join(str(p) for p in parts)))[:24]

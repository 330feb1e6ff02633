"""Display labels every screen shares: times in the viewer's zone, sentiment colours, initials and
error sentences. Plain functions of plain values (no Reflex, no database); the per-screen view
models (:mod:`inboxapp.inbox.view`, :mod:`inboxapp.analytics.view`) build on them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SENTIMENT_COLORS = {
    "Meeting Booked": "green",
    "Meeting Requested": "grass",
    "Call Requested": "grass",
    "Information Requested": "cyan",
    "Interested": "teal",
    "Positive": "teal",
    "Follow Up": "amber",
    "Objection": "orange",
    "Not Interested": "red",
    "Blacklist": "crimson",
    "Out of Office": "gray",
    "Automated Reply": "gray",
    "Neutral": "gray",
    "New": "indigo",
    "Snoozed": "purple",
}
"""The Radix colour of each sentiment's badge (gray for anything else)."""


def text(value: Any) -> str:
    """``value`` as display text ("" for None)."""
    return "" if value is None else str(value)


def sentiment_color(tag: str | None) -> str:
    return SENTIMENT_COLORS.get(tag or "", "gray")


def initials(name: str) -> str:
    parts = [p for p in name.replace("@", " ").replace(".", " ").split() if p]
    return ("".join(p[0] for p in parts[:2]) or "?").upper()


def sentence(message: str, fallback: str) -> str:
    """A service message (``AppError.message``) as a UI sentence (``fallback`` when empty)."""
    body = (message or "").strip()
    if not body:
        return fallback
    body = body[:1].upper() + body[1:]
    return body if body.endswith((".", "!", "?")) else body + "."


# ---------------------------------------------------------------------------------- time


def zone(name: str) -> tzinfo:
    """The time zone ``name`` (UTC when empty, unknown or not a zone name at all)."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        return UTC


def parse_ts(value: Any) -> datetime | None:
    """A datetime or ISO string as an aware datetime (naive = UTC); None when empty or bad."""
    if not value:
        return None
    if isinstance(value, datetime):
        ts = value
    else:
        try:
            ts = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def relative_time(value: Any, now: datetime, tz: tzinfo) -> str:
    """Compact list time: now, 12m, 5h, Yesterday, Mon, Mar 3, Mar 3 2023."""
    ts = parse_ts(value)
    if ts is None:
        return ""
    seconds = (now - ts).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    local, today = ts.astimezone(tz), now.astimezone(tz).date()
    if seconds < 24 * 3600 and local.date() >= today - timedelta(days=1):
        return f"{int(seconds // 3600)}h"
    days = (today - local.date()).days
    if days == 1:
        return "Yesterday"
    if days < 7:
        return local.strftime("%a")
    if local.year == today.year:
        return f"{local.strftime('%b')} {local.day}"
    return f"{local.strftime('%b')} {local.day} {local.year}"


def clock_time(value: Any, now: datetime, tz: tzinfo) -> str:
    """Thread time: 14:05 today, Yesterday 14:05, Mar 3, 14:05, Mar 3 2023, 14:05."""
    ts = parse_ts(value)
    if ts is None:
        return ""
    local, today = ts.astimezone(tz), now.astimezone(tz).date()
    hm = local.strftime("%H:%M")
    if local.date() == today:
        return hm
    if local.date() == today - timedelta(days=1):
        return f"Yesterday {hm}"
    if local.year == today.year:
        return f"{local.strftime('%b')} {local.day}, {hm}"
    return f"{local.strftime('%b')} {local.day} {local.year}, {hm}"


def full_time(value: Any, tz: tzinfo) -> str:
    """A tooltip time: ``Wed, Mar 12 2025, 15:30``."""
    ts = parse_ts(value)
    if ts is None:
        return ""
    local = ts.astimezone(tz)
    return f"{local.strftime('%a')}, {local.strftime('%b')} {local.day} {local.year}, " + (
        local.strftime("%H:%M")
    )


def day_label(value: Any, tz: tzinfo, year: int = 0) -> str:
    """An ISO timestamp as ``Mar 3`` (in ``year``) or ``Mar 3, 2025`` in ``tz`` ("" when empty)."""
    if not value:
        return ""
    try:
        ts = datetime.fromisoformat(text(value))
    except ValueError:
        return ""
    ts = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    local = ts.astimezone(tz)
    short = f"{local.strftime('%b')} {local.day}"
    return short if local.year == year else f"{short}, {local.year}"


def short_date(value: Any) -> str:
    """``2026-03-02`` -> ``Mar 2``."""
    try:
        day = date.fromisoformat(text(value)[:10])
    except ValueError:
        return text(value)
    return f"{day.strftime('%b')} {day.day}"

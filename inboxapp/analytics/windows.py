"""Analytics windows: ``7d`` / ``30d`` / ``90d`` (the last N local days, today included) or
``custom`` (``from``..``to``, inclusive dates, at most :data:`MAX_CUSTOM_DAYS` days), always in
the workspace's time zone (``Client.settings.timezone``, resolved by
``app.analytics_timezone`` exactly like the rollups, UTC when unset or unknown).

Parsing (:func:`parse_window`) needs no database and raises :class:`BadRequest` with a stable
code; :func:`resolve` turns the spec into concrete dates for one zone and one "now".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inboxapp.errors import BadRequest

PRESETS = {"7d": 7, "30d": 30, "90d": 90}
CUSTOM = "custom"
DEFAULT_WINDOW = "30d"
WINDOW_KEYS = (*PRESETS, CUSTOM)
"""Every ``window`` value."""
MAX_CUSTOM_DAYS = 180
MIN_YEAR, MAX_YEAR = 2000, 2100
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class WindowSpec:
    """What the caller asked for (validated, zone-free)."""

    key: str = DEFAULT_WINDOW
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Window:
    """Concrete inclusive local dates ``start``..``end`` in zone ``tz``."""

    key: str
    start: date
    end: date
    tz: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def day_list(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def cache_fields(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "tz": self.tz}

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.key,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "timezone": self.tz,
            "days": self.days,
        }


def _parse_date(value: str, name: str) -> date:
    text = value.strip()
    if not _DATE_RE.match(text):
        raise BadRequest("INVALID_DATE", f"{name} must be a date like 2026-01-31")
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise BadRequest("INVALID_DATE", f"{name} is not a valid calendar date") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise BadRequest("DATE_OUT_OF_RANGE", f"{name} must be between {MIN_YEAR} and {MAX_YEAR}")
    return parsed


def parse_window(
    window: str | None = None, from_: str | None = None, to: str | None = None
) -> WindowSpec:
    """Validate ``window`` / ``from`` / ``to`` (``from``/``to`` alone imply ``custom``)."""
    key = (window or "").strip().lower()
    has_dates = bool((from_ or "").strip() or (to or "").strip())
    if not key:
        key = CUSTOM if has_dates else DEFAULT_WINDOW
    if key in PRESETS:
        if has_dates:
            raise BadRequest("INVALID_WINDOW", f"from/to need window=custom (not window={key})")
        return WindowSpec(key)
    if key != CUSTOM:
        allowed = ", ".join(WINDOW_KEYS)
        raise BadRequest("INVALID_WINDOW", f"unknown window {window!r}; use one of: {allowed}")
    if not (from_ or "").strip() or not (to or "").strip():
        raise BadRequest("WINDOW_DATES_REQUIRED", "a custom window needs both from and to")
    start, end = _parse_date(str(from_), "from"), _parse_date(str(to), "to")
    if start > end:
        raise BadRequest("WINDOW_FROM_AFTER_TO", "from must be on or before to")
    days = (end - start).days + 1
    if days > MAX_CUSTOM_DAYS:
        raise BadRequest(
            "WINDOW_TOO_LONG",
            f"a custom window covers at most {MAX_CUSTOM_DAYS} days (this one has {days})",
        )
    return WindowSpec(CUSTOM, start, end)


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone, or UTC when the name is empty or unknown to Python."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def today_in(tz: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone(tz)).date()


def resolve(spec: WindowSpec, tz: str, now: datetime | None = None) -> Window:
    """Concrete dates: presets end today (local) and span N days; custom is as given."""
    if spec.key in PRESETS:
        end = today_in(tz, now)
        return Window(spec.key, end - timedelta(days=PRESETS[spec.key] - 1), end, tz)
    assert spec.start is not None and spec.end is not None
    return Window(CUSTOM, spec.start, spec.end, tz)

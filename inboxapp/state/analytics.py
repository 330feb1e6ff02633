"""The analytics screen's state: tabs, the window, progressive loads and the session cache.

Discipline (the same as :mod:`inboxapp.state.inbox`):

* Only display-ready primitives reach the browser (strings, numbers for the charts); every
  write goes through the guarded setter ``_put``; nothing is written while rendering.
* The *view* is ``workspace | tab | window``. Only the active tab loads. Every load is one
  background task that takes a new request number and captures the view under the state lock;
  a result is applied only while its request is the latest AND the view is unchanged, so a late
  answer for an old window, tab or workspace is dropped. The task sets its loading flags itself
  and the latest task clears them in ``finally`` (flags always end).
* A load waits :data:`SETTLE_S` before it asks the database, so a burst of clicks costs one
  query (the superseded tasks end without fetching).
* The overview is progressive: ``parts=core`` (KPI cards) first, then ``parts=breakdowns``
  (charts; skeletons meanwhile).
* Reads go through the read path (:mod:`inboxapp.analytics.read`, Redis-cached) while the
  ``ANALYTICS_READ_API_V1`` flag is on, else straight to :mod:`inboxapp.analytics.queries`
  inside ``user_session``; the flag is read per request. Everything blocking runs in a thread.

Session cache (browser ``sessionStorage``, see ``assets/analytics_cache.js``): raw API
payloads keyed by ``user | workspace | tab | window | parts``, 10-minute TTL, at most 20 entries
(LRU). Opening a view asks the browser for its entries (``rx.call_script`` + callback): a hit is
shown at once, marked as saved, and replaced by the fresh answer when it arrives; each fresh
answer is written back. The box belongs to one user (another user's box is dropped unread) and
sign-out removes it (:func:`inboxapp.state.auth.on_logout`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx

from inboxapp.analytics import queries, read
from inboxapp.analytics.windows import CUSTOM, DEFAULT_WINDOW, PRESETS, WindowSpec, parse_window
from inboxapp.db.engine import user_session
from inboxapp.domain.roles import Role
from inboxapp.domain.vocabulary import LEAD_STATUSES
from inboxapp.errors import AppError
from inboxapp.flags import ANALYTICS_READ_API, read_flag
from inboxapp.logs import get_logger
from inboxapp.observability.load_slots import coalesced
from inboxapp.state.auth import on_logout
from inboxapp.state.workspace import CLIENT_PARAM, WorkspaceState

log = get_logger("inboxapp.ui")

ANALYTICS_ROUTE = "/analytics"

# Request numbers are unique per process, so a reset state never reuses one.
_REQUESTS = itertools.count(1)
# Coalesced load kinds (one read per tab and kind at a time): the view, and "load more" rows.
VIEW_LOAD = "analytics.view"
MORE_LOAD = "analytics.crm_more"

SETTLE_S = 0.12
"""A load waits this long before it queries; a newer click meanwhile supersedes it."""
STALE_RELOAD_S = 3.0
STALE_RELOADS = 10
"""A view whose payload says ``freshness.stale`` (a rollup is queued) loads again every
``STALE_RELOAD_S`` until it is fresh, at most this many times, so "these numbers refresh
shortly" holds without a click."""

TABS: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("campaigns", "Campaigns"),
    ("setters", "Setters"),
    ("timing", "Response timing"),
    ("crm", "CRM"),
)
TAB_KEYS = tuple(key for key, _ in TABS)
DEFAULT_TAB = "overview"

WINDOWS: tuple[tuple[str, str], ...] = (
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    (CUSTOM, "Custom"),
)

CRM_SORTS: tuple[tuple[str, str], ...] = (
    ("-updatedAt", "Recently updated"),
    ("-createdAt", "Newest"),
    ("createdAt", "Oldest"),
    ("-lastInboundAt", "Latest reply"),
    ("-appointmentBookedAt", "Latest booking"),
)
CRM_SORT_KEYS = tuple(key for key, _ in CRM_SORTS)
CRM_PAGE_SIZE = 50

MSG_LOAD_FAILED = "We couldn't load these numbers. Check your connection and try again."
MSG_BREAKDOWNS_FAILED = "Charts are unavailable right now."
MSG_MORE_FAILED = "We couldn't load more leads. Try again in a moment."

# ---------------------------------------------------------------------------------- cache

STORAGE_KEY = "inboxapp.analytics.v1"
CACHE_TTL_S = 600
CACHE_MAX_ENTRIES = 20
CACHE_JS_PATH = Path(__file__).resolve().parents[2] / "assets" / "analytics_cache.js"


def _load_cache_lib() -> str:
    """The helper's source without its comment lines (it travels with every call)."""
    lines = CACHE_JS_PATH.read_text(encoding="utf-8").splitlines()
    kept = [ln for ln in lines if not ln.lstrip().startswith(("/*", "*", "//"))]
    return "\n".join(kept)


CACHE_LIB = _load_cache_lib()
CLEAR_CACHE_SCRIPT = (
    f"try {{ window.sessionStorage.removeItem({json.dumps(STORAGE_KEY)}); }} catch (e) {{}}"
)

# Sign-out (in any page of this tab) forgets every cached analytics payload.
on_logout(rx.call_script(CLEAR_CACHE_SCRIPT))


def window_token(window: str, start: str = "", end: str = "") -> str:
    """The window part of a cache key: ``30d`` or ``custom:2026-01-01:2026-01-31``."""
    return f"{CUSTOM}:{start}:{end}" if window == CUSTOM else window


def cache_key(user_id: str, client_id: str, tab: str, window: str, parts: str) -> str:
    """``user | workspace | tab | window | parts``: the session cache's key (user id first)."""
    return "|".join((user_id, client_id, tab, window, parts))


def cache_parts(tab: str, crm_sort: str = "", crm_status: str = "") -> tuple[str, ...]:
    """The cached parts of a tab (the overview's two chunks; CRM: the first page per filter)."""
    if tab == "overview":
        return ("core", "breakdowns")
    if tab == "crm":
        return (f"rows:{crm_sort}:{crm_status or '*'}",)
    return ("all",)


def cache_get_script(user_id: str, keys: Sequence[str]) -> str:
    return (
        f"{CACHE_LIB}\n;window.__inboxAnalyticsCache.get("
        f"{json.dumps(user_id)}, {json.dumps(list(keys))})"
    )


def cache_put_script(user_id: str, key: str, tab: str, data: Mapping[str, Any]) -> str:
    payload = json.dumps(data, separators=(",", ":"), default=str)
    return (
        f"{CACHE_LIB}\n;window.__inboxAnalyticsCache.put("
        f"{json.dumps(user_id)}, {json.dumps(key)}, {json.dumps(tab)}, {payload})"
    )


def analytics_url_script(client_id: str, query: Mapping[str, str]) -> str:
    """Put ``tab``/``window``/``from``/``to`` in the address bar without a navigation, only
    while the URL still shows ``client_id`` (a late call never lands on another workspace)."""
    return (
        "(() => { const u = new URL(window.location.href);"
        f" if (u.searchParams.get('clientId') !== {json.dumps(client_id)}) return;"
        " for (const k of ['tab', 'window', 'from', 'to']) u.searchParams.delete(k);"
        f" const q = {json.dumps(dict(query))};"
        " for (const [k, v] of Object.entries(q)) { if (v) u.searchParams.set(k, v); }"
        " const next = u.pathname + u.search + u.hash;"
        " if (next !== window.location.pathname + window.location.search + window.location.hash)"
        " { window.history.replaceState(window.history.state, '', next); } })()"
    )


# ---------------------------------------------------------------------------------- labels

KPI_DEFS: tuple[tuple[str, str], ...] = (
    ("totalLeads", "Total leads"),
    ("leadsContacted", "Leads contacted"),
    ("responses", "Responses"),
    ("responseRate", "Response rate"),
    ("meetingsRequested", "Meetings requested"),
    ("meetingsBooked", "Meetings booked"),
    ("setterMedianResponse", "Setter median response"),
    ("aiMedianResponse", "AI median response"),
)
KPI_KEYS = tuple(key for key, _ in KPI_DEFS)

SENTIMENT_FILLS = {
    "Meeting Booked": "var(--green-9)",
    "Meeting Requested": "var(--grass-9)",
    "Call Requested": "var(--grass-8)",
    "Information Requested": "var(--cyan-9)",
    "Interested": "var(--teal-9)",
    "Positive": "var(--teal-8)",
    "Follow Up": "var(--amber-9)",
    "Objection": "var(--orange-9)",
    "Not Interested": "var(--red-9)",
    "Blacklist": "var(--crimson-9)",
    "Out of Office": "var(--gray-8)",
    "Automated Reply": "var(--gray-7)",
    "Neutral": "var(--gray-9)",
    "New": "var(--indigo-9)",
    "Snoozed": "var(--purple-9)",
}
SENTIMENT_BADGES = {
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
    "New": "indigo",
    "Snoozed": "purple",
}
FALLBACK_FILL = "var(--slate-8)"
DASH = "—"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def count_label(value: Any) -> str:
    return f"{_int(value):,}"


def replies_label(value: Any) -> str:
    n = _int(value)
    return f"{n:,} {'reply' if n == 1 else 'replies'}"


def pct_label(value: Any) -> str:
    number = _num(value)
    return DASH if number is None else f"{round(number, 1):g}%"


def duration_label(seconds: Any) -> str:
    """A compact duration: 45s, 12m, 3h 20m, 2d 4h (— when unknown)."""
    number = _num(seconds)
    if number is None or number < 0:
        return DASH
    s = round(number)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h}h {m}m" if m else f"{h}h"
    d, h = divmod(s // 3600, 24)
    return f"{d}d {h}h" if h else f"{d}d"


def time_unit(values: Sequence[float | None]) -> tuple[str, int]:
    """The unit a chart of durations reads best in: (label, seconds per unit)."""
    top = max((v for v in values if v is not None), default=0.0)
    if top >= 2 * 3600:
        return "hours", 3600
    if top >= 120:
        return "minutes", 60
    return "seconds", 1


def _in_unit(seconds: Any, per: int) -> float | None:
    number = _num(seconds)
    return None if number is None else round(number / per, 1)


def status_label(status: Any) -> str:
    text = _s(status).replace("_", " ").replace("-", " ").strip()
    return (text[:1].upper() + text[1:]) or "No status"


def short_date(value: Any) -> str:
    """``2026-03-02`` -> ``Mar 2``."""
    try:
        day = date.fromisoformat(_s(value)[:10])
    except ValueError:
        return _s(value)
    return f"{day.strftime('%b')} {day.day}"


def _zone(name: Any) -> Any:
    try:
        return ZoneInfo(_s(name) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def day_label(value: Any, tz: Any, year: int = 0) -> str:
    """An ISO timestamp as ``Mar 3`` (in ``year``) or ``Mar 3, 2025`` in the workspace's zone
    ("" when empty)."""
    if not value:
        return ""
    try:
        ts = datetime.fromisoformat(_s(value))
    except ValueError:
        return ""
    ts = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    local = ts.astimezone(tz)
    short = f"{local.strftime('%b')} {local.day}"
    return short if local.year == year else f"{short}, {local.year}"


def period_label(data: Mapping[str, Any]) -> str:
    """``Feb 5 - Mar 6, 2026 · 30 days · UTC`` (an en dash) from a payload's window fields."""
    try:
        start = date.fromisoformat(_s(data.get("from")))
        end = date.fromisoformat(_s(data.get("to")))
    except ValueError:
        return ""
    first = f"{start.strftime('%b')} {start.day}" + (
        f", {start.year}" if start.year != end.year else ""
    )
    days = _int(data.get("days")) or (end - start).days + 1
    unit = "day" if days == 1 else "days"
    tz = _s(data.get("timezone")) or "UTC"
    return f"{first} \u2013 {end.strftime('%b')} {end.day}, {end.year} · {days} {unit} · {tz}"


def freshness_note(data: Mapping[str, Any]) -> str:
    fresh = data.get("freshness")
    if isinstance(fresh, Mapping) and fresh.get("stale"):
        return "Recent changes are still being added up; these numbers refresh shortly."
    return ""


# ---------------------------------------------------------------------------------- views


def kpi_view(core: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The KPI cards' values and hints from ``core``."""
    setter_n, ai_n = _int(core.get("setterResponses")), _int(core.get("aiResponses"))
    values = {
        "totalLeads": count_label(core.get("totalLeads")),
        "leadsContacted": count_label(core.get("leadsContacted")),
        "responses": count_label(core.get("responses")),
        "responseRate": pct_label(core.get("responseRate")),
        "meetingsRequested": count_label(core.get("meetingsRequested")),
        "meetingsBooked": count_label(core.get("meetingsBooked")),
        "setterMedianResponse": duration_label(core.get("setterMedianResponseSeconds")),
        "aiMedianResponse": duration_label(core.get("aiMedianResponseSeconds")),
    }
    hints = {
        "totalLeads": "New leads in the period",
        "leadsContacted": "First outbound message sent",
        "responses": "Leads who replied for the first time",
        "responseRate": "Responses ÷ leads contacted",
        "meetingsRequested": "Asked for a meeting or a call",
        "meetingsBooked": "Appointment booked",
        "setterMedianResponse": f"Inbound → setter reply · {replies_label(setter_n)}",
        "aiMedianResponse": f"Inbound → AI reply · {replies_label(ai_n)}",
    }
    return values, hints


def breakdowns_view(b: Mapping[str, Any]) -> dict[str, Any]:
    """Chart rows for the overview's breakdowns (numbers stay numbers for recharts)."""
    sentiment = [
        {
            "name": _s(r.get("sentiment")) or "None",
            "leads": _int(r.get("leads")),
            "fill": SENTIMENT_FILLS.get(_s(r.get("sentiment")), FALLBACK_FILL),
        }
        for r in b.get("bySentiment") or []
        if _int(r.get("leads")) > 0
    ]
    weekly = [
        {
            "week": short_date(r.get("week")),
            "inbound": _int(r.get("inbound")),
            "outbound": _int(r.get("outbound")),
        }
        for r in b.get("weekly") or []
    ]
    status = [
        {"status": status_label(r.get("status")), "leads": _int(r.get("leads"))}
        for r in b.get("leadsByStatus") or []
        if _int(r.get("leads")) > 0
    ]
    setters = list(b.get("perSetter") or [])
    medians: list[float | None] = []
    for s in setters:
        medians += [_num((s.get(w) or {}).get("medianSeconds")) for w in ("setter", "ai")]
    unit, per = time_unit(medians)
    per_setter = [
        {
            "name": _s(s.get("name")) or "Unknown",
            "setter": _in_unit((s.get("setter") or {}).get("medianSeconds"), per),
            "ai": _in_unit((s.get("ai") or {}).get("medianSeconds"), per),
        }
        for s in setters
    ]
    setter_rows = [
        {
            "name": _s(s.get("name")) or "Unknown",
            "setter_median": duration_label((s.get("setter") or {}).get("medianSeconds")),
            "setter_p90": duration_label((s.get("setter") or {}).get("p90Seconds")),
            "setter_n": replies_label((s.get("setter") or {}).get("responses")),
            "ai_median": duration_label((s.get("ai") or {}).get("medianSeconds")),
            "ai_n": replies_label((s.get("ai") or {}).get("responses")),
        }
        for s in setters
    ]
    return {
        "sentiment_data": sentiment,
        "weekly_data": weekly,
        "status_data": status,
        "setter_timing_data": per_setter,
        "setter_timing_rows": setter_rows,
        "setter_timing_unit": unit,
    }


def campaigns_view(data: Mapping[str, Any]) -> dict[str, Any]:
    items = list(data.get("campaigns") or [])
    rows = [
        {
            "id": _s(c.get("campaignId")),
            "name": _s(c.get("name")) or "Untitled campaign",
            "channel": _s(c.get("channel")).capitalize(),
            "contacted": count_label(c.get("contacted")),
            "replies": count_label(c.get("replies")),
            "reply_rate": pct_label(c.get("replyRate")),
            "positive": count_label(c.get("positiveReplies")),
            "positive_rate": pct_label(c.get("positiveRate")),
            "requested": count_label(c.get("meetingsRequested")),
            "request_rate": pct_label(c.get("meetingRequestRate")),
            "booked": count_label(c.get("meetingsBooked")),
            "booking_rate": pct_label(c.get("bookingRate")),
        }
        for c in items
    ]
    top = sorted(items, key=lambda c: -_int(c.get("replies")))[:8]
    chart = [
        {
            "name": _s(c.get("name")) or "Untitled campaign",
            "replies": _int(c.get("replies")),
            "positive": _int(c.get("positiveReplies")),
            "booked": _int(c.get("meetingsBooked")),
        }
        for c in top
        if _int(c.get("replies")) or _int(c.get("contacted"))
    ]
    return {"campaign_rows": rows, "campaign_chart": chart}


def setters_view(data: Mapping[str, Any]) -> dict[str, Any]:
    items = list(data.get("setters") or [])
    rows = [
        {
            "id": _s(s.get("setterId")),
            "name": _s(s.get("name")) or "Unknown",
            "assigned": count_label(s.get("assigned")),
            "responded": count_label(s.get("responded")),
            "responded_rate": pct_label(s.get("respondedRate")),
            "positive": count_label(s.get("positive")),
            "positive_rate": pct_label(s.get("positiveRate")),
            "requested": count_label(s.get("requested")),
            "requested_rate": pct_label(s.get("requestedRate")),
            "booked": count_label(s.get("booked")),
            "booked_rate": pct_label(s.get("bookedRate")),
        }
        for s in items
    ]
    chart = [
        {
            "name": _s(s.get("name")) or "Unknown",
            "assigned": _int(s.get("assigned")),
            "responded": _int(s.get("responded")),
            "positive": _int(s.get("positive")),
            "requested": _int(s.get("requested")),
            "booked": _int(s.get("booked")),
        }
        for s in items
    ]
    return {"setter_rows": rows, "setter_chart": chart}


def timing_view(data: Mapping[str, Any]) -> dict[str, Any]:
    dist = data.get("distributions") or {}
    setter, ai = dist.get("setter") or {}, dist.get("ai") or {}
    summary = {
        f"{who}_{field}": fmt(d.get(key))
        for who, d in (("setter", setter), ("ai", ai))
        for field, key, fmt in (
            ("n", "responses", replies_label),
            ("median", "medianSeconds", duration_label),
            ("p90", "p90Seconds", duration_label),
            ("avg", "avgSeconds", duration_label),
        )
    }
    ai_buckets = {_s(b.get("label")): _int(b.get("count")) for b in ai.get("buckets") or []}
    buckets = [
        {
            "label": _s(b.get("label")),
            "setter": _int(b.get("count")),
            "ai": ai_buckets.get(_s(b.get("label")), 0),
        }
        for b in setter.get("buckets") or []
    ]
    hours = list(data.get("byHour") or [])
    medians = [_num((h.get(w) or {}).get("medianSeconds")) for h in hours for w in ("setter", "ai")]
    unit, per = time_unit(medians)
    by_hour = [
        {
            "hour": f"{_int(h.get('hour')):02d}:00",
            "setter": _in_unit((h.get("setter") or {}).get("medianSeconds"), per),
            "ai": _in_unit((h.get("ai") or {}).get("medianSeconds"), per),
        }
        for h in hours
    ]
    return {
        "timing_summary": summary,
        "timing_buckets": buckets,
        "timing_hours": by_hour,
        "timing_unit": unit,
    }


def crm_view(data: Mapping[str, Any], today: date | None = None) -> list[dict[str, str]]:
    tz = _zone(data.get("timezone"))
    year = (today or datetime.now(tz).date()).year
    return [
        {
            "id": _s(r.get("id")),
            "name": _s(r.get("name")) or "Unknown lead",
            "detail": " · ".join(p for p in (_s(r.get("company")), _s(r.get("email"))) if p),
            "status": status_label(r.get("status")),
            "sentiment": _s(r.get("sentimentTag")),
            "sentiment_color": SENTIMENT_BADGES.get(_s(r.get("sentimentTag")), "gray"),
            "campaign": _s(r.get("campaignName")),
            "assignee": _s(r.get("assigneeName")) or "Unassigned",
            "created": day_label(r.get("createdAt"), tz, year),
            "last_inbound": day_label(r.get("lastInboundAt"), tz, year),
            "booked": day_label(r.get("appointmentBookedAt"), tz, year),
        }
        for r in data.get("items") or []
    ]


def tab_view(tab: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The vars a non-overview tab shows for one payload."""
    if tab == "campaigns":
        return campaigns_view(data)
    if tab == "setters":
        return setters_view(data)
    if tab == "timing":
        return timing_view(data)
    if tab == "crm":
        return {"crm_rows": crm_view(data), "crm_next_cursor": _s(data.get("nextCursor"))}
    raise ValueError(f"unknown tab {tab!r}")


EMPTY_TAB_VARS: dict[str, Any] = {
    "campaign_rows": [],
    "campaign_chart": [],
    "setter_rows": [],
    "setter_chart": [],
    "timing_summary": {},
    "timing_buckets": [],
    "timing_hours": [],
    "timing_unit": "minutes",
    "crm_rows": [],
    "crm_next_cursor": "",
}
EMPTY_BREAKDOWN_VARS: dict[str, Any] = {
    "sentiment_data": [],
    "weekly_data": [],
    "status_data": [],
    "setter_timing_data": [],
    "setter_timing_rows": [],
    "setter_timing_unit": "minutes",
}


def human_error(message: str) -> str:
    """A service message (``BadRequest.message``) as a sentence for the UI."""
    text = (message or "").strip()
    if not text:
        return MSG_LOAD_FAILED
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def window_from_query(params: Mapping[str, str]) -> tuple[str, str, str] | None:
    """``(window, from, to)`` from ``?window=&from=&to=`` when they form a valid window."""
    key = _s(params.get("window")).strip().lower()
    if not key:
        return None
    start, end = _s(params.get("from")).strip(), _s(params.get("to")).strip()
    try:
        parse_window(key, start if key == CUSTOM else None, end if key == CUSTOM else None)
    except AppError:
        return None
    return (key, start, end) if key == CUSTOM else (key, "", "")


# ---------------------------------------------------------------------------------- services


def read_api_enabled() -> bool:
    return read_flag(ANALYTICS_READ_API).enabled


def _direct(user_id: uuid.UUID, client_id: uuid.UUID, spec: WindowSpec, fn: Any, *args: Any) -> Any:
    """The legacy path (flag off): access check and the query, no shared cache."""
    access, window = read.access_and_window(user_id, client_id, spec)
    with user_session(user_id) as s:
        return fn(s, access, window, *args)


def fetch_overview(user_id: str, client_id: str, spec: WindowSpec, parts: str) -> dict[str, Any]:
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    if read_api_enabled():
        return read.overview(uid, cid, spec, parts).data
    result: dict[str, Any] = _direct(uid, cid, spec, queries.overview, parts)
    return result


_TAB_READS = {
    "campaigns": (read.campaigns, queries.campaigns),
    "setters": (read.setters, queries.setters),
    "timing": (read.response_timing, queries.response_timing),
}


def fetch_tab(user_id: str, client_id: str, tab: str, spec: WindowSpec) -> dict[str, Any]:
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    cached_read, query = _TAB_READS[tab]
    if read_api_enabled():
        return cached_read(uid, cid, spec).data
    result: dict[str, Any] = _direct(uid, cid, spec, query)
    return result


def fetch_crm(
    user_id: str, client_id: str, spec: WindowSpec, sort: str, status: str, cursor: str
) -> dict[str, Any]:
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    params = queries.parse_crm_params(
        window=spec,
        sort=sort,
        cursor=cursor or None,
        limit=CRM_PAGE_SIZE,
        status=status or None,
    )
    if read_api_enabled():
        return read.crm_rows(uid, cid, params).data
    access, window = read.access_and_window(uid, cid, params.window)
    with user_session(uid) as s:
        return queries.crm_rows(s, access, params, window)


# ---------------------------------------------------------------------------------- state


class AnalyticsState(WorkspaceState):
    """Tabs, window, KPIs, charts and tables of the active workspace's analytics."""

    # What is shown: the workspace whose data the vars hold ("" = none yet), tab and window.
    an_client: str = ""
    an_role: str = ""
    an_tab: str = DEFAULT_TAB
    an_window: str = DEFAULT_WINDOW
    an_from: str = ""
    an_to: str = ""
    custom_open: bool = False
    window_error: str = ""

    period: str = ""
    freshness: str = ""
    from_cache: bool = False
    cache_age: str = ""
    view_error: str = ""
    view_loading: bool = False

    # Overview.
    core_loaded: bool = False
    kpi_values: dict[str, str] = {}
    kpi_hints: dict[str, str] = {}
    breakdowns_loaded: bool = False
    breakdowns_loading: bool = False
    breakdowns_error: str = ""
    sentiment_data: list[dict[str, Any]] = []
    weekly_data: list[dict[str, Any]] = []
    status_data: list[dict[str, Any]] = []
    setter_timing_data: list[dict[str, Any]] = []
    setter_timing_rows: list[dict[str, str]] = []
    setter_timing_unit: str = "minutes"

    # Other tabs (only the active one is ever loaded).
    tab_loaded: bool = False
    campaign_rows: list[dict[str, str]] = []
    campaign_chart: list[dict[str, Any]] = []
    setter_rows: list[dict[str, str]] = []
    setter_chart: list[dict[str, Any]] = []
    timing_summary: dict[str, str] = {}
    timing_buckets: list[dict[str, Any]] = []
    timing_hours: list[dict[str, Any]] = []
    timing_unit: str = "minutes"
    crm_rows: list[dict[str, str]] = []
    crm_next_cursor: str = ""
    crm_sort: str = CRM_SORT_KEYS[0]
    crm_status: str = ""
    crm_more_loading: bool = False
    crm_error: str = ""

    _an_user: str = ""
    _view: str = ""
    _fresh: list[str] = []
    _load_request: int = 0
    _stale_reloads: int = 0
    _more_request: int = 0

    # ------------------------------------------------------------------ guarded setters
    def _put(self, name: str, value: Any) -> None:
        """Assign ``value`` to the var ``name`` only when it differs (no empty deltas)."""
        if getattr(self, name) != value:
            setattr(self, name, value)

    def _put_all(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            self._put(name, value)

    def _view_key(self) -> str:
        return "|".join((self.an_client, self.an_tab, self._window_token()))

    def _window_token(self) -> str:
        return window_token(self.an_window, self.an_from, self.an_to)

    def _spec(self) -> WindowSpec:
        if self.an_window == CUSTOM:
            return parse_window(CUSTOM, self.an_from, self.an_to)
        return parse_window(self.an_window)

    def _keys(self) -> dict[str, str]:
        """Cache key per part of the current view."""
        return {
            part: cache_key(self._user_id, self.an_client, self.an_tab, self._window_token(), part)
            for part in cache_parts(self.an_tab, self.crm_sort, self.crm_status)
        }

    def _clear_view(self) -> None:
        """The view changed: in-flight results become stale and nothing old stays shown."""
        self._view = self._view_key()
        self._fresh = []
        self._stale_reloads = 0
        self._put_all(
            {
                "core_loaded": False,
                "kpi_values": {},
                "kpi_hints": {},
                "breakdowns_loaded": False,
                "breakdowns_error": "",
                "tab_loaded": False,
                "crm_more_loading": False,
                "crm_error": "",
                "view_error": "",
                "period": "",
                "freshness": "",
                "from_cache": False,
                "cache_age": "",
                **EMPTY_BREAKDOWN_VARS,
                **EMPTY_TAB_VARS,
            }
        )

    def _start_view(self) -> list[Any]:
        """Forget the old view, show the cached one at once, load the fresh one."""
        self._clear_view()
        if not self.an_client or not self._user_id:
            return []
        keys = list(self._keys().values())
        query = {"tab": self.an_tab, "window": self.an_window}
        if self.an_window == CUSTOM:
            query |= {"from": self.an_from, "to": self.an_to}
        return [
            rx.call_script(analytics_url_script(self.an_client, query)),
            rx.call_script(
                cache_get_script(self._user_id, keys), callback=AnalyticsState.apply_cached
            ),
            AnalyticsState.load_view,
        ]

    # ------------------------------------------------------------------ computed
    @rx.var
    def is_setter(self) -> bool:
        return self.an_role == Role.SETTER

    @rx.var
    def shown_here(self) -> bool:
        """The vars hold the active workspace's analytics for the signed-in user (never another
        workspace's, nor what another user of this browser tab saw)."""
        return (
            self.an_client != ""
            and self.an_client == self.active_id
            and self._an_user == self._user_id
        )

    @rx.var
    def has_sentiment(self) -> bool:
        return len(self.sentiment_data) > 0

    @rx.var
    def has_status(self) -> bool:
        return len(self.status_data) > 0

    @rx.var
    def has_weekly_traffic(self) -> bool:
        return any(_int(r.get("inbound")) or _int(r.get("outbound")) for r in self.weekly_data)

    @rx.var
    def has_setter_timing(self) -> bool:
        return len(self.setter_timing_rows) > 0

    @rx.var
    def has_campaign_chart(self) -> bool:
        return len(self.campaign_chart) > 0

    @rx.var
    def has_setter_chart(self) -> bool:
        return any(_int(r.get("assigned")) for r in self.setter_chart)

    @rx.var
    def has_timing(self) -> bool:
        return any(_int(b.get("setter")) or _int(b.get("ai")) for b in self.timing_buckets)

    @rx.var
    def crm_has_more(self) -> bool:
        return self.crm_next_cursor != ""

    @rx.var
    def busy(self) -> bool:
        """A load of the shown view is in flight (the header's spinner)."""
        return self.view_loading or self.breakdowns_loading or self.crm_more_loading

    # ------------------------------------------------------------------ page lifecycle
    @rx.event
    def workspace_ready(self) -> list[Any]:
        """The analytics page settled on ``active_id``: (re)load the shown view.

        ``?tab=&window=&from=&to=`` in the URL win over what this tab showed before.
        """
        client, user = self.active_id, self._user_id
        if not client or not user:
            return []
        role = next((r.get("role", "") for r in self.workspaces if r.get("id") == client), "")
        self._put("an_role", role)
        if user != self._an_user:
            self._reset_for_user(user)
        self.an_client = client
        params = self.router.url.query_parameters
        if _s(params.get("tab")) in TAB_KEYS:
            self.an_tab = _s(params.get("tab"))
        chosen = window_from_query(params)
        if chosen is not None:
            self.an_window, self.an_from, self.an_to = chosen
            self._put("custom_open", self.an_window == CUSTOM)
        self._put("window_error", "")
        return self._start_view()

    def _reset_for_user(self, user: str) -> None:
        """Another user signed in in this browser tab: start from the defaults."""
        self._an_user = user
        self.an_tab = DEFAULT_TAB
        self.an_window = DEFAULT_WINDOW
        self.an_from = self.an_to = ""
        self._put("custom_open", False)
        self.crm_sort = CRM_SORT_KEYS[0]
        self.crm_status = ""

    # ------------------------------------------------------------------ controls
    @rx.event
    def select_tab(self, key: str) -> list[Any]:
        if key not in TAB_KEYS or key == self.an_tab:
            return []
        self.an_tab = key
        return self._start_view()

    @rx.event
    def select_window(self, key: str) -> list[Any]:
        if key == CUSTOM:
            self._put("custom_open", True)
            return []
        if key not in PRESETS:
            return []
        self._put("custom_open", False)
        self._put("window_error", "")
        if key == self.an_window:
            return []
        self.an_window, self.an_from, self.an_to = key, "", ""
        return self._start_view()

    @rx.event
    def apply_custom(self, form_data: dict[str, Any]) -> list[Any]:
        """Apply the custom range; a bad one shows the server's reason inline."""
        start = _s(form_data.get("from")).strip()
        end = _s(form_data.get("to")).strip()
        try:
            parse_window(CUSTOM, start, end)
        except AppError as exc:
            self._put("window_error", human_error(exc.message))
            return []
        self._put("window_error", "")
        if (self.an_window, self.an_from, self.an_to) == (CUSTOM, start, end):
            return []
        self.an_window, self.an_from, self.an_to = CUSTOM, start, end
        return self._start_view()

    @rx.event
    def cancel_custom(self) -> None:
        self._put("custom_open", False)
        self._put("window_error", "")

    @rx.event
    def set_crm_sort(self, value: str) -> list[Any]:
        if value not in CRM_SORT_KEYS or value == self.crm_sort:
            return []
        self.crm_sort = value
        return self._start_view()

    @rx.event
    def set_crm_status(self, value: str) -> list[Any]:
        value = value if value in LEAD_STATUSES else ""
        if value == self.crm_status:
            return []
        self.crm_status = value
        return self._start_view()

    @rx.event
    def retry(self) -> list[Any]:
        return self._start_view()

    # ------------------------------------------------------------------ session cache
    @rx.event
    def apply_cached(self, hits: Any) -> None:
        """The browser's cached payloads of the view (``{key: {ts, age, data}}`` or null).

        Shown only for the current view and only where no fresh answer has landed yet.
        Anything malformed is ignored (the fresh load follows anyway).
        """
        if not isinstance(hits, dict) or not hits or not self.shown_here:
            return
        keys = self._keys()
        ages: list[float] = []
        for part, key in keys.items():
            hit = hits.get(key)
            if part in self._fresh or not isinstance(hit, dict):
                continue
            data = hit.get("data")
            if not isinstance(data, dict) or data.get("clientId") != self.an_client:
                continue
            try:
                self._apply_part(part, data)
            except Exception:
                log.warning("ui.analytics_cache_unusable", part=part, exc_info=True)
                continue
            ages.append(_num(hit.get("age")) or 0.0)
        if ages:
            self._put("from_cache", True)
            minutes = int(max(ages) // 60000)
            self._put("cache_age", "just now" if minutes < 1 else f"{minutes} min ago")

    def _apply_part(self, part: str, data: Mapping[str, Any]) -> None:
        """Show one payload (fresh or cached) of the current view."""
        if part == "core":
            values, hints = kpi_view(data.get("core") or {})
            self._put_all({"kpi_values": values, "kpi_hints": hints, "core_loaded": True})
        elif part == "breakdowns":
            self._put_all(breakdowns_view(data.get("breakdowns") or {}))
            self._put("breakdowns_loaded", True)
        else:
            self._put_all(tab_view(self.an_tab, data))
            self._put("tab_loaded", True)
        label = period_label(data)
        if label:
            self._put("period", label)
        self._put("freshness", freshness_note(data))

    def _apply_fresh(self, part: str, data: Mapping[str, Any]) -> None:
        self._apply_part(part, data)
        self._fresh = [*self._fresh, part]
        if all(p in self._fresh for p in cache_parts(self.an_tab, self.crm_sort, self.crm_status)):
            self._put("from_cache", False)
            self._put("cache_age", "")

    # ------------------------------------------------------------------ loads
    @rx.event(background=True)
    async def load_view(self) -> AsyncIterator[Any]:
        """Load the current view: the overview core then its breakdowns, or the active tab."""
        async with self:
            client, user, view, tab = self.an_client, self._user_id, self._view, self.an_tab
            if not client or not user or view != self._view_key():
                return
            request = next(_REQUESTS)
            self._load_request = request
            keys = self._keys()
            try:
                spec = self._spec()
            except AppError as exc:
                self._put("view_error", human_error(exc.message))
                return
            crm = (self.crm_sort, self.crm_status)
            self._put("view_loading", True)
            self._put("breakdowns_loading", tab == "overview")
        try:
            await asyncio.sleep(SETTLE_S)
            async with self:
                if request != self._load_request:
                    return  # superseded before it queried: the newer task owns the flags
            if tab == "overview":
                async for event in self._load_overview(request, view, user, client, spec, keys):
                    yield event
            else:
                part = cache_parts(tab, *crm)[0]
                data, error = await self._fetch(
                    lambda: (
                        fetch_crm(user, client, spec, crm[0], crm[1], "")
                        if tab == "crm"
                        else fetch_tab(user, client, tab, spec)
                    ),
                    client,
                    (VIEW_LOAD, request, user),
                )
                async with self:
                    if self._current(request, view, user):
                        if data is not None:
                            self._apply_fresh(part, data)
                        self._put("view_error", error)
                    # A valid payload is saved under its own key even when the view moved on;
                    # never after a sign-out (nor for the next user of this tab).
                    save = data is not None and self._user_id == user
                if save and data is not None:
                    yield rx.call_script(cache_put_script(user, keys[part], tab, data))
            if await self._wait_for_rollup(request, view, user):
                yield AnalyticsState.load_view
        finally:
            async with self:
                if request == self._load_request:
                    self._put("view_loading", False)
                    self._put("breakdowns_loading", False)

    async def _load_overview(
        self,
        request: int,
        view: str,
        user: str,
        client: str,
        spec: WindowSpec,
        keys: Mapping[str, str],
    ) -> AsyncIterator[Any]:
        """KPI cards as soon as ``core`` is in, then the charts (``breakdowns``)."""
        load = (VIEW_LOAD, request, user)
        core, error = await self._fetch(
            lambda: fetch_overview(user, client, spec, "core"), client, load
        )
        async with self:
            if not self._current(request, view, user):
                return
            if core is not None:
                self._apply_fresh("core", core)
            self._put("view_error", error)
            self._put("view_loading", False)
        if core is not None:
            yield rx.call_script(cache_put_script(user, keys["core"], "overview", core))
        breakdowns, error = await self._fetch(
            lambda: fetch_overview(user, client, spec, "breakdowns"), client, load
        )
        async with self:
            if not self._current(request, view, user):
                return
            if breakdowns is not None:
                self._apply_fresh("breakdowns", breakdowns)
            self._put("breakdowns_error", MSG_BREAKDOWNS_FAILED if error else "")
            self._put("breakdowns_loading", False)
        if breakdowns is not None:
            yield rx.call_script(cache_put_script(user, keys["breakdowns"], "overview", breakdowns))

    async def _wait_for_rollup(self, request: int, view: str, user: str) -> bool:
        """After a load that showed stale numbers: wait, then whether to load the view again
        (still the shown view, still stale, reloads left)."""
        async with self:
            if not (self._current(request, view, user) and self.freshness):
                return False
            if self._stale_reloads >= STALE_RELOADS:
                return False
            self._stale_reloads += 1
        await asyncio.sleep(STALE_RELOAD_S)
        async with self:
            return self._current(request, view, user) and bool(self.freshness)

    def _current(self, request: int, view: str, user: str) -> bool:
        """The load of ``request`` still owns the shown view (same user, workspace, tab, window)."""
        return (
            request == self._load_request
            and view == self._view == self._view_key()
            and user == self._user_id
        )

    @staticmethod
    async def _fetch(
        call: Any, client: str, load: tuple[str, int, str]
    ) -> tuple[dict[str, Any] | None, str]:
        """Run one blocking read in a thread: ``(payload, "")`` or ``(None, message)``;
        ``(None, "")`` when a newer load of the same ``(kind, request, user)`` superseded it
        while it waited (see :func:`~inboxapp.observability.load_slots.coalesced`)."""

        async def fetch() -> tuple[dict[str, Any] | None, str]:
            try:
                return await asyncio.to_thread(call), ""
            except AppError as exc:
                return None, human_error(exc.message)
            except Exception:
                log.exception("ui.analytics_failed", clientId=client)
                return None, MSG_LOAD_FAILED

        kind, request, user = load
        return await coalesced(kind, request, user, fetch, (None, ""))

    @rx.event(background=True)
    async def load_more_crm(self) -> None:
        """Append the next keyset page of the CRM table (not cached: only first pages are)."""
        async with self:
            client, user, view = self.an_client, self._user_id, self._view
            cursor = self.crm_next_cursor
            if self.an_tab != "crm" or not cursor or self.view_loading or self.crm_more_loading:
                return
            try:
                spec = self._spec()
            except AppError:
                return
            request = next(_REQUESTS)
            self._more_request = request
            sort, status = self.crm_sort, self.crm_status
            self._put("crm_more_loading", True)
            self._put("crm_error", "")
        try:
            data, error = await self._fetch(
                lambda: fetch_crm(user, client, spec, sort, status, cursor),
                client,
                (MORE_LOAD, request, user),
            )
            async with self:
                same = view == self._view == self._view_key() and user == self._user_id
                if request == self._more_request and same and cursor == self.crm_next_cursor:
                    if data is not None:
                        self._put("crm_rows", [*self.crm_rows, *crm_view(data)])
                        self._put("crm_next_cursor", _s(data.get("nextCursor")))
                    self._put("crm_error", MSG_MORE_FAILED if error else "")
        finally:
            async with self:
                if request == self._more_request:
                    self._put("crm_more_loading", False)


def analytics_url(client_id: str) -> str:
    return f"{ANALYTICS_ROUTE}?{urlencode({CLIENT_PARAM: client_id})}"

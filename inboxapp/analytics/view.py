"""What the analytics screen shows, as plain values: the tabs, windows and CRM sorts, the KPI
cards, chart rows (numbers stay numbers for recharts), table rows (display strings), the period
and freshness notes, and the session cache's keys. No Reflex and no database: the state in
:mod:`inboxapp.state.analytics` calls these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from inboxapp.analytics.cohorts import CAMPAIGN_COHORTS, OVERVIEW_COHORTS, SETTER_COHORTS
from inboxapp.analytics.windows import CUSTOM, parse_window
from inboxapp.domain import vocabulary
from inboxapp.errors import AppError
from inboxapp.labels import day_label, sentence, sentiment_color, short_date, zone
from inboxapp.labels import text as _s

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

MSG_LOAD_FAILED = "We couldn't load these numbers. Check your connection and try again."
MSG_BREAKDOWNS_FAILED = "Charts are unavailable right now."
MSG_MORE_FAILED = "We couldn't load more leads. Try again in a moment."

# ---------------------------------------------------------------------------------- cache keys


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
FALLBACK_FILL = "var(--slate-8)"
DASH = "—"


def as_int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def as_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def count_label(value: Any) -> str:
    return f"{as_int(value):,}"


def replies_label(value: Any) -> str:
    n = as_int(value)
    return f"{n:,} {'reply' if n == 1 else 'replies'}"


def pct_label(value: Any) -> str:
    number = as_number(value)
    return DASH if number is None else f"{round(number, 1):g}%"


def duration_label(seconds: Any) -> str:
    """A compact duration: 45s, 12m, 3h 20m, 2d 4h (— when unknown)."""
    number = as_number(seconds)
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
    number = as_number(seconds)
    return None if number is None else round(number / per, 1)


def status_label(status: Any) -> str:
    return vocabulary.status_label(_s(status)) or "No status"


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
    days = as_int(data.get("days")) or (end - start).days + 1
    unit = "day" if days == 1 else "days"
    tz = _s(data.get("timezone")) or "UTC"
    return f"{first} \u2013 {end.strftime('%b')} {end.day}, {end.year} · {days} {unit} · {tz}"


def freshness_note(data: Mapping[str, Any]) -> str:
    fresh = data.get("freshness")
    if isinstance(fresh, Mapping) and fresh.get("stale"):
        return "Recent changes are still being added up; these numbers refresh shortly."
    return ""


# ---------------------------------------------------------------------------------- views


def cohorts_of(data: Mapping[str, Any], defaults: Mapping[str, str]) -> dict[str, str]:
    """The payload's cohort of every KPI (``cohorts``), sentence-cased; ``defaults`` fill in
    what an older cached payload lacks."""
    raw = data.get("cohorts")
    given: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    out = {}
    for key, default in defaults.items():
        text = _s(given.get(key)) or default
        out[key] = text[:1].upper() + text[1:]
    return out


def cohort_legend(
    data: Mapping[str, Any], defaults: Mapping[str, str], columns: Sequence[tuple[str, str]]
) -> list[dict[str, str]]:
    """``[{label, text}]``: what each table column (``(key, label)``) counts."""
    cohort = cohorts_of(data, defaults)
    return [{"label": label, "text": cohort[key]} for key, label in columns]


CAMPAIGN_LEGEND = (
    ("leads", "Leads"), ("contacted", "Contacted"), ("replies", "Replies"),
    ("positiveReplies", "Positive"), ("meetingsRequested", "Meetings requested"),
    ("meetingsBooked", "Booked"),
)  # fmt: skip
SETTER_LEGEND = (
    ("assigned", "Assigned"), ("responded", "Responded"), ("positive", "Positive"),
    ("requested", "Requested"), ("booked", "Booked"),
)  # fmt: skip


def kpi_view(core: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The KPI cards' values and hints from ``core``."""
    setter_n, ai_n = as_int(core.get("setterResponses")), as_int(core.get("aiResponses"))
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
    cohort = cohorts_of(core, OVERVIEW_COHORTS)
    hints = {key: cohort[key] for key in KPI_KEYS[:6]}
    hints["setterMedianResponse"] = (
        f"{cohort['setterMedianResponseSeconds']} · {replies_label(setter_n)}"
    )
    hints["aiMedianResponse"] = f"{cohort['aiMedianResponseSeconds']} · {replies_label(ai_n)}"
    return values, hints


def breakdowns_view(b: Mapping[str, Any]) -> dict[str, Any]:
    """Chart rows for the overview's breakdowns (numbers stay numbers for recharts)."""
    sentiment = [
        {
            "name": _s(r.get("sentiment")) or "None",
            "leads": as_int(r.get("leads")),
            "fill": SENTIMENT_FILLS.get(_s(r.get("sentiment")), FALLBACK_FILL),
        }
        for r in b.get("bySentiment") or []
        if as_int(r.get("leads")) > 0
    ]
    weekly = [
        {
            "week": short_date(r.get("week")),
            "inbound": as_int(r.get("inbound")),
            "outbound": as_int(r.get("outbound")),
        }
        for r in b.get("weekly") or []
    ]
    status = [
        {"status": status_label(r.get("status")), "leads": as_int(r.get("leads"))}
        for r in b.get("leadsByStatus") or []
        if as_int(r.get("leads")) > 0
    ]
    setters = list(b.get("perSetter") or [])
    medians: list[float | None] = []
    for s in setters:
        medians += [as_number((s.get(w) or {}).get("medianSeconds")) for w in ("setter", "ai")]
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
            "leads": count_label(c.get("leads")),
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
    top = sorted(items, key=lambda c: -as_int(c.get("replies")))[:8]
    chart = [
        {
            "name": _s(c.get("name")) or "Untitled campaign",
            "replies": as_int(c.get("replies")),
            "positive": as_int(c.get("positiveReplies")),
            "booked": as_int(c.get("meetingsBooked")),
        }
        for c in top
        if as_int(c.get("replies")) or as_int(c.get("contacted"))
    ]
    return {
        "campaign_rows": rows,
        "campaign_chart": chart,
        "campaign_cohorts": cohort_legend(data, CAMPAIGN_COHORTS, CAMPAIGN_LEGEND),
    }


SETTER_COUNTS = ("assigned", "responded", "positive", "requested", "booked")
"""A setter row's counts; every one but ``assigned`` also has a rate (``<count>Rate``)."""


def setters_view(data: Mapping[str, Any]) -> dict[str, Any]:
    items = list(data.get("setters") or [])
    rates = SETTER_COUNTS[1:]
    rows = [
        {
            "id": _s(s.get("setterId")),
            "name": _s(s.get("name")) or "Unknown",
            **{key: count_label(s.get(key)) for key in SETTER_COUNTS},
            **{f"{key}_rate": pct_label(s.get(f"{key}Rate")) for key in rates},
        }
        for s in items
    ]
    chart = [
        {"name": _s(s.get("name")) or "Unknown", **{k: as_int(s.get(k)) for k in SETTER_COUNTS}}
        for s in items
    ]
    return {
        "setter_rows": rows,
        "setter_chart": chart,
        "setter_cohorts": cohort_legend(data, SETTER_COHORTS, SETTER_LEGEND),
    }


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
    ai_buckets = {_s(b.get("label")): as_int(b.get("count")) for b in ai.get("buckets") or []}
    buckets = [
        {
            "label": _s(b.get("label")),
            "setter": as_int(b.get("count")),
            "ai": ai_buckets.get(_s(b.get("label")), 0),
        }
        for b in setter.get("buckets") or []
    ]
    hours = list(data.get("byHour") or [])
    medians = [
        as_number((h.get(w) or {}).get("medianSeconds")) for h in hours for w in ("setter", "ai")
    ]
    unit, per = time_unit(medians)
    by_hour = [
        {
            "hour": f"{as_int(h.get('hour')):02d}:00",
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


def conversation_href(client_id: str, lead_id: str) -> str:
    """The inbox URL that opens ``lead_id``'s conversation in workspace ``client_id``."""
    return f"/?{urlencode({'clientId': client_id, 'leadId': lead_id})}"


def crm_view(data: Mapping[str, Any], today: date | None = None) -> list[dict[str, str]]:
    tz = zone(_s(data.get("timezone")))
    year = (today or datetime.now(tz).date()).year
    client_id = _s(data.get("clientId"))
    return [
        {
            "id": _s(r.get("id")),
            "href": conversation_href(client_id, _s(r.get("id"))),
            "name": _s(r.get("name")) or "Unknown lead",
            "detail": " · ".join(p for p in (_s(r.get("company")), _s(r.get("email"))) if p),
            "status": status_label(r.get("status")),
            "sentiment": _s(r.get("sentimentTag")),
            "sentiment_color": sentiment_color(_s(r.get("sentimentTag"))),
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
    "campaign_cohorts": [],
    "setter_rows": [],
    "setter_chart": [],
    "setter_cohorts": [],
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
    return sentence(message, MSG_LOAD_FAILED)


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

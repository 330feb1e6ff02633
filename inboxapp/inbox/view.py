"""What the inbox screen shows, as plain values: the filter tabs, their empty states, the filter
options, display-ready rows of the list, messages, the lead card and the AI draft, snooze
presets and the raw list parameters of a view. No Reflex and no database: the states in
:mod:`inboxapp.state.inbox` and :mod:`inboxapp.state.conversation` call these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from inboxapp.domain.categories import CATEGORIES
from inboxapp.domain.vocabulary import (
    AUTO_SEND_ACTIONS,
    CHANNEL_LABELS,
    CHANNELS,
    LEAD_STATUSES,
    SCORE_FILTERS,
    SENTIMENT_TAGS,
    status_label,
)
from inboxapp.inbox.params import DEFAULT_LIMIT, ORDERS
from inboxapp.labels import (
    clock_time,
    full_time,
    initials,
    parse_ts,
    relative_time,
    sentence,
    sentiment_color,
    zone,
)
from inboxapp.labels import text as _s
from inboxapp.styles import APP_NAME

PAGE_SIZE = DEFAULT_LIMIT

MSG_LIST_FAILED = "We couldn't load conversations. Check your connection and try again."
MSG_COUNTS_FAILED = "Counts are unavailable right now."
MSG_CONVERSATION_FAILED = "We couldn't open this conversation. Try again in a moment."
MSG_NOT_FOUND = "This conversation isn't available: it may have been reassigned or removed."
MSG_ACTION_FAILED = "That didn't go through. Nothing was changed; try again in a moment."
MSG_READ_ONLY = "Your access to this workspace is read-only."
MSG_SEARCH_HINT = "Type at least 3 characters to search."
MSG_EMPTY_REPLY = "Write a message first."


def reassigned_note(assignee: str | None) -> str:
    """What an unsent reply's author is told about a conversation they can no longer open
    (``assignee``: :func:`inboxapp.inbox.reply_drafts.reassigned_to`)."""
    if assignee is None:
        return "It may have been reassigned."
    return f"Reassigned to {assignee}." if assignee else "It is now unassigned."


def human_error(message: str) -> str:
    """A service message (``e.message``) as a sentence for the UI."""
    return sentence(message, MSG_ACTION_FAILED)


# ---------------------------------------------------------------------------------- tabs


@dataclass(frozen=True)
class Tab:
    """A filter tab: a count key, its list filter (None: a stat without a list of its own)."""

    key: str
    label: str
    title: str
    list_filter: str | None


_SHORT_LABELS = {
    "requiresAttention": "Requires attention",
    "allResponses": "All responses",
    "previouslyRequiredAttention": "Handled",
    "needsRepair": "Needs repair",
    "aiSent": "AI sent",
    "aiReview": "AI review",
    "unread": "Unread",
    "total": "All",
}
_TAB_ORDER = (
    "requiresAttention",
    "unread",
    "allResponses",
    "previouslyRequiredAttention",
    "aiReview",
    "aiSent",
    "needsRepair",
    "total",
)
_BY_KEY = {c.count_key: c for c in CATEGORIES}

LIST_TABS: tuple[Tab, ...] = tuple(
    Tab(key, _SHORT_LABELS[key], _BY_KEY[key].label, _BY_KEY[key].list_filter) for key in _TAB_ORDER
)
"""The eight clickable tabs; each maps to its list filter through ``categories.CATEGORIES``."""

AWAITING_TAB = Tab(
    "awaitingReply",
    "Awaiting reply",
    "Waiting on the lead: every lead that is not blacklisted and does not require attention. "
    "A derived figure, so it has no list of its own.",
    None,
)
"""``awaitingReply`` is derived (not blacklisted minus requires attention): no list filter
selects exactly those rows, so it is shown as a stat next to the tabs, never as a list."""

MSG_BAD_LINK = (
    "Part of this link could not be used (an unknown filter or value), so it was ignored."
)
TAB_FILTERS: dict[str, str] = {t.key: t.list_filter for t in LIST_TABS if t.list_filter}
DEFAULT_TAB = "requiresAttention"

EMPTY_COPY: dict[str, tuple[str, str]] = {
    "requiresAttention": (
        "You're all caught up",
        "No reply is waiting for a human right now. New positive replies land here first.",
    ),
    "allResponses": (
        "No unanswered replies",
        "Every lead who wrote back has had an answer from us.",
    ),
    "previouslyRequiredAttention": (
        "Nothing answered yet",
        "Leads that needed attention and got an answer from us show up here.",
    ),
    "aiReview": (
        "No drafts to review",
        "AI drafts that need a human check before sending will wait here.",
    ),
    "aiSent": ("No AI-sent emails", "Emails the AI sent on your behalf will be listed here."),
    "needsRepair": ("Nothing needs repair", "Leads with broken data or delivery show up here."),
    "unread": ("Nothing unread", "Every message from your leads has been read."),
    "total": ("No conversations yet", "Leads from your campaigns will appear here."),
}
EMPTY_FILTERED = (
    "No conversations match these filters",
    "Try a different search or clear the filters.",
)

# ---------------------------------------------------------------------------------- labels

SCORE_LABELS = {
    "4": "Score 4",
    "3+": "Score 3+",
    "2+": "Score 2+",
    "1+": "Score 1+",
    "unscored": "Unscored",
    "disqualified": "Score 0 (disqualified)",
}
MSG_BAD_SNOOZE = "Pick a date and time to snooze until."
SNOOZE_PRESETS = {
    "1h": "For 1 hour",
    "tomorrow": "Tomorrow, 9:00",
    "next_week": "Next Monday, 9:00",
    "clear": "Unsnooze now",
}


def page_title(unread: int) -> str:
    """The inbox tab's title: how many conversations have an unread message, first."""
    base = f"Inbox · {APP_NAME}"
    return f"({unread:,}) {base}" if unread > 0 else base


ORDER_LABELS = {"newest": "Newest activity", "oldest": "Oldest waiting"}
"""The list orders (:data:`inboxapp.inbox.params.ORDERS`); the state keeps "" for the default."""
ORDER_VALUES = ("", *ORDERS[1:])
ORDER_OPTIONS = [{"value": s, "label": ORDER_LABELS[s]} for s in ORDERS[1:]]
CHANNEL_OPTIONS = [{"value": c, "label": CHANNEL_LABELS[c]} for c in CHANNELS]
SCORE_OPTIONS = [{"value": s, "label": SCORE_LABELS[s]} for s in SCORE_FILTERS]


def score_label(score: Any) -> str:
    if score is None or score == "":
        return "Unscored"
    if int(score) == 0:
        return "Score 0 (disqualified)"
    return f"Score {int(score)}"


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel.capitalize())


# ---------------------------------------------------------------------------------- snooze


def _at_nine(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=tz).astimezone(UTC)


def snooze_until(preset: str, now: datetime, tz: tzinfo) -> datetime | None:
    """The UTC end of a snooze preset in the user's time zone (None = wake up now)."""
    if preset == "1h":
        return now.astimezone(UTC) + timedelta(hours=1)
    today = now.astimezone(tz).date()
    if preset == "tomorrow":
        return _at_nine(today + timedelta(days=1), tz)
    if preset == "next_week":
        return _at_nine(today + timedelta(days=7 - today.weekday()), tz)
    if preset == "clear":
        return None
    raise ValueError(f"unknown snooze preset {preset!r}")


def local_time(value: object, tz: tzinfo) -> datetime | None:
    """A ``datetime-local`` input's ``YYYY-MM-DDTHH:MM`` in the user's time zone, as UTC
    (None when it is not one)."""
    if not isinstance(value, str) or len(value) > 32:
        return None
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if naive.tzinfo is not None:
        return None
    return naive.replace(tzinfo=tz).astimezone(UTC)


# ---------------------------------------------------------------------------------- views


def row_view(item: Mapping[str, Any], now: datetime, tz: tzinfo) -> dict[str, str]:
    """One list row, display-ready (strings only)."""
    unread = int(item.get("unreadCount") or 0)
    assignee = _s(item.get("assigneeName"))
    return {
        "id": _s(item.get("id")),
        "name": _s(item.get("name")) or "Unknown lead",
        "company": _s(item.get("company")),
        "status": _s(item.get("status")),
        "status_label": status_label(item.get("status")),
        "sentiment": _s(item.get("sentimentTag")),
        "sentiment_color": sentiment_color(item.get("sentimentTag")),
        "preview": " ".join(_s(item.get("preview")).split()),
        "direction": _s(item.get("lastMessageDirection")),
        # The list is ordered by the lead's last activity (updatedAt: a message in or out, or a
        # change by a person): the row shows that same time, so the order reads as it looks.
        "time": relative_time(item.get("updatedAt") or item.get("lastMessageAt"), now, tz),
        "time_title": "Last activity: "
        + full_time(item.get("updatedAt") or item.get("lastMessageAt"), tz),
        "unread": str(unread) if unread else "",
        "assignee": assignee,
        "assignee_initials": initials(assignee) if assignee else "",
    }


def format_rows(items: list[dict[str, Any]], now: datetime, tz_name: str) -> list[dict[str, str]]:
    """List rows for a time zone (``tz_name``; UTC when unknown)."""
    tz = zone(tz_name)
    return [row_view(item, now, tz) for item in items]


DELIVERY_LABELS: dict[str, str] = {
    "queued": "Queued",
    "sending": "Sending\u2026",
    "sent": "Sent",
    "failed": "Not sent",
}
REASON_CHARS = 200


def delivery_label(status: str, reason: object) -> str:
    """ "Sent", "Queued", ... or "Not sent: <reason>" for a failed send."""
    label = DELIVERY_LABELS.get(status, "")
    if status == "failed" and isinstance(reason, str) and reason.strip():
        return f"{label}: {' '.join(reason.split())[:REASON_CHARS]}"
    return label


def message_view(
    item: Mapping[str, Any], lead_name: str, now: datetime, tz: tzinfo
) -> dict[str, str]:
    direction = _s(item.get("direction"))
    if direction == "inbound":
        sender = lead_name
    elif item.get("sentBy") == "ai":
        sender = "AI"
    elif item.get("source") == "campaign":
        sender = "Campaign"
    else:
        sender = _s(item.get("senderName")) or "Team"
    channel = _s(item.get("channel"))
    delivery = _s(item.get("deliveryStatus")) if direction == "outbound" else ""
    delivery = delivery if delivery in DELIVERY_LABELS else ""
    return {
        "id": _s(item.get("id")),
        "delivery": delivery,
        "delivery_label": delivery_label(delivery, item.get("deliveryError")),
        "channel": channel,
        "channel_label": channel_label(channel),
        "direction": direction,
        "sender": sender,
        "time": clock_time(item.get("sentAt"), now, tz),
        "time_title": full_time(item.get("sentAt"), tz),
        "subject": _s(item.get("subject")),
        "body": _s(item.get("body")),
        "unread": "1" if direction == "inbound" and item.get("isRead") is False else "",
    }


def lead_view(lead: Mapping[str, Any], now: datetime, tz: tzinfo) -> dict[str, str]:
    snoozed = parse_ts(lead.get("snoozedUntil"))
    name = _s(lead.get("name")) or "Unknown lead"
    return {
        "id": _s(lead.get("id")),
        "name": name,
        "initials": initials(name),
        "email": _s(lead.get("email")),
        "phone": _s(lead.get("phone")),
        "company": _s(lead.get("company")),
        "status": _s(lead.get("status")),
        "status_label": status_label(lead.get("status")),
        "status_known": "1" if lead.get("status") in LEAD_STATUSES else "",
        "sentiment": _s(lead.get("sentimentTag")),
        "sentiment_color": sentiment_color(lead.get("sentimentTag")),
        "sentiment_known": "1" if lead.get("sentimentTag") in SENTIMENT_TAGS else "",
        "campaign": _s(lead.get("campaignName")),
        "score": score_label(lead.get("overallScore")),
        "assignee": _s(lead.get("assigneeName")),
        "assignee_id": _s(lead.get("assignedToUserId")),
        "unread": str(int(lead.get("unreadCount") or 0)),
        "snoozed_until": clock_time(snoozed, now, tz) if snoozed and snoozed > now else "",
        "snoozed_iso": snoozed.isoformat() if snoozed and snoozed > now else "",
        "booked": clock_time(lead.get("appointmentBookedAt"), now, tz),
        "last_inbound": clock_time(lead.get("lastInboundAt"), now, tz),
        "last_outbound": clock_time(lead.get("lastOutboundAt"), now, tz),
        "created": clock_time(lead.get("createdAt"), now, tz),
    }


def draft_view(draft: Mapping[str, Any] | None, now: datetime, tz: tzinfo) -> dict[str, str]:
    if not draft:
        return {}
    return {
        "id": _s(draft.get("id")),
        "body": _s(draft.get("body")),
        "channel_label": channel_label(_s(draft.get("channel"))),
        "action": _s(draft.get("autoSendAction")).replace("_", " "),
        "auto": "1" if draft.get("autoSendAction") in AUTO_SEND_ACTIONS else "",
        "sends_at": clock_time(draft.get("sendAfter"), now, tz) if draft.get("sendAfter") else "",
        "instruction": _s(draft.get("instruction")),
        "created": clock_time(draft.get("createdAt"), now, tz),
    }


def list_query(
    tab: str,
    *,
    cursor: str | None = None,
    q: str = "",
    channel: str = "",
    sentiments: list[str] | None = None,
    campaign_id: str = "",
    score: str = "",
    assignee: str = "",
    snoozed: bool = False,
    order: str = "",
) -> dict[str, Any]:
    """Raw list parameters (validated later by ``parse_list_params``)."""
    return {
        "filter": TAB_FILTERS.get(tab, "all"),
        "cursor": cursor or None,
        "limit": PAGE_SIZE,
        "q": q or None,
        "channel": channel or None,
        "sentiment": list(sentiments or []) or None,
        "campaign_id": campaign_id or None,
        "score": score or None,
        "assignee": assignee or None,
        "snoozed": snoozed,
        "order": order or None,
    }

"""The inbox screen's state: filter tabs with counts, the conversation list (keyset pages), the
open conversation and its actions.

Discipline (the Python form of "no render loops"):

* Only primitive vars reach the browser (str/int/bool, ``dict[str, int]`` counts and lists of
  ``dict[str, str]`` rows formatted here); every write goes through a guarded setter (a no-op
  when the value is unchanged); nothing is written while rendering.
* Every load is a background task that takes a new request number and captures
  ``(workspace, generation)`` under the state lock. ``_gen`` moves whenever the workspace or the
  list filters change. A result is applied only if its request is still the latest of its
  kind AND the workspace and generation are unchanged; otherwise it is dropped.
* Loading flags are set by the task itself (so a flag is never set for a task that does not
  run) and cleared in ``finally`` by the latest task of its kind: a superseded task leaves the
  flag to the newer one, which always reaches its own ``finally``.
* Reads go through the read path (``inboxapp.inbox.read``) while the ``INBOX_READ_API_V1`` flag
  is on, else through the legacy direct queries; the flag is read per request.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx

from inboxapp.auth.tokens import AuthError
from inboxapp.config import live_settings
from inboxapp.domain import roles
from inboxapp.domain.categories import CATEGORIES, COUNT_KEYS
from inboxapp.domain.roles import Capability, Role
from inboxapp.domain.vocabulary import LEAD_STATUSES, SENTIMENT_TAGS
from inboxapp.errors import AppError
from inboxapp.flags import INBOX_READ_API, read_flag
from inboxapp.inbox import actions, members, queries, read
from inboxapp.inbox.params import CHANNELS, DEFAULT_LIMIT, SCORES, parse_list_params
from inboxapp.inbox.queries import NOT_A_MEMBER
from inboxapp.logs import get_logger
from inboxapp.observability.load_slots import coalesced
from inboxapp.realtime import Subscription, SubscriptionClosed, process_hub, subscribe
from inboxapp.state import live
from inboxapp.state.auth import HOME_ROUTE, AuthState
from inboxapp.state.guard import require_live
from inboxapp.state.workspace import WorkspaceState

log = get_logger("inboxapp.ui")

# Request numbers are unique per process, so a reset state never reuses one.
_REQUESTS = itertools.count(1)

PAGE_SIZE = DEFAULT_LIMIT
# A stale materialized counts row is asked for again this often, this many times.
COUNTS_STALE_DELAY_S = 1.5
COUNTS_STALE_RETRIES = 4
LIVE_EXACT_COUNTS_MAX = 20_000
"""Largest scope (leads) whose counts a live update computes exactly while the materialized
row is stale: the live query takes ~30 ms at 10,000 leads and ~1.7 s at a million."""

MSG_LIST_FAILED = "We couldn't load conversations. Check your connection and try again."
MSG_COUNTS_FAILED = "Counts are unavailable right now."
MSG_CONVERSATION_FAILED = "We couldn't open this conversation. Try again in a moment."
MSG_NOT_FOUND = "This conversation isn't available: it may have been reassigned or removed."
MSG_ACTION_FAILED = "That didn't go through. Nothing was changed; try again in a moment."
MSG_READ_ONLY = "Your access to this workspace is read-only."
MSG_SEARCH_HINT = "Type at least 3 characters to search."


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
    "previouslyRequiredAttention": "Previously attention",
    "needsRepair": "Needs repair",
    "aiSent": "AI sent",
    "aiReview": "AI review",
    "total": "All",
}
_TAB_ORDER = (
    "requiresAttention",
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
"""The seven clickable tabs; each maps to its list filter through ``categories.CATEGORIES``."""

AWAITING_TAB = Tab(
    "awaitingReply",
    "Awaiting reply",
    "Waiting on the lead: every lead that is not blacklisted and does not require attention. "
    "A derived figure, so it has no list of its own.",
    None,
)
"""``awaitingReply`` is derived (not blacklisted minus requires attention): no list filter
selects exactly those rows, so it is shown as a stat next to the tabs, never as a list."""

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
    "total": ("No conversations yet", "Leads from your campaigns will appear here."),
}
EMPTY_FILTERED = (
    "No conversations match these filters",
    "Try a different search or clear the filters.",
)

# ---------------------------------------------------------------------------------- labels

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
CHANNEL_LABELS = {"email": "Email", "sms": "SMS", "linkedin": "LinkedIn"}
SCORE_LABELS = {
    "4": "Score 4",
    "3+": "Score 3+",
    "2+": "Score 2+",
    "1+": "Score 1+",
    "unscored": "Unscored",
    "disqualified": "Disqualified",
}
SNOOZE_PRESETS = {
    "1h": "For 1 hour",
    "tomorrow": "Tomorrow, 9:00",
    "next_week": "Next Monday, 9:00",
    "clear": "Unsnooze now",
}

CHANNEL_OPTIONS = [{"value": c, "label": CHANNEL_LABELS[c]} for c in CHANNELS]
SCORE_OPTIONS = [{"value": s, "label": SCORE_LABELS[s]} for s in SCORES]


def status_label(status: str | None) -> str:
    text = (status or "").replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def sentiment_color(tag: str | None) -> str:
    return SENTIMENT_COLORS.get(tag or "", "gray")


def score_label(score: Any) -> str:
    if score is None or score == "":
        return "Unscored"
    if int(score) == 0:
        return "Disqualified"
    return f"Score {int(score)}"


def human_error(message: str) -> str:
    """A service message (``e.message``) as a sentence for the UI."""
    text = (message or "").strip()
    if not text:
        return MSG_ACTION_FAILED
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def initials(name: str) -> str:
    parts = [p for p in name.replace("@", " ").replace(".", " ").split() if p]
    return ("".join(p[0] for p in parts[:2]) or "?").upper()


# ---------------------------------------------------------------------------------- time


def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse_ts(value: Any) -> datetime | None:
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
    ts = parse_ts(value)
    if ts is None:
        return ""
    local = ts.astimezone(tz)
    return f"{local.strftime('%a')}, {local.strftime('%b')} {local.day} {local.year}, " + (
        local.strftime("%H:%M")
    )


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


# ---------------------------------------------------------------------------------- views


def _s(value: Any) -> str:
    return "" if value is None else str(value)


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
        "time": relative_time(item.get("lastMessageAt") or item.get("updatedAt"), now, tz),
        "time_title": full_time(item.get("lastMessageAt") or item.get("updatedAt"), tz),
        "unread": str(unread) if unread else "",
        "assignee": assignee,
        "assignee_initials": initials(assignee) if assignee else "",
    }


def format_rows(items: list[dict[str, Any]], now: datetime, tz_name: str) -> list[dict[str, str]]:
    """List rows for a time zone (``tz_name``; UTC when unknown)."""
    tz = zone(tz_name)
    return [row_view(item, now, tz) for item in items]


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
    return {
        "id": _s(item.get("id")),
        "channel": channel,
        "channel_label": CHANNEL_LABELS.get(channel, channel.capitalize()),
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
        "booked": clock_time(lead.get("appointmentBookedAt"), now, tz),
        "last_inbound": clock_time(lead.get("lastInboundAt"), now, tz),
        "last_outbound": clock_time(lead.get("lastOutboundAt"), now, tz),
        "created": clock_time(lead.get("createdAt"), now, tz),
    }


def draft_view(draft: Mapping[str, Any] | None, now: datetime, tz: tzinfo) -> dict[str, str]:
    if not draft:
        return {}
    channel = _s(draft.get("channel"))
    return {
        "id": _s(draft.get("id")),
        "body": _s(draft.get("body")),
        "channel_label": CHANNEL_LABELS.get(channel, channel.capitalize()),
        "action": _s(draft.get("autoSendAction")).replace("_", " "),
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
    }


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def lead_url_script(client_id: str, lead_id: str) -> str:
    """Put ``leadId`` in the address bar without a navigation (no page load runs again).

    Only when the URL still shows ``client_id``: a late selection never lands on the URL of
    another workspace.
    """
    return (
        "(() => { const u = new URL(window.location.href);"
        f" if (u.searchParams.get('clientId') !== {json.dumps(client_id)}) return;"
        f" const v = {json.dumps(lead_id)};"
        " if (v) { u.searchParams.set('leadId', v); } else { u.searchParams.delete('leadId'); }"
        " const next = u.pathname + u.search + u.hash;"
        " if (next !== window.location.pathname + window.location.search + window.location.hash)"
        " { window.history.replaceState(window.history.state, '', next); } })()"
    )


KEYBOARD_SCRIPT = """(() => {
  if (window.__inboxKeys) return;
  window.__inboxKeys = true;
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target;
    const tag = (t && t.tagName) || '';
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (t && t.isContentEditable)) {
      if (e.key === 'Escape' && t.blur) t.blur();
      return;
    }
    const onRow = !!(t && t.getAttribute && t.getAttribute('data-testid') === 'inbox-row');
    const rows = Array.from(document.querySelectorAll('[data-testid="inbox-row"]'));
    const cur = rows.findIndex((r) => r.getAttribute('aria-selected') === 'true');
    const go = (i) => {
      const r = rows[Math.max(0, Math.min(rows.length - 1, i))];
      if (r) { r.focus(); r.click(); r.scrollIntoView({ block: 'nearest' }); }
    };
    if (e.key === 'j' || (onRow && e.key === 'ArrowDown')) {
      e.preventDefault(); go(onRow ? rows.indexOf(t) + 1 : cur + 1);
    } else if (e.key === 'k' || (onRow && e.key === 'ArrowUp')) {
      e.preventDefault(); go(onRow ? rows.indexOf(t) - 1 : Math.max(cur - 1, 0));
    } else if (onRow && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault(); t.click();
    } else if (e.key === '/') {
      const s = document.getElementById('inbox-search');
      if (s) { e.preventDefault(); s.focus(); }
    } else if (e.key === 'r') {
      const box = document.getElementById('reply-input');
      if (box) { e.preventDefault(); box.focus(); }
    } else if (e.key === 'Escape'
        && !document.querySelector('[data-radix-popper-content-wrapper]')) {
      const close = document.querySelector('[data-testid="conversation-close"]');
      if (close) { e.preventDefault(); close.click(); }
    }
  });
})()"""

TIMEZONE_SCRIPT = "Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'"
SCROLL_THREAD_SCRIPT = (
    "(() => { const el = document.getElementById('thread');"
    " if (el) { el.scrollTop = el.scrollHeight; } })()"
)


# ---------------------------------------------------------------------------------- services


def read_api_enabled() -> bool:
    return read_flag(INBOX_READ_API).enabled


def fetch_counts(user_id: str, client_id: str) -> tuple[dict[str, int], bool]:
    """The eight counts, and whether they are a stale materialized row (a recompute is
    queued: worth asking again shortly). Live counts are exact, never stale."""
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    data = read.counts(uid, cid).data if read_api_enabled() else queries.live_counts(uid, cid)
    counts = data.get("counts") or {}
    stale = data.get("source") == "materialized" and bool(data.get("stale"))
    return {key: int(counts.get(key) or 0) for key in COUNT_KEYS}, stale


def fetch_fresh_counts(user_id: str, client_id: str) -> tuple[dict[str, int], bool]:
    """Counts for a live update: the read path, but exact when its materialized row is stale
    (a change just marked it dirty; its recompute is queued) and the scope is small enough for
    the live query (``LIVE_EXACT_COUNTS_MAX`` leads). Otherwise the stale row is shown until
    the recompute's ``COUNTS`` event."""
    counts, stale = fetch_counts(user_id, client_id)
    if stale and counts.get("total", 0) <= LIVE_EXACT_COUNTS_MAX:
        data = queries.live_counts(uuid.UUID(user_id), uuid.UUID(client_id))
        exact = data.get("counts") or {}
        return {key: int(exact.get(key) or 0) for key in COUNT_KEYS}, False
    return counts, stale


def fetch_page(user_id: str, client_id: str, raw: dict[str, Any]) -> dict[str, Any]:
    params = parse_list_params(**raw)
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    if read_api_enabled():
        return read.conversations(uid, cid, params).data
    return queries.list_conversations(uid, cid, params)


async def read_page(
    user_id: str, client_id: str, raw: dict[str, Any], failure_event: str
) -> tuple[dict[str, Any] | None, str]:
    """A list page off the event loop: ``(page, "")``, or ``(None, message for the user)``
    (an unexpected failure is logged as ``failure_event``)."""
    try:
        return await asyncio.to_thread(fetch_page, user_id, client_id, raw), ""
    except AppError as exc:
        return None, human_error(exc.message)
    except Exception:
        log.exception(failure_event, clientId=client_id)
        return None, MSG_LIST_FAILED


def fetch_conversation(user_id: str, client_id: str, lead_id: str) -> dict[str, Any]:
    uid, cid, lid = uuid.UUID(user_id), uuid.UUID(client_id), uuid.UUID(lead_id)
    if read_api_enabled():
        return read.conversation(uid, cid, lid).data
    return queries.conversation(uid, cid, lid)


def fetch_lookups(
    user_id: str, client_id: str, with_setters: bool
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    setters = members.workspace_setters(uid, cid) if with_setters else []
    return setters, members.workspace_campaigns(uid, cid)


@dataclass(frozen=True)
class ActionContext:
    """What an action captured under the state lock before it left for the database."""

    user_id: uuid.UUID
    client_id: uuid.UUID
    lead_id: uuid.UUID
    draft_id: str
    tz: tzinfo


ActionCall = Callable[[ActionContext], Any]


def _draft_uuid(ctx: ActionContext) -> uuid.UUID:
    if not is_uuid(ctx.draft_id):
        raise AppError("DRAFT_NOT_FOUND", "this draft is no longer pending")
    return uuid.UUID(ctx.draft_id)


# ---------------------------------------------------------------------------------- state


class InboxState(WorkspaceState):
    """Tabs, list, conversation and actions of the active workspace's inbox."""

    # The workspace whose data the inbox vars hold ("" = none yet). Rows and counts are shown
    # only while it equals ``active_id``, so a switch never shows another workspace's data.
    inbox_client: str = ""
    role: str = ""

    # Filters.
    tab: str = DEFAULT_TAB
    search_query: str = ""
    search_hint: str = ""
    channel_filter: str = ""
    sentiment_filter: list[str] = []
    campaign_filter: str = ""
    score_filter: str = ""

    # Counts.
    counts: dict[str, int] = {key: 0 for key in COUNT_KEYS}
    counts_loaded: bool = False
    counts_loading: bool = False
    counts_error: str = ""

    # List.
    rows: list[dict[str, str]] = []
    next_cursor: str = ""
    list_loaded: bool = False
    list_loading: bool = False
    more_loading: bool = False
    list_error: str = ""

    # Conversation.
    selected_id: str = ""
    lead: dict[str, str] = {}
    messages: list[dict[str, str]] = []
    draft: dict[str, str] = {}
    conversation_loaded: bool = False
    conversation_loading: bool = False
    conversation_error: str = ""
    editing_draft: bool = False
    draft_text: str = ""
    busy: str = ""
    action_error: str = ""

    # Lookups.
    setters: list[dict[str, str]] = []
    campaigns: list[dict[str, str]] = []

    # Live updates: "", "connecting", "live", "reconnecting" or "offline" (live-indicator).
    live_status: str = ""

    _gen: int = 0
    _list_request: int = 0
    _counts_request: int = 0
    _conversation_request: int = 0
    _lookups_request: int = 0
    _inbox_user: str = ""
    _tz: str = ""
    _live_id: str = ""
    """The tab's current live listener (a newer one takes over; an older one then leaves)."""

    # ------------------------------------------------------------------ guarded setters
    def _put(self, name: str, value: Any) -> None:
        """Assign ``value`` to the var ``name`` only when it differs (no empty deltas)."""
        if getattr(self, name) != value:
            setattr(self, name, value)

    def _bump(self) -> None:
        """The list's inputs changed: in-flight list results become stale."""
        self._gen += 1
        self._put("rows", [])
        self._put("next_cursor", "")
        self._put("list_loaded", False)
        self._put("list_error", "")

    def _clear_conversation(self) -> None:
        self._put("lead", {})
        self._put("messages", [])
        self._put("draft", {})
        self._put("conversation_loaded", False)
        self._put("conversation_error", "")
        self._put("editing_draft", False)
        self._put("draft_text", "")
        self._put("action_error", "")

    def _reset_workspace(self, client_id: str, user_id: str) -> None:
        """A new workspace (or user): forget everything once, keep the tab and view filters."""
        self._bump()
        self.inbox_client = client_id
        self._inbox_user = user_id
        self._put("counts", {key: 0 for key in COUNT_KEYS})
        self._put("counts_loaded", False)
        self._put("counts_error", "")
        self._put("search_query", "")
        self._put("search_hint", "")
        self._put("campaign_filter", "")
        self._put("setters", [])
        self._put("campaigns", [])
        self._put("selected_id", "")
        self._put("busy", "")
        self._clear_conversation()

    # ------------------------------------------------------------------ computed
    @rx.var
    def can_write(self) -> bool:
        return roles.can(self.role, Capability.WRITE)

    @rx.var
    def can_manage(self) -> bool:
        return roles.can(self.role, Capability.MANAGE)

    @rx.var
    def is_setter(self) -> bool:
        return self.role == Role.SETTER

    @rx.var
    def filters_active(self) -> bool:
        return bool(
            self.search_query
            or self.channel_filter
            or self.sentiment_filter
            or self.campaign_filter
            or self.score_filter
        )

    @rx.var
    def sentiment_summary(self) -> str:
        chosen = self.sentiment_filter
        if not chosen:
            return "Sentiment"
        return chosen[0] if len(chosen) == 1 else f"{len(chosen)} sentiments"

    @rx.var
    def empty_title(self) -> str:
        if self.filters_active:
            return EMPTY_FILTERED[0]
        return EMPTY_COPY.get(self.tab, EMPTY_COPY["total"])[0]

    @rx.var
    def empty_body(self) -> str:
        if self.filters_active:
            return EMPTY_FILTERED[1]
        return EMPTY_COPY.get(self.tab, EMPTY_COPY["total"])[1]

    @rx.var
    def loading_any(self) -> bool:
        """A list or counts load is in flight (drives the ``loading-spinner``)."""
        return self.list_loading or self.counts_loading or self.more_loading

    @rx.var
    def has_more(self) -> bool:
        return self.next_cursor != ""

    @rx.var
    def assign_options(self) -> list[dict[str, str]]:
        """The workspace's setters, plus the current assignee if they are not one (anymore)."""
        options = [{"id": s["id"], "name": s["name"]} for s in self.setters]
        current = self.lead.get("assignee_id", "")
        if current and all(o["id"] != current for o in options):
            options.append({"id": current, "name": self.lead.get("assignee") or "Someone else"})
        return options

    # ------------------------------------------------------------------ page lifecycle
    @rx.event
    def workspace_ready(self) -> list[Any]:
        """The workspace page settled on ``active_id``: (re)load what the inbox shows."""
        client, user = self.active_id, self._user_id
        if not client or not user:
            return []
        role = next((r.get("role", "") for r in self.workspaces if r.get("id") == client), "")
        self._put("role", role)
        wanted = self.router.url.query_parameters.get("leadId", "")
        wanted = wanted if is_uuid(wanted) else ""
        events: list[Any] = [rx.call_script(KEYBOARD_SCRIPT)]
        if not self._tz:
            events.append(rx.call_script(TIMEZONE_SCRIPT, callback=InboxState.set_timezone))
        if client != self.inbox_client or user != self._inbox_user:
            self._reset_workspace(client, user)
            events.append(rx.set_value("inbox-search", ""))
        if wanted and wanted != self.selected_id:
            self._put("selected_id", wanted)
            self._clear_conversation()
        events += [InboxState.load_counts, InboxState.load_list, InboxState.load_lookups]
        if self.selected_id:
            events.append(InboxState.load_conversation)
        # Every settled load (first load, reconnect, workspace switch) starts the tab's
        # listener; it supersedes the tab's previous one (see ``live_updates``).
        events.append(InboxState.live_updates)
        return events

    @rx.event
    def set_timezone(self, name: str) -> None:
        if isinstance(name, str) and zone(name) is not UTC:
            self._tz = name
        elif not self._tz:
            self._tz = "UTC"

    # ------------------------------------------------------------------ filters
    @rx.event
    def select_tab(self, key: str) -> Any:
        if key not in TAB_FILTERS or key == self.tab:
            return None
        self.tab = key
        self._bump()
        return InboxState.load_list

    @rx.event
    def set_search(self, value: str) -> Any:
        text = " ".join(str(value or "").split())
        self._put("search_hint", MSG_SEARCH_HINT if 0 < len(text) < 3 else "")
        applied = text if len(text) >= 3 else ""
        if applied == self.search_query:
            return None
        self.search_query = applied
        self._bump()
        return InboxState.load_list

    @rx.event
    def set_channel_filter(self, value: str) -> Any:
        value = value if value in CHANNELS else ""
        if value == self.channel_filter:
            return None
        self.channel_filter = value
        self._bump()
        return InboxState.load_list

    @rx.event
    def set_score_filter(self, value: str) -> Any:
        value = value if value in SCORES else ""
        if value == self.score_filter:
            return None
        self.score_filter = value
        self._bump()
        return InboxState.load_list

    @rx.event
    def set_campaign_filter(self, value: str) -> Any:
        known = any(c["id"] == value for c in self.campaigns)
        value = value if known else ""
        if value == self.campaign_filter:
            return None
        self.campaign_filter = value
        self._bump()
        return InboxState.load_list

    @rx.event
    def toggle_sentiment(self, tag: str, checked: bool) -> Any:
        if tag not in SENTIMENT_TAGS:
            return None
        chosen = [t for t in self.sentiment_filter if t != tag]
        if checked:
            chosen.append(tag)
        chosen = [t for t in SENTIMENT_TAGS if t in chosen]  # stable order
        if chosen == self.sentiment_filter:
            return None
        self.sentiment_filter = chosen
        self._bump()
        return InboxState.load_list

    @rx.event
    def clear_filters(self) -> list[Any]:
        events: list[Any] = [rx.set_value("inbox-search", "")]
        self._put("search_hint", "")
        if not self.filters_active:
            return events
        self.search_query = ""
        self.channel_filter = ""
        self.sentiment_filter = []
        self.campaign_filter = ""
        self.score_filter = ""
        self._bump()
        return [*events, InboxState.load_list]

    @rx.event
    def retry(self) -> list[Any]:
        events: list[Any] = []
        if self.list_error or not self.list_loaded:
            events.append(InboxState.load_list)
        if self.counts_error or not self.counts_loaded:
            events.append(InboxState.load_counts)
        return events

    # ------------------------------------------------------------------ loads
    @rx.event(background=True)
    async def load_counts(self) -> None:
        """The counts of the shown workspace. A stale materialized row (its recompute is
        queued) is shown at once and asked for again a few times, quietly, until fresh."""
        async with self:
            client, user = self.inbox_client, self._user_id
            if not client or not user:
                return
            request = next(_REQUESTS)
            self._counts_request = request
            self._put("counts_loading", True)
        stale = await self._counts_round(request, client, user, first=True)
        for _ in range(COUNTS_STALE_RETRIES):
            if not stale:
                return
            await asyncio.sleep(COUNTS_STALE_DELAY_S)
            async with self:
                if request != self._counts_request or client != self.inbox_client:
                    return
            stale = await self._counts_round(request, client, user, first=False)

    async def _counts_round(self, request: int, client: str, user: str, *, first: bool) -> bool:
        """One counts fetch; applied only if still the latest for this workspace."""
        counts: dict[str, int] | None = None
        stale = False
        error = ""
        try:
            fetch = partial(asyncio.to_thread, fetch_counts, user, client)
            counts, stale = await coalesced("inbox.counts", request, user, fetch, (None, False))
        except AppError as exc:
            error = human_error(exc.message)
        except Exception:
            log.exception("ui.counts_failed", clientId=client)
            error = MSG_COUNTS_FAILED
        finally:
            async with self:
                if request == self._counts_request:
                    if client == self.inbox_client:
                        if counts is not None:
                            self._put("counts", counts)
                            self._put("counts_loaded", True)
                        if first or counts is not None:
                            self._put("counts_error", error)
                    self._put("counts_loading", False)
        return stale and counts is not None

    def _list_raw(self, cursor: str | None) -> dict[str, Any]:
        return list_query(
            self.tab,
            cursor=cursor,
            q=self.search_query,
            channel=self.channel_filter,
            sentiments=self.sentiment_filter,
            campaign_id=self.campaign_filter,
            score=self.score_filter,
        )

    def _formatted(self, items: list[dict[str, Any]]) -> list[dict[str, str]]:
        now, tz = datetime.now(UTC), zone(self._tz)
        return [row_view(item, now, tz) for item in items]

    @rx.event(background=True)
    async def load_list(self) -> None:
        """The first page of the list for the current workspace, tab and filters."""
        async with self:
            client, user, gen = self.inbox_client, self._user_id, self._gen
            if not client or not user:
                return
            request = next(_REQUESTS)
            self._list_request = request
            raw = self._list_raw(None)
            self._put("list_loading", True)
        page: dict[str, Any] | None = None
        error = ""
        try:
            fetch = partial(read_page, user, client, raw, "ui.list_failed")
            page, error = await coalesced("inbox.list", request, user, fetch, (None, ""))
        finally:
            async with self:
                if request == self._list_request:
                    if client == self.inbox_client and gen == self._gen:
                        if page is not None:
                            self._put("rows", self._formatted(page.get("items") or []))
                            self._put("next_cursor", page.get("nextCursor") or "")
                            self._put("list_loaded", True)
                        self._put("list_error", error)
                    self._put("list_loading", False)
                    self._put("more_loading", False)

    @rx.event(background=True)
    async def load_more(self) -> None:
        """Append the next keyset page (``nextCursor``) to the list."""
        async with self:
            client, user, gen = self.inbox_client, self._user_id, self._gen
            cursor = self.next_cursor
            if not client or not user or not cursor or self.list_loading or self.more_loading:
                return
            request = next(_REQUESTS)
            self._list_request = request
            raw = self._list_raw(cursor)
            self._put("more_loading", True)
        page: dict[str, Any] | None = None
        error = ""
        try:
            fetch = partial(read_page, user, client, raw, "ui.list_more_failed")
            page, error = await coalesced("inbox.list", request, user, fetch, (None, ""))
        finally:
            async with self:
                if request == self._list_request:
                    same = client == self.inbox_client and gen == self._gen
                    if same and cursor == self.next_cursor:
                        if page is not None:
                            more = self._formatted(page.get("items") or [])
                            self._put("rows", [*self.rows, *more])
                            self._put("next_cursor", page.get("nextCursor") or "")
                        self._put("list_error", error)
                    self._put("list_loading", False)
                    self._put("more_loading", False)

    @rx.event(background=True)
    async def load_lookups(self) -> None:
        """The workspace's setters (assign dropdown, managers only) and campaigns (filter)."""
        async with self:
            client, user = self.inbox_client, self._user_id
            if not client or not user:
                return
            request = next(_REQUESTS)
            self._lookups_request = request
            with_setters = roles.can(self.role, Capability.MANAGE)
        result: tuple[list[dict[str, str]], list[dict[str, str]]] | None = None
        try:
            fetch = partial(asyncio.to_thread, fetch_lookups, user, client, with_setters)
            result = await coalesced("inbox.lookups", request, user, fetch, None)
        except Exception:
            # Not fatal: the assign dropdown and the campaign filter stay empty.
            log.exception("ui.lookups_failed", clientId=client)
        finally:
            async with self:
                if request == self._lookups_request and client == self.inbox_client and result:
                    self._put("setters", result[0])
                    self._put("campaigns", result[1])

    @rx.event(background=True)
    async def load_conversation(self) -> AsyncIterator[Any]:
        async with self:
            client, user, lead_id = self.inbox_client, self._user_id, self.selected_id
            if not client or not user or not lead_id:
                return
            request = next(_REQUESTS)
            self._conversation_request = request
            self._put("conversation_loading", True)
        data: dict[str, Any] | None = None
        error = ""
        applied = False
        try:
            fetch = partial(asyncio.to_thread, fetch_conversation, user, client, lead_id)
            data = await coalesced("inbox.conversation", request, user, fetch, None)
        except AppError as exc:
            error = MSG_NOT_FOUND if exc.status == 404 else human_error(exc.message)
            applied = False
            if exc.code == NOT_A_MEMBER:
                yield WorkspaceState.load
        except Exception:
            log.exception("ui.conversation_failed", clientId=client)
            error = MSG_CONVERSATION_FAILED
        finally:
            async with self:
                if request == self._conversation_request:
                    if client == self.inbox_client and lead_id == self.selected_id:
                        if data is not None:
                            self._apply_conversation(data)
                            applied = True
                        else:
                            self._clear_conversation()
                        self._put("conversation_error", error)
                    self._put("conversation_loading", False)
        if applied:
            yield rx.call_script(SCROLL_THREAD_SCRIPT)

    def _apply_conversation(self, data: Mapping[str, Any]) -> None:
        now, tz = datetime.now(UTC), zone(self._tz)
        lead = lead_view(data.get("lead") or {}, now, tz)
        draft = draft_view(data.get("draft"), now, tz)
        self._put("lead", lead)
        self._put(
            "messages",
            [message_view(m, lead["name"], now, tz) for m in data.get("messages") or []],
        )
        if draft.get("id") != self.draft.get("id"):
            self._put("editing_draft", False)
            self._put("draft_text", draft.get("body", ""))
        self._put("draft", draft)
        self._put("conversation_loaded", True)

    # ------------------------------------------------------------------ live updates
    def _live_view(self) -> live.View:
        return live.View(
            client_id=self.inbox_client,
            user_id=self._user_id,
            gen=self._gen,
            list_params=self._list_raw(None),
            selected=self.selected_id,
            tz=self._tz,
            session_id=self._session_id,
        )

    def _live_check(self, run: live.Run) -> str:
        """Under the lock: why ``run`` may no longer touch this tab ("" while it may)."""
        view = run.view
        if self._live_id != run.listener:
            return "superseded"
        if (
            self.inbox_client != view.client_id
            or self.active_id != view.client_id
            or self._user_id != view.user_id
        ):
            return "workspace_changed"
        if (self.router.url.path.rstrip("/") or "/") != HOME_ROUTE:
            return "left_page"
        return ""

    @rx.event(background=True)
    async def live_updates(self) -> AsyncIterator[Any]:
        """The tab's realtime listener: at most one per tab, for the shown workspace.

        Single-listener guard (``on_load`` re-runs on every reconnect and workspace switch,
        and each settled load starts a listener):

        1. ``_live_id`` (state): each start writes a new id under the lock; an older listener
           finds another id at its next ``async with self`` and leaves without applying.
        2. :func:`live.claim` (process): the newest listener owns the tab; it subscribes with
           ``key=tab``, which closes the previous subscription of the tab in the hub at once
           (its ``next_event`` raises ``SubscriptionClosed("superseded")``). A superseded
           listener that still owns the tab (an older one re-registered late) resubscribes.
        3. Reflex cancels the unfinished page-load chain (this task belongs to it) on
           navigation, reconnect and disconnect; the listener also ends when the tab is no
           longer connected to this process (checked every ``LiveSettings.tab_check_s``),
           when the workspace, the user or the page changed, or when the session is gone.

        Per signal: debounce (``LiveSettings.debounce_s``), drain, ONE shared re-read per
        (workspace, scope, list parameters, version) in this process, then ONE
        ``async with self`` that applies it. A heartbeat (60 s +- 10 %) refetches without a
        signal. Errors show "reconnecting" and retry with backoff (1-30 s).
        """
        async with self:
            tab = self.router.session.client_token
            if not self.inbox_client or not self._user_id or not tab or not self.access_token:
                return
            run = live.Run(live.new_listener_id(), tab, self._live_view(), self.access_token)
            self._live_id = run.listener
            if self.live_status in ("", live.STATUS_OFFLINE):
                self._put("live_status", live.STATUS_CONNECTING)
        live.claim(run.tab, run.listener)
        log.info("ui.live_started", clientId=run.view.client_id)
        attempt = 0
        auth_failures = 0
        resync = False
        try:
            while not run.reason:
                if not live.owns(run.tab, run.listener):
                    run.reason = "superseded"
                    break
                try:
                    async with subscribe(
                        run.view.client_id,
                        run.token,
                        key=run.tab,
                        refresh=partial(self._live_token, run),
                    ) as sub:
                        if not live.owns(run.tab, run.listener):
                            run.reason = "superseded"  # a newer listener claimed the tab
                            break
                        attempt = auth_failures = 0
                        async for events in self._live_listen(run, sub, resync=resync):
                            yield events
                        resync = True  # a later subscription may have missed changes
                except AuthError:
                    # Expired or signed out: take the tab's current session (rotated if needed)
                    # and subscribe again, or stop.
                    auth_failures += 1
                    resync = True
                    try:
                        if auth_failures > 2:
                            raise
                        await self._live_token(run)
                    except AuthError:
                        run.reason = "signed_out"
                except AppError as exc:  # not a member (any more), bad workspace id
                    log.info("ui.live_refused", clientId=run.view.client_id, code=exc.code)
                    run.reason = "refused"
                except Exception:
                    attempt += 1
                    resync = True
                    delay = live.backoff_delay(attempt)
                    log.warning(
                        "ui.live_retry",
                        clientId=run.view.client_id,
                        attempt=attempt,
                        retryInS=round(delay, 1),
                        exc_info=True,
                    )
                    async with self:
                        run.reason = self._live_check(run)
                        if not run.reason:
                            self._put("live_status", live.STATUS_RECONNECTING)
                    if not run.reason:
                        await asyncio.sleep(delay)
                        if not live.tab_connected(run.tab):
                            run.reason = "tab_gone"
            if run.reason in ("signed_out", "refused"):
                async with self:
                    if self._live_id == run.listener:
                        self._put("live_status", live.STATUS_OFFLINE)
        except asyncio.CancelledError:
            run.reason = run.reason or "cancelled"  # Reflex ended the page-load chain
            raise
        finally:
            live.release(run.tab, run.listener)
            log.info(
                "ui.live_stopped",
                clientId=run.view.client_id,
                reason=run.reason or "crashed",
                refreshes=run.refreshes,
            )

    async def _live_listen(
        self, run: live.Run, sub: Subscription, *, resync: bool
    ) -> AsyncIterator[list[Any]]:
        """Wait for signals on ``sub`` and refresh; returns when the subscription must be
        renewed (``run.reason`` empty) or the listener stops (``run.reason`` set)."""
        clock = live.clock
        heartbeat_at = clock() + live.heartbeat_delay()
        last_refresh = 0.0
        # The first pass shows the status; after a reconnect it also re-reads everything.
        signal: live.Signal | None = live.Signal(clock(), ops={"RESYNC"}) if resync else None
        pending_first = True
        while not run.reason:
            if not pending_first:
                signal = None
                wait = max(0.0, min(heartbeat_at - clock(), live_settings().tab_check_s))
                try:
                    event = await sub.next_event(timeout=wait)
                    if event is None:
                        if not live.tab_connected(run.tab):
                            run.reason = "tab_gone"
                            return
                        if clock() >= heartbeat_at:
                            signal = live.Signal(clock(), heartbeat=True)
                        elif sub.live == (run.shown == live.STATUS_LIVE):
                            continue  # nothing to show; otherwise the feed dropped or came back
                    else:
                        signal = live.Signal(clock())
                        signal.add(event.op, event.lead_ids, event.version)
                        delay = live.debounce_wait(signal.first_at, last_refresh, clock())
                        if delay > 0:
                            await asyncio.sleep(delay)
                        while sub.pending:
                            more = await sub.next_event(0)
                            if more is not None:
                                signal.add(more.op, more.lead_ids, more.version)
                except SubscriptionClosed as exc:
                    if exc.reason == "superseded" and live.owns(run.tab, run.listener):
                        return  # an older listener of this tab registered late: take it back
                    run.reason = exc.reason
                    return
            pending_first = False
            if signal is not None:
                heartbeat_at = clock() + live.heartbeat_delay()
            events = await self._live_refresh(run, sub, signal)
            if signal is not None:
                last_refresh = clock()
            if events:
                yield events

    async def _live_refresh(
        self, run: live.Run, sub: Subscription, signal: live.Signal | None
    ) -> list[Any]:
        """Re-read what ``signal`` invalidated (shared per process), then apply it to this tab
        in ONE ``async with self``. ``signal`` None: only show the live/reconnecting status."""
        view = run.view
        counts: tuple[dict[str, int], bool] | None = None
        page: dict[str, Any] | None = None
        rows: list[dict[str, str]] | None = None
        conversation: dict[str, Any] | None = None
        try:  # every refresh, heartbeat included, is for a live session only
            await require_live(view.user_id, view.session_id)
        except AuthError as exc:
            if exc.status != 503:
                run.reason = "signed_out"
                return [AuthState.check_session]  # the guard signs the tab out
            signal = None  # cannot tell now: show the status, read nothing
        if signal is not None:
            hub = process_hub()
            shared = live.sharing_enabled()
            version: Any = signal.version
            if signal.heartbeat or signal.version == 0:
                version = ("now", hub.version(uuid.UUID(view.client_id)), signal.first_at // 2)
            base = (view.client_id, sub.scope, version)
            list_key = ("list", *base, view.list_key)
            # Many tabs on this workspace: count exactly now rather than show the stale
            # materialized row and update every tab again when its recompute lands.
            exact = (
                hub.subscriber_count(uuid.UUID(view.client_id)) >= live_settings().exact_counts_tabs
            )
            wanted: dict[str, tuple[Any, Callable[[], Any]]] = {
                "counts": (
                    ("counts", *base, exact),
                    partial(
                        fetch_fresh_counts if exact else fetch_counts, view.user_id, view.client_id
                    ),
                )
            }
            if signal.reads == live.READ_ALL:
                wanted["list"] = (
                    list_key,
                    partial(fetch_page, view.user_id, view.client_id, dict(view.list_params)),
                )
            if view.selected and (signal.resync or view.selected in signal.lead_ids):
                wanted["conversation"] = (
                    ("conversation", *base, view.selected),
                    partial(fetch_conversation, view.user_id, view.client_id, view.selected),
                )
            done: dict[str, Any] = {}
            missing: dict[str, asyncio.Future[Any]] = {}
            for name, (key, compute) in wanted.items():
                found, value = live.shared_now(hub, key) if shared else (False, None)
                if found:
                    done[name] = value  # another tab of this scope read it: no wait at all
                else:  # start (or join) every read first, then wait for them one by one
                    missing[name] = live.shared_future(hub, key, compute, shared=shared)
            if missing:
                read_started = live.clock()
                for name, future in missing.items():
                    try:
                        done[name] = await asyncio.shield(future)
                    except Exception as exc:
                        done[name] = exc
                live.STATS["read_ms"] += round((live.clock() - read_started) * 1000)
            for result in done.values():
                if isinstance(result, Exception) and not isinstance(result, AppError):
                    log.warning("ui.live_read_failed", clientId=view.client_id, exc_info=result)
                elif isinstance(result, BaseException) and not isinstance(result, Exception):
                    raise result  # cancelled
            ok = {k: v for k, v in done.items() if not isinstance(v, BaseException)}
            counts = ok.get("counts")
            page = ok.get("list")
            conversation = ok.get("conversation")
            if page is not None:
                rows = live.formatted_rows(list_key, view.tz, page, format_rows)
            if (
                counts is not None
                and counts[0] == run.shown_counts
                and (signal.reads != live.READ_ALL or (rows is not None and rows == run.shown_rows))
                and "conversation" not in wanted
                and run.shown == (live.STATUS_LIVE if sub.live else live.STATUS_RECONNECTING)
            ):
                live.STATS["unchanged"] += 1
                return []  # this tab already shows exactly that: no lock, no delta
        waited = live.clock()
        async with live.apply_slot(), self:
            entered = live.clock()
            # The state itself, not the background task's proxy: every attribute access through
            # the proxy costs a wrapper (hundreds of tabs apply each change). Same lock, same
            # dirty tracking; the delta goes out when the block exits.
            state: InboxState = getattr(self, "__wrapped__", self)
            events = state._live_apply(run, sub, signal, counts, page, rows, conversation)
        live.STATS["apply_wait_us"] += round((entered - waited) * 1e6)
        live.STATS["apply_us"] += round((live.clock() - entered) * 1e6)
        live.STATS["applies"] += 1
        if signal is not None:
            live.STATS["signal_to_applied_ms"] += round((live.clock() - signal.first_at) * 1000)
        return events

    def _live_apply(
        self,
        run: live.Run,
        sub: Subscription,
        signal: live.Signal | None,
        counts: tuple[dict[str, int], bool] | None,
        page: dict[str, Any] | None,
        rows: list[dict[str, str]] | None,
        conversation: dict[str, Any] | None,
    ) -> list[Any]:
        """Under the lock: apply one refresh if ``run`` still owns the tab; returns fallback
        events (per-tab loads) for whatever the shared reads could not serve."""
        run.reason = self._live_check(run)
        if run.reason:
            live.STATS["dropped"] += 1
            return []
        run.shown = live.STATUS_LIVE if sub.live else live.STATUS_RECONNECTING
        self._put("live_status", run.shown)
        if signal is None:
            live.STATS["status"] += 1
            run.view = self._live_view()
            return []
        run.refreshes += 1
        live.STATS["refreshes"] += 1
        events: list[Any] = []
        # Counts: this result is at least as fresh as any load in flight, which is dropped.
        if counts is not None:
            self._counts_request = next(_REQUESTS)
            self._put("counts", counts[0])
            self._put("counts_loaded", True)
            self._put("counts_error", "")
            self._put("counts_loading", False)
            run.shown_counts = counts[0]
        else:
            events.append(InboxState.load_counts)
        now = self._live_view()
        if signal.reads == live.READ_ALL:
            same = now.gen == run.view.gen and now.list_key == run.view.list_key
            if page is not None and rows is not None and same and not self.more_loading:
                more_shown = len(self.rows) > PAGE_SIZE
                self._list_request = next(_REQUESTS)
                self._put("rows", live.merge_first_page(self.rows, rows, PAGE_SIZE))
                if not more_shown:
                    self._put("next_cursor", page.get("nextCursor") or "")
                self._put("list_loaded", True)
                self._put("list_error", "")
                self._put("list_loading", False)
                run.shown_rows = rows
            elif not self.more_loading:
                events.append(InboxState.load_list)  # other filters by now, or the read failed
        selected = self.selected_id
        if selected and (signal.resync or selected in signal.lead_ids):
            if conversation is not None and selected == run.view.selected:
                self._conversation_request = next(_REQUESTS)
                self._apply_conversation(conversation)
                self._put("conversation_error", "")
                self._put("conversation_loading", False)
            else:
                events.append(InboxState.load_conversation)
        run.view = now
        live.STATS["fallbacks"] += len(events)
        return events

    async def _live_token(self, run: live.Run) -> str:
        """A valid access token for the subscription (also its ``refresh=`` callback).

        The tab's own current token when it is newer (another tab or a page load rotated the
        session; localStorage sync brought it here), else the session rotated once per process
        (:func:`live.rotate_once`). Raises ``AuthError`` when the session is gone.
        """
        async with self:
            if self._live_id != run.listener:
                raise AuthError("INVALID_TOKEN", "This listener was superseded")
            access, refresh = self.access_token, self.refresh_token
            expiry = live.token_expiry(access)
            if access != run.token and expiry > live.wall() + live.REFRESH_MARGIN_S:
                run.token = access
                return access
            # Under the tab's lock: the tab's own page loads cannot rotate concurrently.
            pair = await live.rotate_once(refresh)
            if self.refresh_token == refresh:
                self._store_pair(pair)
            run.token = pair.access_token
            return pair.access_token

    # ------------------------------------------------------------------ selection
    @rx.event
    def select_lead(self, lead_id: str) -> list[Any]:
        return self._select(lead_id)

    @rx.event
    def close_conversation(self) -> list[Any]:
        return self._select("")

    def _select(self, lead_id: str) -> list[Any]:
        lead_id = lead_id if is_uuid(lead_id) else ""
        if lead_id == self.selected_id:
            return []
        self._put("selected_id", lead_id)
        self._clear_conversation()
        events: list[Any] = [rx.call_script(lead_url_script(self.inbox_client, lead_id))]
        if lead_id:
            events.append(InboxState.load_conversation)
        return events

    # ------------------------------------------------------------------ actions
    async def _act(
        self,
        name: str,
        call: ActionCall,
        *,
        clears_reply: bool = False,
        shown: dict[str, str] | None = None,
    ) -> list[Any]:
        """Run one write through the service layer, then refresh what it may have changed.

        ``shown``: lead fields to display at once (a select keeps the chosen value instead of
        jumping back until the refresh); a failed write reloads the conversation, which puts
        the stored values back. Returns the follow-up events.
        """
        async with self:
            if self.busy or not self.selected_id or not self.inbox_client:
                return []
            if not roles.can(self.role, Capability.WRITE):
                self._put("action_error", MSG_READ_ONLY)
                return []
            client, lead_id = self.inbox_client, self.selected_id
            ctx = ActionContext(
                user_id=uuid.UUID(self._user_id),
                client_id=uuid.UUID(client),
                lead_id=uuid.UUID(lead_id),
                draft_id=self.draft.get("id", ""),
                tz=zone(self._tz),
            )
            self._put("busy", name)
            self._put("action_error", "")
            if shown:
                self._put("lead", {**self.lead, **shown})
        ok = False
        error = ""
        lost_access = False
        try:
            await asyncio.to_thread(call, ctx)
            ok = True
        except AppError as exc:
            error = human_error(exc.message)
            lost_access = exc.code == NOT_A_MEMBER
        except Exception:
            log.exception("ui.action_failed", action=name, clientId=client)
            error = MSG_ACTION_FAILED
        finally:
            async with self:
                self._put("busy", "")
                same = client == self.inbox_client
                if same and lead_id == self.selected_id:
                    self._put("action_error", error)
                    if ok:
                        self._put("editing_draft", False)
        if lost_access:
            return [WorkspaceState.load]  # removed from the workspace: show where one can go
        if not same:
            return []
        if not ok:
            return [InboxState.load_conversation] if shown else []
        events: list[Any] = [
            InboxState.load_conversation,
            InboxState.load_list,
            InboxState.load_counts,
        ]
        if clears_reply:
            events.insert(0, rx.set_value("reply-input", ""))
        return events

    @rx.event(background=True)
    async def send_reply(self, form_data: dict[str, Any]) -> AsyncIterator[Any]:
        body = str(form_data.get("body") or "")
        if not body.strip():
            async with self:
                self._put("action_error", "Write a message first.")
            return
        for event in await self._act(
            "reply",
            lambda c: actions.reply(c.user_id, c.client_id, c.lead_id, body),
            clears_reply=True,
        ):
            yield event

    @rx.event(background=True)
    async def mark_read(self) -> AsyncIterator[Any]:
        for event in await self._act(
            "mark_read", lambda c: actions.mark_read(c.user_id, c.client_id, c.lead_id)
        ):
            yield event

    @rx.event(background=True)
    async def snooze(self, preset: str) -> AsyncIterator[Any]:
        if preset not in SNOOZE_PRESETS:
            return

        def call(c: ActionContext) -> None:
            until = snooze_until(preset, datetime.now(UTC), c.tz)
            actions.snooze(c.user_id, c.client_id, c.lead_id, until)

        for event in await self._act("snooze", call):
            yield event

    @rx.event(background=True)
    async def change_sentiment(self, tag: str) -> AsyncIterator[Any]:
        if not tag:
            return
        for event in await self._act(
            "sentiment",
            lambda c: actions.set_sentiment(c.user_id, c.client_id, c.lead_id, tag),
            shown={"sentiment": tag, "sentiment_color": sentiment_color(tag)},
        ):
            yield event

    @rx.event(background=True)
    async def change_status(self, status: str) -> AsyncIterator[Any]:
        if not status:
            return
        for event in await self._act(
            "status",
            lambda c: actions.set_status(c.user_id, c.client_id, c.lead_id, status),
            shown={"status": status, "status_label": status_label(status)},
        ):
            yield event

    @rx.event(background=True)
    async def assign_to(self, user_id: str) -> AsyncIterator[Any]:
        assignee = uuid.UUID(user_id) if is_uuid(user_id) else None
        for event in await self._act(
            "assign",
            lambda c: actions.assign(c.user_id, c.client_id, c.lead_id, assignee),
            shown={"assignee_id": str(assignee) if assignee else ""},
        ):
            yield event

    @rx.event(background=True)
    async def approve_draft(self) -> AsyncIterator[Any]:
        async with self:
            body = self.draft_text if self.editing_draft else None
        for event in await self._act(
            "approve",
            lambda c: actions.approve_draft(c.user_id, c.client_id, _draft_uuid(c), body),
        ):
            yield event

    @rx.event(background=True)
    async def save_draft(self) -> AsyncIterator[Any]:
        async with self:
            body = self.draft_text
        for event in await self._act(
            "edit", lambda c: actions.edit_draft(c.user_id, c.client_id, _draft_uuid(c), body)
        ):
            yield event

    @rx.event(background=True)
    async def reject_draft(self) -> AsyncIterator[Any]:
        for event in await self._act(
            "reject", lambda c: actions.reject_draft(c.user_id, c.client_id, _draft_uuid(c))
        ):
            yield event

    @rx.event
    def start_edit_draft(self) -> None:
        if not self.draft or not roles.can(self.role, Capability.WRITE):
            return
        self._put("draft_text", self.draft.get("body", ""))
        self._put("editing_draft", True)

    @rx.event
    def cancel_edit_draft(self) -> None:
        self._put("editing_draft", False)
        self._put("draft_text", self.draft.get("body", ""))

    @rx.event
    def set_draft_text(self, value: str) -> None:
        self._put("draft_text", str(value or ""))

    @rx.event
    def dismiss_action_error(self) -> None:
        self._put("action_error", "")

"""Sentiments, lead statuses, tag groups and channels: the words of the inbox, once.

The sentiment tags and statuses are the original product's (see docs/inbox-semantics.md);
the groups below are the rules that use them (attention, positive, no AI draft) and
:data:`SENTIMENT_STATUS` is the sentiment -> status mapping applied when a reply is classified.
"""

from __future__ import annotations

SENTIMENT_TAGS: tuple[str, ...] = (
    "New",
    "Meeting Booked",
    "Meeting Requested",
    "Call Requested",
    "Information Requested",
    "Objection",
    "Not Interested",
    "Blacklist",
    "Follow Up",
    "Out of Office",
    "Automated Reply",
    "Interested",
    "Neutral",
    "Snoozed",
    "Positive",
)
ATTENTION_TAGS: tuple[str, ...] = (
    "Meeting Booked",
    "Meeting Requested",
    "Call Requested",
    "Information Requested",
    "Positive",
    "Interested",
    "Follow Up",
)
"""A reply with one of these needs a human (the "Requires attention" category)."""
POSITIVE_TAGS: tuple[str, ...] = (
    "Meeting Requested",
    "Call Requested",
    "Information Requested",
    "Interested",
)
"""A lead that first turns one of these is assigned round-robin to a setter."""
NO_DRAFT_TAGS: tuple[str, ...] = ("Neutral", "Blacklist", "Snoozed", "Automated Reply")
AUTO_SEND_ACTIONS: tuple[str, ...] = ("send_immediate", "send_delayed")
"""Draft actions that send the draft by itself at ``sendAfter`` unless someone cancels."""
"""Replies classified as one of these get no AI draft (nor do bounces and unsubscribes)."""

LEAD_STATUSES: tuple[str, ...] = (
    "new",
    "qualified",
    "unqualified",
    "blacklisted",
    "needs_repair",
    "meeting-booked",
    "contacted",
    "engaged",
)
"""Every status a lead can hold (the inbox sets, filters and shows exactly these; analytics
filters by them). ``engaged``: the lead replied, but neither positively nor negatively."""
EXCLUDED_STATUSES: tuple[str, ...] = ("blacklisted", "unqualified")
"""Leads with these statuses are out of the running (no attention, not "awaiting reply")."""
SENTIMENT_STATUS: dict[str, str] = {
    "Meeting Requested": "qualified",
    "Call Requested": "qualified",
    "Information Requested": "qualified",
    "Interested": "qualified",
    "Meeting Booked": "meeting-booked",
    "Not Interested": "unqualified",
    "Blacklist": "blacklisted",
}
"""The status a classified reply sets (tags not listed leave the status as it is)."""

CHANNELS: tuple[str, ...] = ("email", "sms", "linkedin")
CHANNEL_LABELS: dict[str, str] = {"email": "Email", "sms": "SMS", "linkedin": "LinkedIn"}

SCORE_FILTERS: tuple[str, ...] = ("4", "3+", "2+", "1+", "unscored", "disqualified")
"""The lead score filter (``overallScore``: null unscored, 0 disqualified, 1..4)."""


def status_label(status: str | None) -> str:
    """``meeting-booked`` -> ``Meeting booked`` ("" for no status)."""
    text = (status or "").replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


DELIVERY_STATUSES: tuple[str, ...] = ("queued", "sending", "sent", "failed")
"""An outbound message's way out: queued with its outbox row, sending (claimed by the delivery
job), sent (the provider took it) or failed (retries used up, or a permanent refusal)."""

"""The inbox payloads (see :mod:`inboxapp.payloads`): what ``inbox/read.py`` caches and serves
and what the inbox routes document."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from inboxapp.domain.roles import Role
from inboxapp.payloads import Count, Id, Payload, Timestamp

Scope = Literal["global", "setter"]
DeliveryStatus = Literal["queued", "sending", "sent", "failed"]
WorkspaceRole = Annotated[Role, Field(strict=False)]  # stored and sent as its name


class Workspace(Payload):
    id: Id
    name: str
    role: WorkspaceRole


class WorkspaceList(Payload):
    workspaces: list[Workspace]


class Counts(Payload):
    """One field per key of :data:`inboxapp.inbox.categories.COUNT_KEYS`."""

    allResponses: Count
    requiresAttention: Count
    previouslyRequiredAttention: Count
    needsRepair: Count
    aiSent: Count
    aiReview: Count
    unread: Count
    awaitingReply: Count
    total: Count


class CountsPayload(Payload):
    clientId: Id
    scope: Scope
    counts: Counts
    computedAt: Timestamp
    source: Literal["materialized", "live"]
    version: Count | None = None
    """The materialized row's version (absent for live counts)."""
    stale: bool


class ConversationRow(Payload):
    id: Id
    name: str
    company: str | None
    status: str
    sentimentTag: str | None
    preview: str
    lastMessageAt: Timestamp | None
    lastMessageDirection: str | None
    unreadCount: Count
    assignedToUserId: Id | None
    assigneeName: str | None
    overallScore: int | None
    campaignId: Id | None
    updatedAt: Timestamp | None


class SearchSnippet(Payload):
    """The message a search matched: plain text around the match (never markup) and the
    ``[start, end)`` character offsets of the matched words in it."""

    messageId: Id
    text: str
    highlights: list[Annotated[list[Count], Field(min_length=2, max_length=2)]]


class ListRow(ConversationRow):
    searchSnippet: SearchSnippet | None
    """Set on a search page when a message of the lead matched (its latest matching one)."""


class ConversationPage(Payload):
    items: list[ListRow]
    nextCursor: str | None


class LeadDetail(ConversationRow):
    firstName: str | None
    lastName: str | None
    email: str | None
    phone: str | None
    campaignName: str | None
    snoozedUntil: Timestamp | None
    appointmentBookedAt: Timestamp | None
    lastInboundAt: Timestamp | None
    lastOutboundAt: Timestamp | None
    createdAt: Timestamp | None


class MessageOut(Payload):
    id: Id
    channel: str
    source: str
    direction: str
    sentBy: str | None
    senderName: str | None
    subject: str | None
    body: str
    sentAt: Timestamp | None
    isRead: bool
    deliveryStatus: DeliveryStatus | None
    """Outbound messages: ``queued``, ``sending``, ``sent`` or ``failed``; null for inbound."""
    deliveryError: str | None
    """Why the send failed ("Not sent: <reason>"), while it is queued again or failed."""


class DraftOut(Payload):
    id: Id
    channel: str
    body: str
    autoSendAction: str | None
    """``needs_review``; ``send_immediate`` / ``send_delayed``: it sends itself at ``sendAfter``
    unless someone cancels, approves or rejects it first."""
    sendAfter: Timestamp | None
    instruction: str | None
    """What the person asked for when they regenerated it."""
    createdAt: Timestamp | None


class ConversationPayload(Payload):
    lead: LeadDetail
    messages: list[MessageOut]
    draft: DraftOut | None

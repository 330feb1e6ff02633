"""The analytics payloads (see :mod:`inboxapp.payloads`): what ``analytics/read.py`` caches and
serves and what the analytics routes document. Field names follow ``analytics/queries.py``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from inboxapp.analytics.queries import PARTS, SORT_KEYS
from inboxapp.analytics.windows import WINDOW_KEYS
from inboxapp.inbox.payloads import Scope
from inboxapp.payloads import Count, Day, Id, OneOf, Payload, Percent, Seconds, Timestamp

WindowKey = Annotated[str, OneOf(WINDOW_KEYS)]


class Freshness(Payload):
    stale: bool
    dirtyDays: Count
    pendingDays: Count
    oldestChangeAt: Timestamp | None


class WindowFields(Payload):
    """:meth:`inboxapp.analytics.windows.Window.to_json`."""

    window: WindowKey
    from_: Day = Field(alias="from")
    to: Day
    timezone: str
    days: Count


class Envelope(WindowFields):
    """:func:`inboxapp.analytics.queries.envelope`: who, which window, when."""

    clientId: Id
    scope: Scope
    computedAt: Timestamp
    freshness: Freshness


Cohorts = dict[str, str]
"""KPI key -> the cohort it counts (:mod:`inboxapp.analytics.cohorts`), e.g. ``"leadsContacted":
"of the leads created in the window: contacted so far"``."""


class Kpis(Payload):
    totalLeads: Count
    leadsContacted: Count
    responses: Count
    responseRate: Percent | None
    positiveReplies: Count
    meetingsRequested: Count
    meetingsBooked: Count
    inboundMessages: Count
    outboundMessages: Count
    setterMedianResponseSeconds: Seconds | None
    aiMedianResponseSeconds: Seconds | None
    setterResponses: Count
    aiResponses: Count
    setterAvgResponseSeconds: Seconds | None
    aiAvgResponseSeconds: Seconds | None
    cohorts: Cohorts


class Timing(Payload):
    responses: Count
    avgSeconds: Seconds | None
    medianSeconds: Seconds | None
    p90Seconds: Seconds | None


class SentimentLeads(Payload):
    sentiment: str
    leads: Count


class StatusLeads(Payload):
    status: str
    leads: Count


class WeekMessages(Payload):
    week: Day
    inbound: Count
    outbound: Count


class SetterTiming(Payload):
    setterId: Id | None
    name: str
    setter: Timing
    ai: Timing


class Breakdowns(Payload):
    bySentiment: list[SentimentLeads]
    leadsByStatus: list[StatusLeads]
    weekly: list[WeekMessages]
    perSetter: list[SetterTiming]


class OverviewPayload(Envelope):
    parts: Annotated[str, OneOf(PARTS)]
    core: Kpis | None = None
    """Present for ``parts=core|all``."""
    breakdowns: Breakdowns | None = None
    """Present for ``parts=breakdowns|all``."""


class CampaignRow(Payload):
    campaignId: Id | None
    name: str
    channel: str | None
    leads: Count
    contacted: Count
    replies: Count
    positiveReplies: Count
    meetingsRequested: Count
    meetingsBooked: Count
    replyRate: Percent | None
    positiveRate: Percent | None
    meetingRequestRate: Percent | None
    bookingRate: Percent | None


class CampaignsPayload(Envelope):
    campaigns: list[CampaignRow]
    cohorts: Cohorts


class SetterFunnel(Payload):
    """Stages and conversions of :data:`inboxapp.analytics.queries.SETTER_STAGES`."""

    setterId: Id
    name: str
    assigned: Count
    responded: Count
    positive: Count
    requested: Count
    booked: Count
    respondedRate: Percent | None
    positiveRate: Percent | None
    requestedRate: Percent | None
    bookedRate: Percent | None


class SettersPayload(Envelope):
    setters: list[SetterFunnel]
    cohorts: Cohorts


class Bucket(Payload):
    label: str
    count: Count


class Distribution(Timing):
    buckets: list[Bucket]


class HourTiming(Payload):
    responses: Count
    avgSeconds: Seconds | None
    medianSeconds: Seconds | None


class Distributions(Payload):
    setter: Distribution
    ai: Distribution


class HourRow(Payload):
    hour: int = Field(ge=0, le=23)
    setter: HourTiming
    ai: HourTiming


class ResponseTimingPayload(Envelope):
    distributions: Distributions
    byHour: list[HourRow]


class CrmRow(Payload):
    id: Id
    name: str
    email: str | None
    company: str | None
    status: str
    sentimentTag: str | None
    campaignId: Id | None
    campaignName: str | None
    assignedToUserId: Id | None
    assigneeName: str | None
    overallScore: int | None
    createdAt: Timestamp | None
    updatedAt: Timestamp | None
    lastInboundAt: Timestamp | None
    lastOutboundAt: Timestamp | None
    lastMessageAt: Timestamp | None
    appointmentBookedAt: Timestamp | None


class CrmPage(Payload):
    """Window fields only when the request named a window (leads created in it)."""

    clientId: Id
    scope: Scope
    sort: Annotated[str, OneOf(SORT_KEYS)]
    items: list[CrmRow]
    nextCursor: str | None
    window: WindowKey | None = None
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None
    timezone: str | None = None
    days: Count | None = None

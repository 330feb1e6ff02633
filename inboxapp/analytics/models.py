"""Derived analytics tables (migration 0007 creates exactly these; no drift allowed).

* ``analytics_daily``: one row per (workspace, local day, campaign, assignee, channel) with the
  event counts and the response-time sums/histograms (setter and AI).
* ``analytics_response_hourly``: response times per (workspace, day, assignee, responder, hour
  of day of the inbound that was answered).
* ``analytics_lead_daily``: leads per (workspace, created day, campaign, assignee, sentiment,
  status), for the sentiment and status breakdowns.
* ``analytics_cohort_daily`` (migration 0015): leads per (workspace, anchor day, cohort,
  campaign, assignee) and how many of them reached each stage so far
  (:mod:`inboxapp.analytics.cohorts`).
* ``analytics_dirty_days``: (workspace, day) pairs whose rollups must be recomputed; marked by
  statement-level triggers, cleared by the rollup when no newer mark arrived (``dirtySeq``).

``campaignKey`` / ``setterKey`` use the zero uuid for "no campaign" / "unassigned" (primary key
columns cannot be NULL); ``channel`` is ``''`` on rows holding lead-level facts (created,
assigned, positive, meetings). See :mod:`inboxapp.analytics.rollup` for every definition.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from inboxapp.analytics.cohorts import COHORT_METRICS
from inboxapp.db.columns import dirty_at, dirty_seq

NO_KEY = uuid.UUID(int=0)
"""``campaignKey`` of leads without a campaign, ``setterKey`` of unassigned leads."""

HIST_BOUNDS: tuple[int, ...] = (
    30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200,
    86400, 172800, 259200, 604800, 1209600,
)  # fmt: skip
"""Response-time histogram bucket boundaries in seconds: bucket ``i`` holds
``HIST_BOUNDS[i-1] <= t < HIST_BOUNDS[i]`` (bucket 0 is ``< 30 s``, the last is ``>= 14 d``);
the same rule as SQL ``width_bucket(t, HIST_BOUNDS)`` and Python ``bisect_right``."""
N_BUCKETS = len(HIST_BOUNDS) + 1
RESPONDERS = ("setter", "ai")

DAILY_COUNTS = (
    "leadsCreated",
    "leadsAssigned",
    "leadsContacted",
    "leadsReplied",
    "inboundMessages",
    "outboundMessages",
    "respondedLeads",
    "firstResponses",
    "positiveReplies",
    "meetingsRequested",
    "meetingsBooked",
)


def hist_columns(prefix: str) -> tuple[str, ...]:
    """``h00``..``h19`` (hourly table) or ``setterH00``.. / ``aiH00``.. (daily table)."""
    return tuple(f"{prefix}{'H' if prefix else 'h'}{i:02d}" for i in range(N_BUCKETS))


RESPONSE_COLUMNS = tuple(
    c
    for who in RESPONDERS
    for c in (f"{who}Responses", f"{who}ResponseSeconds", *hist_columns(who))
)
DAILY_METRICS = DAILY_COUNTS + RESPONSE_COLUMNS
HOURLY_METRICS = ("responses", "responseSeconds", *hist_columns(""))


def _key(type_: Any) -> sa.Column[Any]:
    return sa.Column(type_, primary_key=True)


def _client_key() -> Any:
    return Field(
        sa_column=sa.Column(
            UUID(as_uuid=True), sa.ForeignKey("Client.id", ondelete="CASCADE"), primary_key=True
        )
    )


def _metric(name: str) -> sa.Column[Any]:
    kind = sa.BigInteger if name.endswith("Seconds") else sa.Integer
    return sa.Column(name, kind, nullable=False, server_default="0")


class AnalyticsDaily(SQLModel, table=True):
    __tablename__ = "analytics_daily"
    __table_args__ = (
        *(_metric(m) for m in DAILY_METRICS),
        sa.Index("analytics_daily_setter_idx", "clientId", "setterKey", "day"),
    )

    clientId: uuid.UUID = _client_key()
    day: date = Field(sa_column=_key(sa.Date))
    campaignKey: uuid.UUID = Field(sa_column=_key(UUID(as_uuid=True)))
    setterKey: uuid.UUID = Field(sa_column=_key(UUID(as_uuid=True)))
    channel: str = Field(sa_column=_key(sa.Text))


class AnalyticsResponseHourly(SQLModel, table=True):
    __tablename__ = "analytics_response_hourly"
    __table_args__ = (
        *(_metric(m) for m in HOURLY_METRICS),
        sa.Index("analytics_response_hourly_setter_idx", "clientId", "setterKey", "day"),
    )

    clientId: uuid.UUID = _client_key()
    day: date = Field(sa_column=_key(sa.Date))
    setterKey: uuid.UUID = Field(sa_column=_key(UUID(as_uuid=True)))
    responder: str = Field(sa_column=_key(sa.Text))
    hour: int = Field(sa_column=_key(sa.SmallInteger))


class AnalyticsLeadDaily(SQLModel, table=True):
    __tablename__ = "analytics_lead_daily"
    __table_args__ = (sa.Index("analytics_lead_daily_setter_idx", "clientId", "setterKey", "day"),)

    clientId: uuid.UUID = _client_key()
    day: date = Field(sa_column=_key(sa.Date))
    campaignKey: uuid.UUID = Field(sa_column=_key(UUID(as_uuid=True)))
    setterKey: uuid.UUID = Field(sa_column=_key(UUID(as_uuid=True)))
    sentimentTag: str = Field(sa_column=_key(sa.Text))
    status: str = Field(sa_column=_key(sa.Text))
    leads: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )


class AnalyticsCohortDaily(SQLModel, table=True):
    __tablename__ = "analytics_cohort_daily"
    __table_args__ = (
        *(_metric(m) for m in COHORT_METRICS),
        sa.Index("analytics_cohort_daily_setter_idx", "clientId", "setterKey", "day"),
    )

    clientId: uuid.UUID = _client_key()
    day: date = Field(sa_column=_key(sa.Date))
    cohort: str = Field(sa_column=_key(sa.Text))
    campaignKey: uuid.UUID = Field(sa_column=_key(UUID(as_uuid=True)))
    setterKey: uuid.UUID = Field(sa_column=_key(UUID(as_uuid=True)))


DIRTY_SEQ = sa.Sequence("analytics_dirty_seq", metadata=SQLModel.metadata)


class AnalyticsDirtyDay(SQLModel, table=True):
    __tablename__ = "analytics_dirty_days"

    clientId: uuid.UUID = _client_key()
    day: date = Field(sa_column=_key(sa.Date))
    dirtyAt: datetime | None = dirty_at()
    dirtySeq: int | None = dirty_seq(DIRTY_SEQ)


DAILY: sa.Table = AnalyticsDaily.__table__  # type: ignore[attr-defined]
HOURLY: sa.Table = AnalyticsResponseHourly.__table__  # type: ignore[attr-defined]
LEAD_DAILY: sa.Table = AnalyticsLeadDaily.__table__  # type: ignore[attr-defined]
COHORT: sa.Table = AnalyticsCohortDaily.__table__  # type: ignore[attr-defined]
DIRTY: sa.Table = AnalyticsDirtyDay.__table__  # type: ignore[attr-defined]
ROLLUP_TABLES = (DAILY, HOURLY, LEAD_DAILY, COHORT)

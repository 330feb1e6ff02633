"""Analytics reads. Every function takes a ``user_session`` (row level security decides what the
caller sees: a SETTER only gets rows of their own assignee dimension / their own leads) plus the
caller's :class:`~inboxapp.domain.access.Access`; the explicit setter filters only help the
planner. Overview, campaigns, setters and response timing read the rollup tables; CRM rows read
``Lead`` (keyset pages); :func:`raw_overview_core` is the scan-everything baseline.
"""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inboxapp.analytics.cohorts import (
    CAMPAIGN_COHORTS,
    COHORT_METRICS,
    OVERVIEW_COHORTS,
    SETTER_COHORTS,
)
from inboxapp.analytics.models import (
    COHORT,
    DAILY,
    DAILY_METRICS,
    DIRTY,
    HOURLY,
    LEAD_DAILY,
    NO_KEY,
    RESPONDERS,
    hist_columns,
)
from inboxapp.analytics.rollup import bucket_labels, compute_rows, hist_quantile
from inboxapp.analytics.windows import Window, WindowSpec
from inboxapp.db.models import Campaign, ClientMember
from inboxapp.domain.access import Access
from inboxapp.domain.categories import L
from inboxapp.domain.roles import Role
from inboxapp.domain.vocabulary import LEAD_STATUSES, SENTIMENT_TAGS
from inboxapp.errors import BadRequest
from inboxapp.inbox.params import (
    BAD_CURSOR,
    aware_datetime,
    csv_values,
    decode_cursor,
    parse_limit,
    parse_uuid,
)

PARTS = ("core", "breakdowns", "all")
CAMPAIGN: sa.Table = Campaign.__table__  # type: ignore[attr-defined]
MEMBER: sa.Table = ClientMember.__table__  # type: ignore[attr-defined]
UNASSIGNED = "unassigned"
BOOLEANS = ("true", "false")


# -- helpers -----------------------------------------------------------------------------------


def _where(table: sa.Table, access: Access, window: Window) -> list[Any]:
    where: list[Any] = [
        table.c.clientId == access.client_id,
        table.c.day >= window.start,
        table.c.day <= window.end,
    ]
    if access.is_setter:
        where.append(table.c.setterKey == access.user_id)
    return where


def _sum(table: sa.Table, name: str) -> Any:
    return sa.func.coalesce(sa.func.sum(table.c[name]), 0).label(name)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def _timing(row: Any, who: str) -> dict[str, Any]:
    """Responses, average, median and p90 for one responder from summed rollup columns."""
    hist = [int(getattr(row, c)) for c in hist_columns(who)]
    n = int(getattr(row, f"{who}Responses"))
    total = int(getattr(row, f"{who}ResponseSeconds"))
    return {
        "responses": n,
        "avgSeconds": round(total / n) if n else None,
        "medianSeconds": _seconds(hist_quantile(hist, 0.5)),
        "p90Seconds": _seconds(hist_quantile(hist, 0.9)),
    }


def user_names(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = [i for i in set(ids) if i != NO_KEY]
    if not wanted:
        return {}
    rows = session.execute(
        sa.text('SELECT id, "displayName" FROM "User" WHERE id = ANY(:ids)'), {"ids": wanted}
    ).all()
    return {r.id: r.displayName for r in rows}


def freshness(session: Session, access: Access, window: Window) -> dict[str, Any]:
    """Dirty (not yet rolled up) days: in the window, and in the whole workspace."""
    in_window = sa.and_(DIRTY.c.day >= window.start, DIRTY.c.day <= window.end)
    row = session.execute(
        sa.select(
            sa.func.count().filter(in_window).label("window"),
            sa.func.count().label("total"),
            sa.func.min(DIRTY.c.dirtyAt).label("oldest"),
        ).where(DIRTY.c.clientId == access.client_id)
    ).one()
    return {
        "stale": bool(row.window),
        "dirtyDays": int(row.window),
        "pendingDays": int(row.total),
        "oldestChangeAt": row.oldest.astimezone(UTC).isoformat() if row.oldest else None,
    }


def envelope(access: Access, window: Window, **data: Any) -> dict[str, Any]:
    return {
        "clientId": str(access.client_id),
        "scope": access.scope.kind,
        **window.to_json(),
        **data,
        "computedAt": datetime.now(UTC).isoformat(),
    }


def cohort_envelope(
    session: Session, access: Access, window: Window, cohorts: dict[str, str], **data: Any
) -> dict[str, Any]:
    """:func:`envelope` of a tab whose KPIs count cohorts: names them, adds the freshness."""
    fresh = freshness(session, access, window)
    return envelope(access, window, **data, cohorts=dict(cohorts), freshness=fresh)


# -- overview ----------------------------------------------------------------------------------


def _int(row: Any, name: str) -> int:
    return int(getattr(row, name)) if row is not None else 0


def kpis(totals: Any, created: Any) -> dict[str, Any]:
    """The overview KPIs: message counts and response times from summed ``analytics_daily``
    metrics, lead counts from the ``created`` cohort's summed stages (rows or namespaces)."""

    def v(name: str) -> int:
        return _int(totals, name)

    def c(name: str) -> int:
        return _int(created, name)

    setter, ai = _timing(totals, "setter"), _timing(totals, "ai")
    return {
        "totalLeads": c("leads"),
        "leadsContacted": c("contacted"),
        "responses": c("replied"),
        "responseRate": _pct(c("replied"), c("contacted")),
        "positiveReplies": c("positive"),
        "meetingsRequested": c("requested"),
        "meetingsBooked": c("booked"),
        "inboundMessages": v("inboundMessages"),
        "outboundMessages": v("outboundMessages"),
        "setterMedianResponseSeconds": setter["medianSeconds"],
        "aiMedianResponseSeconds": ai["medianSeconds"],
        "setterResponses": setter["responses"],
        "aiResponses": ai["responses"],
        "setterAvgResponseSeconds": setter["avgSeconds"],
        "aiAvgResponseSeconds": ai["avgSeconds"],
        "cohorts": dict(OVERVIEW_COHORTS),
    }


def cohort_sums(
    session: Session, access: Access, window: Window, cohort: str, by: str | None = None
) -> dict[Any, Any]:
    """Summed stages of one cohort in the window, per ``by`` key column (or one row, key None)."""
    keys = [COHORT.c[by]] if by else []
    stmt = sa.select(*keys, *(_sum(COHORT, m) for m in COHORT_METRICS)).where(
        *_where(COHORT, access, window), COHORT.c.cohort == cohort
    )
    rows = session.execute(stmt.group_by(*keys) if by else stmt).all()
    return {(getattr(r, by) if by else None): r for r in rows}


def overview_core(session: Session, access: Access, window: Window) -> dict[str, Any]:
    row = session.execute(
        sa.select(*(_sum(DAILY, m) for m in DAILY_METRICS)).where(*_where(DAILY, access, window))
    ).one()
    return kpis(row, cohort_sums(session, access, window, "created")[None])


def _weeks(window: Window) -> list[date]:
    first = window.start - timedelta(days=window.start.weekday())
    return [first + timedelta(weeks=i) for i in range((window.end - first).days // 7 + 1)]


def overview_breakdowns(session: Session, access: Access, window: Window) -> dict[str, Any]:
    lead_where = _where(LEAD_DAILY, access, window)
    leads = sa.func.sum(LEAD_DAILY.c.leads)

    def leads_by(column: Any) -> Sequence[sa.Row[Any]]:
        return session.execute(
            sa.select(column, leads.label("n"))
            .where(*lead_where)
            .group_by(column)
            .order_by(sa.desc("n"), column)
        ).all()

    by_sentiment = leads_by(LEAD_DAILY.c.sentimentTag)
    by_status = leads_by(LEAD_DAILY.c.status)
    week = sa.cast(sa.func.date_trunc("week", DAILY.c.day), sa.Date).label("week")
    weekly = {
        r.week: r
        for r in session.execute(
            sa.select(week, _sum(DAILY, "inboundMessages"), _sum(DAILY, "outboundMessages"))
            .where(*_where(DAILY, access, window))
            .group_by(week)
        )
    }
    timing_cols = [
        _sum(DAILY, c)
        for who in RESPONDERS
        for c in (f"{who}Responses", f"{who}ResponseSeconds", *hist_columns(who))
    ]
    per_setter = session.execute(
        sa.select(DAILY.c.setterKey, *timing_cols)
        .where(*_where(DAILY, access, window))
        .group_by(DAILY.c.setterKey)
    ).all()
    names = user_names(session, (r.setterKey for r in per_setter))
    setters = [
        {
            "setterId": None if r.setterKey == NO_KEY else str(r.setterKey),
            "name": "Unassigned" if r.setterKey == NO_KEY else names.get(r.setterKey, "Unknown"),
            "setter": _timing(r, "setter"),
            "ai": _timing(r, "ai"),
        }
        for r in per_setter
        if int(r.setterResponses) or int(r.aiResponses)
    ]
    setters.sort(key=lambda s: (s["setterId"] is None, s["name"], s["setterId"] or ""))
    return {
        "bySentiment": [
            {"sentiment": r.sentimentTag or "None", "leads": int(r.n)} for r in by_sentiment
        ],
        "leadsByStatus": [{"status": r.status, "leads": int(r.n)} for r in by_status],
        "weekly": [
            {
                "week": w.isoformat(),
                "inbound": int(weekly[w].inboundMessages) if w in weekly else 0,
                "outbound": int(weekly[w].outboundMessages) if w in weekly else 0,
            }
            for w in _weeks(window)
        ],
        "perSetter": setters,
    }


def overview(session: Session, access: Access, window: Window, parts: str) -> dict[str, Any]:
    data: dict[str, Any] = {"parts": parts}
    if parts in ("core", "all"):
        data["core"] = overview_core(session, access, window)
    if parts in ("breakdowns", "all"):
        data["breakdowns"] = overview_breakdowns(session, access, window)
    return envelope(access, window, **data, freshness=freshness(session, access, window))


def parse_parts(value: str | None) -> str:
    parts = (value or "all").strip().lower()
    if parts not in PARTS:
        raise BadRequest("INVALID_PARTS", f"parts must be one of: {', '.join(PARTS)}")
    return parts


# -- tabs --------------------------------------------------------------------------------------


def campaigns(session: Session, access: Access, window: Window) -> dict[str, Any]:
    """Per campaign, the ``created`` cohort: leads created in the window, then contacted ->
    replied -> positive -> meeting requested -> booked so far; rates against replies (reply
    rate against contacted). The rows add up to the overview."""
    rows = cohort_sums(session, access, window, "created", "campaignKey")
    known = session.execute(
        sa.select(CAMPAIGN.c.id, CAMPAIGN.c.name, CAMPAIGN.c.channel)
        .where(CAMPAIGN.c.clientId == access.client_id)
        .order_by(CAMPAIGN.c.name, CAMPAIGN.c.id)
    ).all()
    entries: list[tuple[uuid.UUID, str, str | None]] = [(c.id, c.name, c.channel) for c in known]
    if NO_KEY in rows:
        entries.append((NO_KEY, "No campaign", None))
    out = []
    for key, name, channel in entries:
        r = rows.get(key)
        replies = _int(r, "replied")
        out.append(
            {
                "campaignId": None if key == NO_KEY else str(key),
                "name": name,
                "channel": channel,
                "leads": _int(r, "leads"),
                "contacted": _int(r, "contacted"),
                "replies": replies,
                "positiveReplies": _int(r, "positive"),
                "meetingsRequested": _int(r, "requested"),
                "meetingsBooked": _int(r, "booked"),
                "replyRate": _pct(replies, _int(r, "contacted")),
                "positiveRate": _pct(_int(r, "positive"), replies),
                "meetingRequestRate": _pct(_int(r, "requested"), replies),
                "bookingRate": _pct(_int(r, "booked"), replies),
            }
        )
    return cohort_envelope(session, access, window, CAMPAIGN_COHORTS, campaigns=out)


SETTER_STAGES = (
    ("assigned", "leads"),
    ("responded", "answered"),
    ("positive", "positive"),
    ("requested", "requested"),
    ("booked", "booked"),
)
"""Funnel stage -> its ``assigned`` cohort metric."""


def setters(session: Session, access: Access, window: Window) -> dict[str, Any]:
    """Funnel per assignee, the ``assigned`` cohort: leads assigned in the window (by current
    assignee), then answered by us -> positive -> meeting requested -> booked so far."""
    rows = cohort_sums(session, access, window, "assigned", "setterKey")
    rows.pop(NO_KEY, None)
    if access.is_setter:
        ids = {access.user_id}
    else:
        ids = set(rows) | set(
            session.execute(
                sa.select(MEMBER.c.userId).where(
                    MEMBER.c.clientId == access.client_id, MEMBER.c.role == Role.SETTER.value
                )
            ).scalars()
        )
    names = user_names(session, ids)
    out: list[dict[str, Any]] = []
    for sid in ids:
        r = rows.get(sid)
        stages = {stage: _int(r, m) for stage, m in SETTER_STAGES}
        conversions = {
            f"{b}Rate": _pct(stages[b], stages[a])
            for (a, _), (b, _) in itertools.pairwise(SETTER_STAGES)
        }
        out.append(
            {"setterId": str(sid), "name": names.get(sid, "Unknown"), **stages, **conversions}
        )
    out.sort(key=lambda s: (-s["assigned"], s["name"], s["setterId"]))
    return cohort_envelope(session, access, window, SETTER_COHORTS, setters=out)


def response_timing(session: Session, access: Access, window: Window) -> dict[str, Any]:
    """Setter vs AI response-time distributions (histograms) and both by local hour of day of
    the answered inbound message."""
    hist = hist_columns("")
    rows = session.execute(
        sa.select(
            HOURLY.c.responder,
            HOURLY.c.hour,
            _sum(HOURLY, "responses"),
            _sum(HOURLY, "responseSeconds"),
            *(_sum(HOURLY, c) for c in hist),
        )
        .where(*_where(HOURLY, access, window))
        .group_by(HOURLY.c.responder, HOURLY.c.hour)
    ).all()
    totals: dict[str, list[int]] = {who: [0] * len(hist) for who in RESPONDERS}
    seconds: dict[str, int] = dict.fromkeys(RESPONDERS, 0)
    by_hour: dict[int, dict[str, Any]] = defaultdict(dict)
    for r in rows:
        counts = [int(getattr(r, c)) for c in hist]
        totals[r.responder] = [a + b for a, b in zip(totals[r.responder], counts, strict=True)]
        seconds[r.responder] += int(r.responseSeconds)
        n = int(r.responses)
        by_hour[int(r.hour)][r.responder] = {
            "responses": n,
            "avgSeconds": round(int(r.responseSeconds) / n) if n else None,
            "medianSeconds": _seconds(hist_quantile(counts, 0.5)),
        }
    empty = {"responses": 0, "avgSeconds": None, "medianSeconds": None}
    labels = bucket_labels()
    distributions = {}
    for who in RESPONDERS:
        n = sum(totals[who])
        distributions[who] = {
            "responses": n,
            "avgSeconds": round(seconds[who] / n) if n else None,
            "medianSeconds": _seconds(hist_quantile(totals[who], 0.5)),
            "p90Seconds": _seconds(hist_quantile(totals[who], 0.9)),
            "buckets": [
                {"label": label, "count": c} for label, c in zip(labels, totals[who], strict=True)
            ],
        }
    hours = [
        {"hour": h, **{who: by_hour[h].get(who, empty) for who in RESPONDERS}} for h in range(24)
    ]
    return envelope(
        access,
        window,
        distributions=distributions,
        byHour=hours,
        freshness=freshness(session, access, window),
    )


# -- CRM rows (Lead, keyset pages) -------------------------------------------------------------

SORTS = {
    "updatedAt": L.c.updatedAt,
    "createdAt": L.c.createdAt,
    "lastMessageAt": L.c.lastMessageAt,
    "lastInboundAt": L.c.lastInboundAt,
    "appointmentBookedAt": L.c.appointmentBookedAt,
}
SORT_KEYS = (*SORTS, *(f"-{name}" for name in SORTS))
"""Every ``sort`` value: a column ascending, or ``-column`` descending."""
NOT_NULL_SORTS = ("updatedAt", "createdAt")
DEFAULT_SORT = "-updatedAt"
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
_NEG_INF: Any = sa.literal_column("'-infinity'::timestamptz")


@dataclass(frozen=True)
class CrmCursor:
    """Position after the last row: its sort value (None = no value) and id, for one sort."""

    sort: str
    value: datetime | None
    lead_id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps(
            {
                "s": self.sort,
                "v": self.value.isoformat() if self.value else None,
                "i": str(self.lead_id),
            }
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, sort: str) -> CrmCursor:
        data = decode_cursor(token, ("s", "v", "i"), nullable=("v",))
        try:
            if data["s"] != sort:
                raise ValueError("cursor of another sort")
            value = aware_datetime(data["v"]) if "v" in data else None
            return cls(sort, value, uuid.UUID(data["i"]))
        except ValueError as exc:
            raise BadRequest(*BAD_CURSOR) from exc


@dataclass(frozen=True)
class CrmParams:
    window: WindowSpec | None = None
    """Only leads created in the window (all leads when None)."""
    sort: str = DEFAULT_SORT
    cursor: CrmCursor | None = None
    limit: int = DEFAULT_LIMIT
    statuses: tuple[str, ...] = field(default_factory=tuple)
    sentiments: tuple[str, ...] = field(default_factory=tuple)
    campaign_id: uuid.UUID | None = None
    assignee: uuid.UUID | str | None = None
    """A user id, or ``"unassigned"``."""
    booked: bool | None = None

    def cache_fields(self) -> dict[str, Any]:
        return {
            "sort": self.sort,
            "limit": self.limit,
            "statuses": list(self.statuses),
            "sentiments": list(self.sentiments),
            "campaign": str(self.campaign_id) if self.campaign_id else None,
            "assignee": str(self.assignee) if self.assignee else None,
            "booked": self.booked,
        }


def parse_crm_params(
    *,
    window: WindowSpec | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: str | int | None = None,
    status: str | Sequence[str] | None = None,
    sentiment: str | Sequence[str] | None = None,
    campaign_id: str | None = None,
    assignee: str | None = None,
    booked: str | None = None,
) -> CrmParams:
    order = (sort or DEFAULT_SORT).strip()
    if order.lstrip("-") not in SORTS:
        allowed = ", ".join(f"[-]{s}" for s in SORTS)
        raise BadRequest("INVALID_SORT", f"sort must be one of: {allowed}")
    size = parse_limit(limit, DEFAULT_LIMIT, MAX_LIMIT)
    statuses = csv_values(status)
    if unknown := [s for s in statuses if s not in LEAD_STATUSES]:
        raise BadRequest("INVALID_STATUS", f"unknown status {unknown[0]!r}")
    tags = csv_values(sentiment)
    if unknown := [t for t in tags if t not in SENTIMENT_TAGS]:
        raise BadRequest("INVALID_SENTIMENT", f"unknown sentiment tag {unknown[0]!r}")
    who: uuid.UUID | str | None = None
    if assignee:
        who = UNASSIGNED if assignee == UNASSIGNED else parse_uuid(assignee, "assignee")
    flag: bool | None = None
    if booked not in (None, ""):
        if str(booked).lower() not in BOOLEANS:
            raise BadRequest("INVALID_BOOKED", "booked must be true or false")
        flag = str(booked).lower() == "true"
    return CrmParams(
        window=window,
        sort=order,
        cursor=CrmCursor.decode(cursor, order) if cursor else None,
        limit=size,
        statuses=statuses,
        sentiments=tags,
        campaign_id=parse_uuid(campaign_id, "campaignId") if campaign_id else None,
        assignee=who,
        booked=flag,
    )


CRM_COLUMNS = (
    L.c.id, L.c.firstName, L.c.lastName, L.c.email, L.c.company, L.c.status, L.c.sentimentTag,
    L.c.campaignId, L.c.assignedToUserId, L.c.overallScore, L.c.createdAt, L.c.updatedAt,
    L.c.lastInboundAt, L.c.lastOutboundAt, L.c.lastMessageAt, L.c.appointmentBookedAt,
)  # fmt: skip


def crm_statement(access: Access, params: CrmParams, window: Window | None) -> sa.Select[Any]:
    name = params.sort.lstrip("-")
    desc = params.sort.startswith("-")
    column = SORTS[name]
    key = column if name in NOT_NULL_SORTS else sa.func.coalesce(column, _NEG_INF)
    where: list[Any] = [L.c.clientId == access.client_id]
    if access.is_setter:
        where.append(L.c.assignedToUserId == access.user_id)
    if window is not None:
        tz = sa.cast(sa.literal(window.tz), sa.Text)

        def local_midnight(d: date) -> Any:
            return sa.func.timezone(tz, sa.cast(sa.literal(d), sa.DateTime))

        where += [
            L.c.createdAt >= local_midnight(window.start),
            L.c.createdAt < local_midnight(window.end + timedelta(days=1)),
        ]
    if params.statuses:
        where.append(L.c.status.in_(params.statuses))
    if params.sentiments:
        where.append(L.c.sentimentTag.in_(params.sentiments))
    if params.campaign_id:
        where.append(L.c.campaignId == params.campaign_id)
    if params.assignee == UNASSIGNED:
        where.append(L.c.assignedToUserId.is_(None))
    elif params.assignee is not None:
        where.append(L.c.assignedToUserId == params.assignee)
    if params.booked is not None:
        booked = L.c.appointmentBookedAt
        where.append(booked.is_not(None) if params.booked else booked.is_(None))
    if params.cursor is not None:
        value: Any = sa.literal(params.cursor.value, sa.DateTime(timezone=True))
        if name not in NOT_NULL_SORTS:
            value = sa.func.coalesce(value, _NEG_INF)
        position = sa.tuple_(key, L.c.id)
        after = sa.tuple_(value, sa.literal(params.cursor.lead_id, L.c.id.type))
        where.append(position < after if desc else position > after)
    order = (key.desc(), L.c.id.desc()) if desc else (key.asc(), L.c.id.asc())
    return sa.select(*CRM_COLUMNS).where(*where).order_by(*order).limit(params.limit + 1)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def crm_rows(
    session: Session, access: Access, params: CrmParams, window: Window | None
) -> dict[str, Any]:
    rows = session.execute(crm_statement(access, params, window)).all()
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    names = user_names(session, {r.assignedToUserId for r in rows if r.assignedToUserId})
    campaign_ids = {r.campaignId for r in rows if r.campaignId}
    campaign_names = {}
    if campaign_ids:
        campaign_names = dict(
            session.execute(
                sa.select(CAMPAIGN.c.id, CAMPAIGN.c.name).where(CAMPAIGN.c.id.in_(campaign_ids))
            ).all()
        )
    sort = params.sort.lstrip("-")
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = CrmCursor(params.sort, getattr(last, sort), last.id).encode()
    items = [
        {
            "id": str(r.id),
            "name": " ".join(p for p in (r.firstName, r.lastName) if p) or (r.email or "Unknown"),
            "email": r.email,
            "company": r.company,
            "status": r.status,
            "sentimentTag": r.sentimentTag,
            "campaignId": str(r.campaignId) if r.campaignId else None,
            "campaignName": campaign_names.get(r.campaignId) if r.campaignId else None,
            "assignedToUserId": str(r.assignedToUserId) if r.assignedToUserId else None,
            "assigneeName": names.get(r.assignedToUserId) if r.assignedToUserId else None,
            "overallScore": r.overallScore,
            "createdAt": _iso(r.createdAt),
            "updatedAt": _iso(r.updatedAt),
            "lastInboundAt": _iso(r.lastInboundAt),
            "lastOutboundAt": _iso(r.lastOutboundAt),
            "lastMessageAt": _iso(r.lastMessageAt),
            "appointmentBookedAt": _iso(r.appointmentBookedAt),
        }
        for r in rows
    ]
    body: dict[str, Any] = {
        "clientId": str(access.client_id),
        "scope": access.scope.kind,
        "sort": params.sort,
        "items": items,
        "nextCursor": next_cursor,
    }
    if window is not None:
        body.update(window.to_json())
    return body


# -- the raw-scan baseline ---------------------------------------------------------------------


def raw_overview_core(session: Session, access: Access, window: Window) -> dict[str, Any]:
    """The core KPIs straight from Message/Lead (no rollups): the same SQL the rollup job runs,
    restricted to the window's days, under the caller's RLS. The benchmark's baseline."""
    computed = compute_rows(session, access.client_id, window.tz, window.day_list())

    def mine(kind: str) -> list[dict[str, Any]]:
        rows = computed[kind]
        return [r for r in rows if not access.is_setter or r["setterKey"] == access.user_id]

    created = [r for r in mine("cohort") if r["cohort"] == "created"]
    totals = {m: sum(int(r[m]) for r in mine("daily")) for m in DAILY_METRICS}
    cohort = {m: sum(int(r[m]) for r in created) for m in COHORT_METRICS}
    return kpis(_Namespace(totals), _Namespace(cohort))


class _Namespace:
    def __init__(self, values: dict[str, int]) -> None:
        self.__dict__.update(values)

"""Analytics: rollups against an independent Python model of the metrics (property tests), the
dirty-day triggers after incremental changes, windows, RLS scope, the GET API and its cache."""

from __future__ import annotations

import os
import uuid
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inboxapp.analytics import cli as analytics_cli
from inboxapp.analytics import rollup
from inboxapp.analytics.cohorts import COHORT_METRICS
from inboxapp.analytics.models import DAILY_METRICS, HIST_BOUNDS, HOURLY_METRICS, N_BUCKETS, NO_KEY
from inboxapp.analytics.windows import parse_window, resolve
from inboxapp.config import get_settings
from inboxapp.db.engine import owner_session, user_session
from inboxapp.db.models import Lead, Message
from inboxapp.errors import BadRequest
from inboxapp.inbox import actions
from tests import factories as f
from tests.support import bearer_for

BASE = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)  # the US switch to DST is on March 8
ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham")
TAGS = (None, "New", "Interested", "Meeting Requested", "Call Requested", "Meeting Booked",
        "Not Interested")  # fmt: skip
STATUSES = ("new", "qualified", "meeting-booked", "blacklisted")


# -- an independent model of every metric (see inboxapp.analytics.rollup's docstring) ---------


def reference(tz: str, leads: list[Any], messages: list[Any]) -> dict[str, list[dict[str, Any]]]:
    zone = ZoneInfo(tz)

    def day(t: datetime) -> date:
        return t.astimezone(zone).date()

    daily: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    hourly: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    lead_daily: Counter[tuple[Any, ...]] = Counter()
    dims = {}
    for lead in leads:
        ck, sk = lead.campaignId or NO_KEY, lead.assignedToUserId or NO_KEY
        dims[lead.id] = (ck, sk)

        def add(t: datetime | None, metric: str, ck: Any = ck, sk: Any = sk) -> None:
            if t is not None:
                daily[(day(t), ck, sk, "")][metric] += 1

        add(lead.createdAt, "leadsCreated")
        add(lead.assignedAt if lead.assignedToUserId else None, "leadsAssigned")
        add(lead.positiveAt, "positiveReplies")
        add(lead.appointmentBookedAt, "meetingsBooked")
        if lead.sentimentTag in rollup.REQUESTED_TAGS or lead.appointmentBookedAt:
            add(lead.positiveAt or lead.appointmentBookedAt or lead.createdAt, "meetingsRequested")
        lead_daily[(day(lead.createdAt), ck, sk, lead.sentimentTag or "", lead.status)] += 1
    by_lead: dict[Any, list[Any]] = defaultdict(list)
    for m in messages:
        by_lead[m.leadId].append(m)
    for lead_id, msgs in by_lead.items():
        ck, sk = dims[lead_id]
        n_out = n_in = n_reply = 0
        prev_in: datetime | None = None
        run_start: datetime | None = None
        for m in sorted(msgs, key=lambda m: (m.sentAt, m.id)):
            d = day(m.sentAt)
            row = daily[(d, ck, sk, m.channel)]
            if m.direction == "outbound":
                n_out += 1
                row["outboundMessages"] += 1
                row["leadsContacted"] += n_out == 1
                if m.sentBy is not None:
                    n_reply += 1
                    row["leadsReplied"] += n_reply == 1
                    if run_start is not None:
                        secs = (m.sentAt - run_start) // timedelta(seconds=1)
                        bucket = bisect_right(HIST_BOUNDS, secs)
                        who = m.sentBy
                        row[f"{who}Responses"] += 1
                        row[f"{who}ResponseSeconds"] += secs
                        row[f"{who}H{bucket:02d}"] += 1
                        h = hourly[(d, sk, who, run_start.astimezone(zone).hour)]
                        h["responses"] += 1
                        h["responseSeconds"] += secs
                        h[f"h{bucket:02d}"] += 1
                    run_start = None
            else:
                n_in += 1
                row["inboundMessages"] += 1
                row["firstResponses"] += n_in == 1
                row["respondedLeads"] += prev_in is None or day(prev_in) != d
                prev_in = m.sentAt
                run_start = run_start or m.sentAt
    cohorts = reference_cohorts(zone, leads, by_lead)
    return {
        "daily": [
            {**dict(zip(rollup.DAILY_KEYS, k, strict=True)), **{m: v[m] for m in DAILY_METRICS}}
            for k, v in daily.items()
        ],
        "cohort": [
            {**dict(zip(rollup.COHORT_KEYS, k, strict=True)), **{m: v[m] for m in COHORT_METRICS}}
            for k, v in cohorts.items()
        ],
        "hourly": [
            {**dict(zip(rollup.HOURLY_KEYS, k, strict=True)), **{m: v[m] for m in HOURLY_METRICS}}
            for k, v in hourly.items()
        ],
        "lead": [
            {**dict(zip(rollup.LEAD_KEYS, k, strict=True)), "leads": n}
            for k, n in lead_daily.items()
        ],
    }


def reference_cohorts(
    zone: ZoneInfo, leads: list[Any], by_lead: dict[Any, list[Any]]
) -> dict[tuple[Any, ...], Counter[str]]:
    """Each lead once per cohort, on its anchor day, with the stages of its chain it reached."""
    out: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    for lead in leads:
        msgs = by_lead.get(lead.id, [])
        facts = {
            "contacted": any(m.direction == "outbound" for m in msgs),
            "replied": any(m.direction == "inbound" for m in msgs),
            "answered": any(m.direction == "outbound" and m.sentBy for m in msgs),
            "positive": lead.positiveAt is not None,
            "requested": lead.sentimentTag in rollup.REQUESTED_TAGS
            or lead.appointmentBookedAt is not None,
            "booked": lead.appointmentBookedAt is not None,
        }
        ck, sk = lead.campaignId or NO_KEY, lead.assignedToUserId or NO_KEY
        anchors = {"created": lead.createdAt}
        if lead.assignedToUserId:
            anchors["assigned"] = lead.assignedAt
        chains = {
            "created": ("contacted", "replied", "positive", "requested", "booked"),
            "assigned": ("answered", "positive", "requested", "booked"),
        }
        for cohort, at in anchors.items():
            if at is None:
                continue
            row = out[(at.astimezone(zone).date(), cohort, ck, sk)]
            row["leads"] += 1
            reached = True
            for stage in chains[cohort]:
                reached = reached and facts[stage]
                row[stage] += reached
    return out


def snapshot(client_id: uuid.UUID) -> tuple[str, list[Any], list[Any]]:
    with owner_session() as s:
        tz = rollup.workspace_timezone(s, client_id)
        leads = s.execute(sa.select(Lead).where(Lead.clientId == client_id)).scalars().all()
        msgs = s.execute(sa.select(Message).where(Message.clientId == client_id)).scalars().all()
        return tz, list(leads), list(msgs)


def assert_matches_reference(client_id: uuid.UUID) -> None:
    tz, leads, msgs = snapshot(client_id)
    with owner_session() as s:
        stored = rollup.stored_rows(s, client_id)
    assert rollup.diff_rows(stored, reference(tz, leads, msgs)) == []


# -- random workspaces --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def people() -> dict[str, Any]:
    owner = f.create_user(name="Analytics owner")
    return {"owner": owner, "setters": [f.create_user(name=f"Setter {i}") for i in range(2)]}


minutes = st.integers(min_value=0, max_value=8 * 24 * 60)
lead_st = st.fixed_dictionaries(
    {
        "campaign": st.sampled_from([None, 0, 1]),
        "setter": st.sampled_from([None, 0, 1]),
        "created": minutes,
        "assigned": st.none() | minutes,
        "positive": st.none() | minutes,
        "booked": st.none() | minutes,
        "tag": st.sampled_from(TAGS),
        "status": st.sampled_from(STATUSES),
    }
)
message_st = st.fixed_dictionaries(
    {
        "lead": st.integers(min_value=0, max_value=5),
        "at": minutes,
        "kind": st.sampled_from(["in", "in", "campaign", "setter", "ai"]),
        "channel": st.sampled_from(["email", "sms", "linkedin"]),
    }
)
dense_world_st = st.fixed_dictionaries(
    {
        "tz": st.sampled_from(ZONES),
        "leads": st.lists(lead_st, min_size=1, max_size=3),
        "messages": st.lists(message_st, min_size=4, max_size=30),
    }
)
world_st = st.fixed_dictionaries(
    {
        "tz": st.sampled_from(ZONES),
        "leads": st.lists(lead_st, min_size=1, max_size=6),
        "messages": st.lists(message_st, max_size=30),
    }
)


def _at(minute: int | None) -> datetime | None:
    return None if minute is None else BASE + timedelta(minutes=minute)


def _message_fields(kind: str, channel: str, at: datetime, setter: Any) -> dict[str, Any]:
    direction = "inbound" if kind == "in" else "outbound"
    sent_by = kind if kind in ("setter", "ai") else None
    return {
        "channel": channel,
        "direction": direction,
        "source": "campaign" if kind in ("in", "campaign") else "zrg",
        "sentBy": sent_by,
        "sentByUserId": setter.id if sent_by == "setter" else None,
        "sentAt": at,
    }


def build_world(people: dict[str, Any], world: dict[str, Any]) -> tuple[Any, list[Lead]]:
    client = f.create_workspace("Analytics", people["owner"])
    with owner_session() as s:
        s.execute(
            sa.text("""UPDATE "Client" SET settings = settings || jsonb_build_object('timezone', CAST(:tz AS text))
                    WHERE id = :c"""),
            {"tz": world["tz"], "c": client.id},
        )
    campaigns = [f.create_campaign(client, f"C{i}") for i in range(2)]
    setters = people["setters"]
    leads = []
    with owner_session() as s:
        for spec in world["leads"]:
            lead = Lead(
                clientId=client.id,
                firstName="L",
                campaignId=None if spec["campaign"] is None else campaigns[spec["campaign"]].id,
                assignedToUserId=None if spec["setter"] is None else setters[spec["setter"]].id,
                assignedAt=_at(spec["assigned"]),
                positiveAt=_at(spec["positive"]),
                appointmentBookedAt=_at(spec["booked"]),
                sentimentTag=spec["tag"],
                status=spec["status"],
                createdAt=_at(spec["created"]),
                updatedAt=_at(spec["created"]),
            )
            s.add(lead)
            leads.append(lead)
        s.flush()
        for spec in world["messages"]:
            lead = leads[spec["lead"] % len(leads)]
            fields = _message_fields(spec["kind"], spec["channel"], _at(spec["at"]), setters[0])
            s.add(Message(clientId=client.id, leadId=lead.id, body="x", **fields))
    return client, leads


# Several messages at the same instant exercise the (sentAt, id) tie-break.
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(world=world_st)
def test_rollups_equal_the_reference_model(people: dict[str, Any], world: dict[str, Any]) -> None:
    client, _leads = build_world(people, world)
    rollup.rebuild_workspace(client.id)
    assert_matches_reference(client.id)
    assert rollup.verify_workspace(client.id) == []
    assert rollup.dirty_days(client.id) == []


# -- incremental maintenance: triggers mark dirty days, the rollup fixes exactly those ---------

op_st = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 5), minutes, message_st.map(lambda m: m["kind"]),
              st.sampled_from(["email", "sms"])),
    st.tuples(st.just("delete"), st.integers(0, 40)),
    st.tuples(st.just("move"), st.integers(0, 40), minutes),
    st.tuples(st.just("flip"), st.integers(0, 40), st.sampled_from(["in", "campaign", "setter", "ai"])),
    st.tuples(st.just("assign"), st.integers(0, 5), st.sampled_from([None, 0, 1]), minutes),
    st.tuples(st.just("campaign"), st.integers(0, 5), st.sampled_from([None, 0, 1])),
    st.tuples(st.just("lead_time"), st.integers(0, 5),
              st.sampled_from(["positiveAt", "appointmentBookedAt", "createdAt"]), minutes),
    st.tuples(st.just("sentiment"), st.integers(0, 5), st.sampled_from(TAGS[1:]),
              st.sampled_from(STATUSES)),
    st.tuples(st.just("tz"), st.sampled_from(ZONES)),
    st.tuples(st.just("delete_lead"), st.integers(0, 5)),
)  # fmt: skip


def apply_op(client: Any, people: dict[str, Any], op: tuple[Any, ...]) -> None:
    """One write statement (its own transaction), like an import or an operator fix."""
    kind, *args = op
    cid = client.id
    with owner_session() as s:
        leads = (
            s.execute(sa.select(Lead.id).where(Lead.clientId == cid).order_by(Lead.id))
            .scalars()
            .all()
        )
        msgs = (
            s.execute(sa.select(Message.id).where(Message.clientId == cid).order_by(Message.id))
            .scalars()
            .all()
        )
        campaigns = (
            s.execute(
                sa.text('SELECT id FROM "Campaign" WHERE "clientId" = :c ORDER BY name'), {"c": cid}
            )
            .scalars()
            .all()
        )
        pick = args[0] if isinstance(args[0], int) else 0
        lead = leads[pick % len(leads)] if leads else None
        msg = msgs[pick % len(msgs)] if msgs else None
        setters = people["setters"]
        if kind == "insert" and lead:
            fields = _message_fields(args[2], args[3], _at(args[1]), setters[0])
            s.add(Message(clientId=cid, leadId=lead, body="x", **fields))
        elif kind == "delete" and msg:
            s.execute(sa.delete(Message).where(Message.id == msg))
        elif kind == "move" and msg:
            s.execute(sa.update(Message).where(Message.id == msg).values(sentAt=_at(args[1])))
        elif kind == "flip" and msg:
            fields = _message_fields(args[1], "email", BASE, setters[0])
            del fields["sentAt"], fields["channel"]
            s.execute(sa.update(Message).where(Message.id == msg).values(**fields))
        elif kind == "assign" and lead:
            who = None if args[1] is None else setters[args[1]].id
            s.execute(
                sa.update(Lead)
                .where(Lead.id == lead)
                .values(assignedToUserId=who, assignedAt=_at(args[2]))
            )
        elif kind == "campaign" and lead:
            camp = None if args[1] is None else campaigns[args[1]]
            s.execute(sa.update(Lead).where(Lead.id == lead).values(campaignId=camp))
        elif kind == "lead_time" and lead:
            s.execute(sa.update(Lead).where(Lead.id == lead).values({args[1]: _at(args[2])}))
        elif kind == "sentiment" and lead:
            s.execute(
                sa.update(Lead).where(Lead.id == lead).values(sentimentTag=args[1], status=args[2])
            )
        elif kind == "tz":
            s.execute(
                sa.text(
                    'UPDATE "Client" SET settings = settings'
                    " || jsonb_build_object('timezone', CAST(:tz AS text)) WHERE id = :c"
                ),
                {"tz": args[0], "c": cid},
            )
        elif kind == "delete_lead" and lead and len(leads) > 1:
            s.execute(sa.delete(Lead).where(Lead.id == lead))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(world=dense_world_st, ops=st.lists(op_st, min_size=1, max_size=8), join=st.booleans())
def test_incremental_rollup_of_dirty_days_equals_raw(
    people: dict[str, Any], world: dict[str, Any], ops: list[tuple[Any, ...]], join: bool
) -> None:
    client, _leads = build_world(people, world)
    rollup.rebuild_workspace(client.id)
    for op in ops:
        apply_op(client, people, op)
    saved = rollup.LATERAL_MAX_LEADS
    rollup.LATERAL_MAX_LEADS = 0 if join else saved  # both plans of the day query
    try:
        assert rollup.rollup_workspace(client.id).full is False
    finally:
        rollup.LATERAL_MAX_LEADS = saved
    assert rollup.verify_workspace(client.id) == []
    assert_matches_reference(client.id)
    assert rollup.dirty_days(client.id) == []


def test_dirty_marks_on_past_days_and_newer_marks_survive(people: dict[str, Any]) -> None:
    lead = {"campaign": None, "setter": 0, "created": 0, "assigned": 10, "positive": None,
            "booked": None, "tag": "New", "status": "new"}  # fmt: skip
    client, leads = build_world(people, {"tz": "UTC", "leads": [lead], "messages": []})
    rollup.rebuild_workspace(client.id)
    assert rollup.dirty_days(client.id) == []
    first = f.create_message(leads[0], direction="outbound", sentAt=BASE + timedelta(days=1))
    f.create_message(leads[0], direction="inbound", sentAt=BASE + timedelta(days=3))
    # The messages' days, and the lead's created + assigned day (its cohort rows, 0015).
    assert rollup.dirty_days(client.id) == [date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 9)]
    # A message moved before the first outbound: every later message's day is marked.
    rollup.rollup_workspace(client.id)
    with owner_session() as s:
        s.execute(
            sa.update(Message).where(Message.id == first.id).values(sentAt=BASE - timedelta(days=1))
        )
    assert rollup.dirty_days(client.id) == [
        date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 9)
    ]  # fmt: skip
    # A rollup read the marks (seq N); a write commits meanwhile (seq N+1 on 2026-03-09): the
    # rollup's clear must keep that newer mark (and the newer mark of the lead's cohort day).
    with owner_session() as s:
        marks = [(r.day, r.dirtySeq) for r in s.execute(
            sa.select(rollup.DIRTY.c.day, rollup.DIRTY.c.dirtySeq).where(
                rollup.DIRTY.c.clientId == client.id))]  # fmt: skip
        f.create_message(leads[0], direction="inbound", sentAt=BASE + timedelta(days=3, hours=1))
        rollup._recompute(s, client.id, "UTC", [d for d, _ in marks])
        assert rollup._clear(s, client.id, marks) == 2
    assert rollup.dirty_days(client.id) == [date(2026, 3, 6), date(2026, 3, 9)]
    rollup.rollup_workspace(client.id)
    assert rollup.verify_workspace(client.id) == []


def test_many_dirty_days_take_the_full_rebuild_path(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = {"campaign": 0, "setter": 1, "created": 0, "assigned": 60, "positive": 60,
            "booked": None, "tag": "Interested", "status": "qualified"}  # fmt: skip
    msgs = [{"lead": 0, "at": 1440 * d + 30 * k, "kind": kind, "channel": "email"}
            for d in range(6) for k, kind in enumerate(("in", "setter", "ai"))]  # fmt: skip
    client, _ = build_world(people, {"tz": "Asia/Kolkata", "leads": [lead], "messages": msgs})
    rollup.rebuild_workspace(client.id)
    apply_op(client, people, ("assign", 0, 0, 100))  # re-files every day of the lead
    apply_op(client, people, ("tz", "America/New_York"))
    monkeypatch.setattr(rollup, "FULL_REBUILD_DAYS", 3)
    result = rollup.rollup_workspace(client.id)
    assert result.full and result.days > 3
    assert rollup.verify_workspace(client.id) == []
    assert_matches_reference(client.id)


@pytest.mark.parametrize(
    "op",
    [
        ("assign", 0, 1, 30),  # another assignee: every message day moves to a new setterKey
        ("campaign", 0, None),  # another campaign: the same for campaignKey
        ("lead_time", 0, "positiveAt", 5 * 1440),  # the old positive day loses its count
        ("sentiment", 0, "Meeting Requested", "qualified"),  # lead_daily + meetingsRequested
        ("tz", "Pacific/Chatham"),  # every local day shifts
    ],
)
def test_lead_changes_mark_every_affected_day(people: dict[str, Any], op: tuple[Any, ...]) -> None:
    lead = {"campaign": 0, "setter": 0, "created": 0, "assigned": 60, "positive": 1440,
            "booked": None, "tag": "Interested", "status": "qualified"}  # fmt: skip
    msgs = [{"lead": 0, "at": 1440 * d + 600 + k, "kind": kind, "channel": "sms"}
            for d in range(0, 8, 2) for k, kind in enumerate(("in", "setter"))]  # fmt: skip
    client, _ = build_world(people, {"tz": "UTC", "leads": [lead], "messages": msgs})
    rollup.rebuild_workspace(client.id)
    apply_op(client, people, op)
    assert rollup.dirty_days(client.id)
    assert rollup.rollup_workspace(client.id).full is False
    assert rollup.verify_workspace(client.id) == []
    assert_matches_reference(client.id)


# -- windows -------------------------------------------------------------------------------------


def test_windows_resolve_in_the_workspace_zone() -> None:
    now = datetime(2026, 3, 8, 3, 30, tzinfo=UTC)  # still March 7 in New York
    w = resolve(parse_window("7d"), "America/New_York", now)
    assert (w.start, w.end, w.days) == (date(2026, 3, 1), date(2026, 3, 7), 7)
    assert resolve(parse_window(None), "Asia/Kolkata", now).days == 30
    custom = resolve(parse_window(None, "2026-01-01", "2026-06-29"), "UTC", now)
    assert (custom.key, custom.days) == ("custom", 180)
    assert resolve(parse_window("90d"), "Not/AZone", now).end == date(2026, 3, 8)


@pytest.mark.parametrize(
    ("window", "start", "end", "code"),
    [
        ("custom", "2026-02-10", "2026-02-01", "WINDOW_FROM_AFTER_TO"),
        ("custom", "2025-01-01", "2025-12-31", "WINDOW_TOO_LONG"),
        ("custom", "2026-02-30", "2026-03-01", "INVALID_DATE"),
        ("custom", "01/02/2026", "2026-03-01", "INVALID_DATE"),
        ("custom", "2026-01-01", None, "WINDOW_DATES_REQUIRED"),
        ("14d", None, None, "INVALID_WINDOW"),
        ("7d", "2026-01-01", "2026-01-02", "INVALID_WINDOW"),
        ("custom", "1900-01-01", "1900-01-02", "DATE_OUT_OF_RANGE"),
    ],
)
def test_bad_windows_are_rejected(
    window: str, start: str | None, end: str | None, code: str
) -> None:
    with pytest.raises(BadRequest) as err:
        parse_window(window, start, end)
    assert err.value.code == code


def test_histogram_quantiles() -> None:
    counts = [0] * N_BUCKETS
    assert rollup.hist_quantile(counts, 0.5) is None
    counts[7] = 10  # 1800..3600 s
    assert 1800 <= rollup.hist_quantile(counts, 0.5) <= 3600  # type: ignore[operator]
    counts[-1] = 30  # >= 14 days: the open bucket answers its lower bound
    assert rollup.hist_quantile(counts, 0.9) == HIST_BOUNDS[-1]
    assert len(rollup.bucket_labels()) == N_BUCKETS


# -- the GET API ---------------------------------------------------------------------------------

OVERVIEW = "/api/analytics/overview"
ENDPOINTS = (
    OVERVIEW,
    "/api/analytics/campaigns",
    "/api/analytics/setters",
    "/api/analytics/response-timing",
    "/api/analytics/crm/rows",
)


@pytest.fixture(scope="module")
def shop(api: TestClient) -> dict[str, Any]:
    """Workspace A (New York time): 3 leads of setter S1, 2 of S2, 1 unassigned, each with a
    campaign outbound, an inbound reply and an answer (S1's by the setter, others by the AI).
    Workspace B belongs to someone else."""
    owner_a, owner_b = f.create_user(name="Owner A"), f.create_user(name="Owner B")
    a, b = f.create_workspace("Shop A", owner_a), f.create_workspace("Shop B", owner_b)
    with owner_session() as s:
        s.execute(
            sa.text(
                'UPDATE "Client" SET settings = settings || \'{"timezone": "America/New_York"}\''
                " WHERE id = :c"
            ),
            {"c": a.id},
        )
    s1, s2, portal = (f.create_user(name=n) for n in ("Sam Setter", "Sue Setter", "Portal"))
    f.add_member(a, s1, "SETTER")
    f.add_member(a, s2, "SETTER")
    f.add_member(a, portal, "CLIENT_PORTAL")
    campaign = f.create_campaign(a, "Spring")
    # Noon of today in the workspace's zone: the leads are 1-6 days old at 10:00 there whatever
    # the time of day, so the 7-day window (whole local days) always holds all six.
    now = (
        datetime.now(ZoneInfo("America/New_York"))
        .replace(hour=12, minute=0, second=0, microsecond=0)
        .astimezone(UTC)
    )
    leads = []
    for i, who in enumerate([s1, s1, s1, s2, s2, None]):
        created = now - timedelta(days=i + 1, hours=2)
        lead = f.create_lead(
            a,
            campaignId=campaign.id if i % 2 == 0 else None,
            assignedToUserId=who.id if who else None,
            assignedAt=created + timedelta(hours=1) if who else None,
            positiveAt=created + timedelta(hours=1) if i < 4 else None,
            appointmentBookedAt=created + timedelta(hours=3) if i == 0 else None,
            sentimentTag="Meeting Booked" if i == 0 else "Interested",
            status="meeting-booked" if i == 0 else "qualified",
            createdAt=created,
            updatedAt=created,
        )
        f.create_message(lead, direction="outbound", sentAt=created + timedelta(minutes=5))
        f.create_message(lead, direction="inbound", sentAt=created + timedelta(minutes=30))
        by = "setter" if who is s1 else "ai"
        f.create_message(
            lead, direction="outbound", source="zrg", sentBy=by,
            sentByUserId=who.id if by == "setter" and who else None,
            sentAt=created + timedelta(minutes=30 + 10 * (i + 1)),
        )  # fmt: skip
        leads.append(lead)
    f.create_lead(b)
    rollup.rebuild_workspace(a.id)
    rollup.rebuild_workspace(b.id)
    return {
        "a": a, "b": b, "leads": leads, "s1": s1, "s2": s2, "campaign": campaign,
        "h_owner": bearer_for(api, owner_a), "h_s1": bearer_for(api, s1), "h_portal": bearer_for(api, portal),
        "h_other": bearer_for(api, owner_b),
    }  # fmt: skip


def get(api: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    return api.get(path, params={k: v for k, v in params.items() if v is not None}, headers=headers)


def test_overview_parts_and_kpis(api: TestClient, shop: dict[str, Any]) -> None:
    cid = str(shop["a"].id)
    core = get(api, OVERVIEW, shop["h_owner"], clientId=cid, window="7d", parts="core")
    assert core.status_code == 200, core.text
    assert core.headers["x-read-api-enabled"] == "true"
    body = core.json()
    assert "breakdowns" not in body and body["timezone"] == "America/New_York"
    k = body["core"]
    assert (k["totalLeads"], k["leadsContacted"], k["responses"]) == (6, 6, 6)
    assert (k["responseRate"], k["meetingsBooked"], k["positiveReplies"]) == (100.0, 1, 4)
    assert k["meetingsRequested"] == 1
    assert (k["setterResponses"], k["aiResponses"]) == (3, 3)
    assert 600 <= k["setterMedianResponseSeconds"] <= 1800
    assert body["freshness"]["stale"] is False
    charts = get(api, OVERVIEW, shop["h_owner"], clientId=cid, parts="breakdowns").json()
    assert "core" not in charts
    b = charts["breakdowns"]
    assert {r["sentiment"]: r["leads"] for r in b["bySentiment"]} == {
        "Interested": 5, "Meeting Booked": 1}  # fmt: skip
    assert sum(w["inbound"] for w in b["weekly"]) == 6
    assert sum(w["outbound"] for w in b["weekly"]) == 12
    names = {s["name"] for s in b["perSetter"]}
    assert names == {"Sam Setter", "Sue Setter", "Unassigned"}
    both = get(api, OVERVIEW, shop["h_portal"], clientId=cid, parts="all").json()
    assert both["core"]["totalLeads"] == 6 and "breakdowns" in both


def test_every_endpoint_denies_foreign_workspaces_and_anonymous(
    api: TestClient, shop: dict[str, Any]
) -> None:
    for path in ENDPOINTS:
        resp = get(api, path, shop["h_other"], clientId=str(shop["a"].id))
        assert resp.status_code == 403, path
        assert resp.json()["error"] == "NOT_A_MEMBER"
        assert get(api, path, {}, clientId=str(shop["a"].id)).status_code == 401
        bad = get(api, path, shop["h_owner"], clientId="nope")
        assert bad.status_code == 400 and bad.json()["error"] == "INVALID_CLIENTID"


def test_setter_scope_on_every_endpoint(api: TestClient, shop: dict[str, Any]) -> None:
    cid, h = str(shop["a"].id), shop["h_s1"]
    mine = {str(lead.id) for lead in shop["leads"][:3]}
    core = get(api, OVERVIEW, h, clientId=cid, parts="all").json()
    assert core["scope"] == "setter"
    assert core["core"]["totalLeads"] == 3 and core["core"]["aiResponses"] == 0
    assert [s["name"] for s in core["breakdowns"]["perSetter"]] == ["Sam Setter"]
    campaigns = get(api, "/api/analytics/campaigns", h, clientId=cid).json()["campaigns"]
    assert sum(c["leads"] for c in campaigns) == 3
    setters = get(api, "/api/analytics/setters", h, clientId=cid).json()["setters"]
    assert [(s["name"], s["assigned"]) for s in setters] == [("Sam Setter", 3)]
    timing = get(api, "/api/analytics/response-timing", h, clientId=cid).json()
    assert timing["distributions"]["setter"]["responses"] == 3
    assert timing["distributions"]["ai"]["responses"] == 0
    rows = get(api, "/api/analytics/crm/rows", h, clientId=cid, limit=200).json()["items"]
    assert {r["id"] for r in rows} == mine
    # Row level security itself: a setter's session sees only their own rollup rows.
    with user_session(shop["s1"].id) as s:
        keys = set(s.execute(sa.text('SELECT DISTINCT "setterKey" FROM analytics_daily')).scalars())
        hourly = set(
            s.execute(
                sa.text('SELECT DISTINCT "setterKey" FROM analytics_response_hourly')
            ).scalars()
        )
        lead_keys = set(
            s.execute(sa.text('SELECT DISTINCT "setterKey" FROM analytics_lead_daily')).scalars()
        )
    assert keys == hourly == lead_keys == {shop["s1"].id}
    with user_session(shop["s2"].id) as s:
        assert (
            s.execute(
                sa.text('SELECT count(*) FROM analytics_daily WHERE "clientId" = :c'),
                {"c": shop["b"].id},
            ).scalar_one()
            == 0
        )


def test_tabs(api: TestClient, shop: dict[str, Any]) -> None:
    cid, h = str(shop["a"].id), shop["h_owner"]
    campaigns = get(api, "/api/analytics/campaigns", h, clientId=cid, window="30d").json()
    spring = next(c for c in campaigns["campaigns"] if c["name"] == "Spring")
    assert (spring["leads"], spring["replies"], spring["meetingsBooked"]) == (3, 3, 1)
    assert spring["bookingRate"] == pytest.approx(33.3)
    funnel = get(api, "/api/analytics/setters", h, clientId=cid).json()["setters"]
    sam = next(s for s in funnel if s["name"] == "Sam Setter")
    assert [sam[k] for k in ("assigned", "responded", "positive", "requested", "booked")] == [
        3, 3, 3, 1, 1]  # fmt: skip
    timing = get(api, "/api/analytics/response-timing", h, clientId=cid).json()
    assert len(timing["byHour"]) == 24
    assert sum(h["ai"]["responses"] for h in timing["byHour"]) == 3
    assert sum(b["count"] for b in timing["distributions"]["setter"]["buckets"]) == 3


def test_bad_windows_get_400_on_every_endpoint(api: TestClient, shop: dict[str, Any]) -> None:
    cases = [
        ({"window": "custom", "from": "2026-02-10", "to": "2026-02-01"}, "WINDOW_FROM_AFTER_TO"),
        ({"window": "custom", "from": "2025-01-01", "to": "2025-12-31"}, "WINDOW_TOO_LONG"),
        ({"from": "2026-13-01", "to": "2026-12-31"}, "INVALID_DATE"),
        ({"window": "yesterday"}, "INVALID_WINDOW"),
    ]
    for path in ENDPOINTS:
        for params, code in cases:
            resp = get(api, path, shop["h_owner"], clientId=str(shop["a"].id), **params)
            assert resp.status_code == 400, (path, params)
            assert resp.json()["error"] == code, (path, params)
    resp = get(api, OVERVIEW, shop["h_owner"], clientId=str(shop["a"].id), parts="charts")
    assert resp.json()["error"] == "INVALID_PARTS"


def test_crm_rows_keyset_pages_sorts_and_filters(api: TestClient, shop: dict[str, Any]) -> None:
    cid, h = str(shop["a"].id), shop["h_owner"]
    for sort in ("-updatedAt", "createdAt", "-appointmentBookedAt", "lastInboundAt"):
        seen: list[str] = []
        cursor = None
        while True:
            page = get(api, "/api/analytics/crm/rows", h, clientId=cid, limit=2, sort=sort,
                       cursor=cursor).json()  # fmt: skip
            seen += [r["id"] for r in page["items"]]
            cursor = page["nextCursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(str(lead.id) for lead in shop["leads"]), sort
        assert len(seen) == len(set(seen))
    created = get(api, "/api/analytics/crm/rows", h, clientId=cid, sort="createdAt").json()
    assert [r["id"] for r in created["items"]] == [str(x.id) for x in reversed(shop["leads"])]
    booked = get(api, "/api/analytics/crm/rows", h, clientId=cid, booked="true").json()["items"]
    assert [r["id"] for r in booked] == [str(shop["leads"][0].id)]
    assert booked[0]["campaignName"] == "Spring" and booked[0]["assigneeName"] == "Sam Setter"
    mine = get(api, "/api/analytics/crm/rows", h, clientId=cid, assignee=str(shop["s2"].id),
               status="qualified", window="7d").json()  # fmt: skip
    assert len(mine["items"]) == 2 and mine["window"] == "7d"
    none = get(api, "/api/analytics/crm/rows", h, clientId=cid, assignee="unassigned").json()
    assert len(none["items"]) == 1
    for params, code in [
        ({"limit": "201"}, "INVALID_LIMIT"),
        ({"sort": "name"}, "INVALID_SORT"),
        ({"cursor": "garbage"}, "INVALID_CURSOR"),
        ({"status": "bogus"}, "INVALID_STATUS"),
    ]:
        resp = get(api, "/api/analytics/crm/rows", h, clientId=cid, **params)
        assert (resp.status_code, resp.json()["error"]) == (400, code)


def test_cache_hit_then_write_bumps_version_and_rollup_refreshes(
    api: TestClient, shop: dict[str, Any]
) -> None:
    cid, h = str(shop["a"].id), shop["h_owner"]
    params = {"clientId": cid, "window": "custom", "from": "2020-01-01", "to": "2020-01-31"}
    first = get(api, "/api/analytics/campaigns", h, **params)
    assert first.headers["x-cache"] == "miss"
    assert get(api, "/api/analytics/campaigns", h, **params).headers["x-cache"] == "hit"
    # The setter never gets the owner's cached payload (keys are per user and role).
    assert get(api, "/api/analytics/campaigns", shop["h_s1"], **params).headers["x-cache"] == "miss"
    # A write (committed by the inbox service layer) bumps the version: the next read misses.
    lead = shop["leads"][5]
    actions.set_sentiment(_owner_id(shop), shop["a"].id, lead.id, "Call Requested")
    core = get(api, OVERVIEW, h, clientId=cid, window="7d", parts="core")
    assert core.headers["x-cache"] == "miss"
    assert core.json()["freshness"]["stale"] is True  # the rollup job has not run yet
    assert (
        get(api, OVERVIEW, h, clientId=cid, window="7d", parts="core").headers["x-cache"] == "hit"
    )
    with owner_session() as s:
        queued = s.execute(
            sa.text(
                "SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE task_name = 'inboxapp:rollup_analytics'"
                " AND args ->> 'client_id' = :c"
            ),
            {"c": cid},
        ).scalar_one()
    assert queued >= 1
    rollup.rollup_workspace(shop["a"].id)  # what the queued job runs; it bumps the version
    fresh = get(api, OVERVIEW, h, clientId=cid, window="7d", parts="core")
    assert fresh.headers["x-cache"] == "miss"
    assert fresh.json()["freshness"]["stale"] is False
    assert fresh.json()["core"]["meetingsRequested"] == 2


def _owner_id(shop: dict[str, Any]) -> uuid.UUID:
    return shop["a"].ownerUserId


@pytest.fixture
def flag_off() -> Iterator[None]:
    saved = os.environ.get("ANALYTICS_READ_API_V1")
    os.environ["ANALYTICS_READ_API_V1"] = "false"
    get_settings.cache_clear()  # settings are read once per process
    yield
    if saved is None:
        os.environ.pop("ANALYTICS_READ_API_V1", None)
    else:
        os.environ["ANALYTICS_READ_API_V1"] = saved
    get_settings.cache_clear()


def test_flag_off_answers_503_everywhere(
    api: TestClient, shop: dict[str, Any], flag_off: None
) -> None:
    for path in ENDPOINTS:
        resp = get(api, path, shop["h_owner"], clientId=str(shop["a"].id))
        assert resp.status_code == 503, path
        assert resp.json()["error"] == "READ_API_DISABLED"
        assert resp.headers["x-read-api-enabled"] == "false"


def test_cli_rebuild_and_verify_exit_codes(
    shop: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    cid = str(shop["a"].id)
    assert analytics_cli.main(["analytics", "rebuild", "--client-id", cid]) == 0
    assert analytics_cli.main(["analytics", "verify", "--client-id", cid]) == 0
    with owner_session() as s:  # tamper with one rollup row
        s.execute(
            sa.text('UPDATE analytics_daily SET "inboundMessages" = "inboundMessages" + 1'
                    ' WHERE "clientId" = :c AND "inboundMessages" > 0'), {"c": cid}
        )  # fmt: skip
    assert analytics_cli.main(["analytics", "verify", "--client-id", cid]) == 1
    assert "stored != live" in capsys.readouterr().err
    assert analytics_cli.main(["analytics", "rollup", "--client-id", cid]) == 0
    assert analytics_cli.main(["analytics", "rebuild", "--all", "--json"]) == 0
    assert analytics_cli.main(["analytics", "verify", "--client-id", cid]) == 0

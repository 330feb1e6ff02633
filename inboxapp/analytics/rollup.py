"""Daily analytics rollups: the one definition of every metric, incremental and full rollups,
and verify.

Definitions (local days and hours are in the workspace's time zone, ``app.analytics_timezone``;
a lead's messages are ordered by ``(sentAt, id)``; dimensions are the lead's *current*
``campaignId`` and ``assignedToUserId``, so a reassignment re-files all of the lead's days):

* ``leadsCreated`` / ``leadsAssigned`` / ``positiveReplies`` / ``meetingsBooked``: leads whose
  ``createdAt`` / ``assignedAt`` (if assigned) / ``positiveAt`` / ``appointmentBookedAt`` falls
  on the day (channel ``''``).
* ``meetingsRequested``: leads whose sentiment is Meeting Requested, Call Requested or Meeting
  Booked, or that have an appointment, on the day of ``coalesce(positiveAt,
  appointmentBookedAt, createdAt)`` (channel ``''``).
* ``leadsContacted``: the lead's first outbound message ever is on the day (its channel).
* ``leadsReplied``: the lead's first reply by us (outbound with ``sentBy`` setter/ai) ever.
* ``firstResponses``: the lead's first inbound message ever ("responses" in the overview).
* ``respondedLeads``: leads with at least one inbound message that day (filed under the channel
  of the first of them).
* ``inboundMessages`` / ``outboundMessages``: messages.
* Responses: in the subsequence of a lead's inbound messages and our replies, a reply directly
  preceded by an inbound message answers the run of consecutive inbound messages before it. Its
  response time is ``reply.sentAt - first inbound of the run`` (whole seconds), counted for its
  responder (``sentBy``: setter or AI) on the reply's day and channel; the hourly table files it
  under the local hour of the run's first inbound. Campaign-tool messages are ignored here.
  Histograms use :data:`~inboxapp.analytics.models.HIST_BOUNDS` (medians come from them).
* ``analytics_lead_daily``: leads by created day, campaign, assignee, sentiment, status.
* ``analytics_cohort_daily``: the cohorts of :mod:`inboxapp.analytics.cohorts` by anchor day
  (created / assigned), campaign and assignee: leads and the stages they reached so far.

Everything a day's event numbers depend on lies at or before that day in the lead's history,
which is what the dirty-day triggers (migration 0007) rely on; a cohort row depends on the
lead's whole history, so every message change also marks its lead's created and assigned days
(migration 0015). The rollup recomputes dirty days with
delete + insert in one transaction (idempotent) and clears each mark only when its ``dirtySeq``
is unchanged, so a change that arrives meanwhile stays marked (the same rule as inbox counts).
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inboxapp.analytics.cohorts import COHORT_METRICS, COHORT_STAGES, REQUESTED_TAGS, stage_columns
from inboxapp.analytics.models import (
    COHORT,
    DAILY,
    DAILY_COUNTS,
    DAILY_METRICS,
    DIRTY,
    HIST_BOUNDS,
    HOURLY,
    HOURLY_METRICS,
    LEAD_DAILY,
    N_BUCKETS,
    NO_KEY,
    RESPONDERS,
    hist_columns,
)
from inboxapp.db.engine import owner_session
from inboxapp.logs import get_logger

log = get_logger(__name__)

NAMESPACE = "analytics"
FULL_REBUILD_DAYS = 60
"""More dirty days than this: rebuild the whole workspace in one pass instead."""
CLUSTER_GAP_DAYS = 3
"""Dirty days closer than this are recomputed by one statement (one range scan)."""

DAILY_KEYS = ("day", "campaignKey", "setterKey", "channel")
HOURLY_KEYS = ("day", "setterKey", "responder", "hour")
LEAD_KEYS = ("day", "campaignKey", "setterKey", "sentimentTag", "status")
COHORT_KEYS = ("day", "cohort", "campaignKey", "setterKey")
TABLES: dict[str, tuple[sa.Table, tuple[str, ...], tuple[str, ...]]] = {
    "daily": (DAILY, DAILY_KEYS, DAILY_METRICS),
    "hourly": (HOURLY, HOURLY_KEYS, HOURLY_METRICS),
    "lead": (LEAD_DAILY, LEAD_KEYS, ("leads",)),
    "cohort": (COHORT, COHORT_KEYS, COHORT_METRICS),
}


# -- the computation ---------------------------------------------------------------------------

_BOUNDS = "ARRAY[" + ",".join(str(b) for b in HIST_BOUNDS) + "]::bigint[]"
_ZERO = f"'{NO_KEY}'::uuid"
_MSG_FLAGS = (
    "created", "assigned", "contacted", "replied", "inbound", "outbound", "responded",
    "first_resp", "positive", "requested", "booked",
)  # fmt: skip
_FLAG_OF = dict(zip(DAILY_COUNTS, _MSG_FLAGS, strict=True))


def _hist_aggs(prefix: str, who: str | None, alias: str = "u") -> str:
    cond = f"{alias}.responder = '{who}' AND " if who else ""
    return ",\n      ".join(
        f'count(*) FILTER (WHERE {cond}{alias}.bucket = {i})::int AS "{col}"'
        for i, col in enumerate(hist_columns(prefix))
    )


def _daily_aggs() -> str:
    parts = [f'sum(u.{flag})::int AS "{name}"' for name, flag in _FLAG_OF.items()]
    for who in RESPONDERS:
        parts.append(f"count(*) FILTER (WHERE u.responder = '{who}')::int AS \"{who}Responses\"")
        parts.append(
            f"coalesce(sum(u.secs) FILTER (WHERE u.responder = '{who}'), 0)::bigint"
            f' AS "{who}ResponseSeconds"'
        )
        parts.append(_hist_aggs(who, who))
    return ",\n      ".join(parts)


def _row(**flags: str) -> str:
    """One union row: the given flag expressions, 0 for the others, response columns NULL."""
    cols = [f"({flags[f]})::int AS {f}" if f in flags else f"0 AS {f}" for f in _MSG_FLAGS]
    return ", ".join(cols)


def facts_ctes(mode: str) -> str:
    """The CTEs ``daily_rows``, ``hourly_rows`` and ``lead_rows`` for workspace ``:cid`` in zone
    ``:tz``: every day (mode ``all``) or only the days ``:days`` (modes ``lateral`` / ``join``,
    the same result by two plans: the leads with a message on those days must be in
    :data:`TOUCHED` first, see :func:`_touch`; ``[:lo, :hi)`` covers the days' instants)."""
    all_days = mode == "all"
    on_days = "" if all_days else "AND {col} = ANY(CAST(:days AS date[]))"
    lm_from, dims_from = 'public."Message" m', 'public."Lead" l'
    lm_where = dims_where = ""
    if mode == "lateral":
        # Few touched leads: fetch each one's history by index (LATERAL with OFFSET 0, which
        # the planner cannot flatten; it would otherwise often hash-join a scan of Message).
        lm_from = f"""{TOUCHED} t CROSS JOIN LATERAL (
    SELECT * FROM public."Message" x
    WHERE x."leadId" = t.lead AND x."clientId" = :cid AND x."sentAt" < :hi OFFSET 0
  ) m"""
        dims_from = f"""{TOUCHED} t CROSS JOIN LATERAL (
    SELECT * FROM public."Lead" x WHERE x.id = t.lead AND x."clientId" = :cid OFFSET 0
  ) l"""
    elif mode == "join":  # many touched leads: let the planner choose (usually hash joins)
        lm_where = f'AND m."sentAt" < :hi AND m."leadId" IN (SELECT lead FROM {TOUCHED})'
        dims_where = f"AND l.id IN (SELECT lead FROM {TOUCHED})"
    lead_range = (
        ""
        if all_days
        else """AND (l."createdAt" >= :lo AND l."createdAt" < :hi
       OR l."assignedAt" >= :lo AND l."assignedAt" < :hi
       OR l."positiveAt" >= :lo AND l."positiveAt" < :hi
       OR l."appointmentBookedAt" >= :lo AND l."appointmentBookedAt" < :hi)"""
    )
    requested = ", ".join(f"'{t}'" for t in REQUESTED_TAGS)
    return f"""
WITH
lm AS (
  SELECT m.id, m."leadId" AS lead, m.channel, m.direction, m."sentBy", m."sentAt" AS at,
         (m."sentAt" AT TIME ZONE :tz)::date AS day,
         (m.direction = 'outbound' AND m."sentBy" IS NOT NULL) AS is_reply
  FROM {lm_from}
  WHERE m."clientId" = :cid {lm_where}
),
seq AS (
  SELECT lm.*,
    count(*) FILTER (WHERE lm.direction = 'outbound') OVER w AS n_out,
    count(*) FILTER (WHERE lm.direction = 'inbound') OVER w AS n_in,
    count(*) FILTER (WHERE lm.is_reply) OVER w AS n_reply,
    max(lm.at) FILTER (WHERE lm.direction = 'inbound') OVER wp AS prev_in_at
  FROM lm
  WINDOW w0 AS (PARTITION BY lm.lead ORDER BY lm.at, lm.id),
         w AS (w0 ROWS UNBOUNDED PRECEDING),
         wp AS (w0 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
runs AS (
  SELECT s.lead, s.n_reply AS grp, min(s.at) AS started
  FROM seq s WHERE s.direction = 'inbound' GROUP BY s.lead, s.n_reply
),
resp AS (
  SELECT s.lead, s.day, s.channel, s."sentBy" AS responder, x.secs,
         width_bucket(x.secs, {_BOUNDS}) AS bucket,
         extract(hour FROM r.started AT TIME ZONE :tz)::smallint AS hour
  FROM seq s
  JOIN runs r ON r.lead = s.lead AND r.grp = s.n_reply - 1
  CROSS JOIN LATERAL (SELECT floor(extract(epoch FROM s.at - r.started))::bigint AS secs) x
  WHERE s.is_reply {on_days.format(col="s.day")}
),
dims AS (
  SELECT l.id AS lead, coalesce(l."campaignId", {_ZERO}) AS ck,
         coalesce(l."assignedToUserId", {_ZERO}) AS sk
  FROM {dims_from}
  WHERE l."clientId" = :cid {dims_where}
),
leads AS (
  SELECT coalesce(l."campaignId", {_ZERO}) AS ck, coalesce(l."assignedToUserId", {_ZERO}) AS sk,
    coalesce(l."sentimentTag", '') AS sentiment, l.status,
    (l."createdAt" AT TIME ZONE :tz)::date AS created_day,
    CASE WHEN l."assignedToUserId" IS NOT NULL
      THEN (l."assignedAt" AT TIME ZONE :tz)::date END AS assigned_day,
    (l."positiveAt" AT TIME ZONE :tz)::date AS positive_day,
    CASE WHEN l."sentimentTag" IN ({requested}) OR l."appointmentBookedAt" IS NOT NULL
      THEN (coalesce(l."positiveAt", l."appointmentBookedAt", l."createdAt")
            AT TIME ZONE :tz)::date END AS requested_day,
    (l."appointmentBookedAt" AT TIME ZONE :tz)::date AS booked_day
  FROM public."Lead" l WHERE l."clientId" = :cid {lead_range}
),
u AS (
  SELECT s.day, d.ck, d.sk, s.channel,
    {
        _row(
            contacted="s.direction = 'outbound' AND s.n_out = 1",
            replied="s.is_reply AND s.n_reply = 1",
            inbound="s.direction = 'inbound'",
            outbound="s.direction = 'outbound'",
            responded="s.direction = 'inbound' AND (s.prev_in_at IS NULL"
            " OR (s.prev_in_at AT TIME ZONE :tz)::date <> s.day)",
            first_resp="s.direction = 'inbound' AND s.n_in = 1",
        )
    },
    NULL::text AS responder, NULL::bigint AS secs, NULL::int AS bucket
  FROM seq s JOIN dims d ON d.lead = s.lead
  WHERE true {on_days.format(col="s.day")}
  UNION ALL
  SELECT v.day, l.ck, l.sk, '', {
        _row(
            created="v.k = 'c'",
            assigned="v.k = 'a'",
            positive="v.k = 'p'",
            requested="v.k = 'r'",
            booked="v.k = 'b'",
        )
    },
    NULL, NULL, NULL
  FROM leads l, LATERAL (VALUES (l.created_day, 'c'), (l.assigned_day, 'a'),
    (l.positive_day, 'p'), (l.requested_day, 'r'), (l.booked_day, 'b')) v(day, k)
  WHERE v.day IS NOT NULL {on_days.format(col="v.day")}
  UNION ALL
  SELECT r.day, d.ck, d.sk, r.channel, {_row()}, r.responder, r.secs, r.bucket
  FROM resp r JOIN dims d ON d.lead = r.lead
),
daily_rows AS (
  SELECT u.day, u.ck AS "campaignKey", u.sk AS "setterKey", u.channel,
      {_daily_aggs()}
  FROM u GROUP BY u.day, u.ck, u.sk, u.channel
),
hourly_rows AS (
  SELECT r.day, d.sk AS "setterKey", r.responder, r.hour,
      count(*)::int AS responses, sum(r.secs)::bigint AS "responseSeconds",
      {_hist_aggs("", None, "r")}
  FROM resp r JOIN dims d ON d.lead = r.lead
  GROUP BY r.day, d.sk, r.responder, r.hour
),
lead_rows AS (
  SELECT l.created_day AS day, l.ck AS "campaignKey", l.sk AS "setterKey",
         l.sentiment AS "sentimentTag", l.status, count(*)::int AS leads
  FROM leads l WHERE true {on_days.format(col="l.created_day")}
  GROUP BY 1, 2, 3, 4, 5
),
{_cohort_ctes(all_days, on_days)}"""


_HISTORY = """bool_or(x.direction = 'outbound') AS contacted,
    bool_or(x.direction = 'inbound') AS replied,
    bool_or(x.direction = 'outbound' AND x."sentBy" IS NOT NULL) AS answered"""


def _cohort_ctes(all_days: bool, on_days: str) -> str:
    """``cohort_leads`` (a lead's dimensions, anchor days and stage facts over its whole
    history) and ``cohort_rows`` (:mod:`inboxapp.analytics.cohorts`). For some days only the
    leads created or assigned in ``[:lo, :hi)`` are read, each history by index."""
    if all_days:
        history = f"""LEFT JOIN (
    SELECT x."leadId" AS lead, {_HISTORY}
    FROM public."Message" x WHERE x."clientId" = :cid GROUP BY x."leadId"
  ) h ON h.lead = l.id"""
        lead_range = ""
    else:
        history = f"""LEFT JOIN LATERAL (
    SELECT {_HISTORY}
    FROM public."Message" x WHERE x."leadId" = l.id AND x."clientId" = :cid
  ) h ON true"""
        lead_range = """AND (l."createdAt" >= :lo AND l."createdAt" < :hi
       OR l."assignedAt" >= :lo AND l."assignedAt" < :hi)"""
    requested = ", ".join(f"'{t}'" for t in REQUESTED_TAGS)
    anchors = {"created": "c.created_day", "assigned": "c.assigned_day"}
    unions = "\n    UNION ALL\n    ".join(
        f"SELECT {anchors[k]} AS day, c.ck, c.sk, '{k}' AS cohort, {stage_columns(k)}"
        f" FROM cohort_leads c WHERE {anchors[k]} IS NOT NULL"
        for k in COHORT_STAGES
    )
    sums = ", ".join(f"sum(v.{m})::int AS {m}" for m in COHORT_METRICS)
    return f"""cohort_leads AS (
  SELECT coalesce(l."campaignId", {_ZERO}) AS ck, coalesce(l."assignedToUserId", {_ZERO}) AS sk,
    (l."createdAt" AT TIME ZONE :tz)::date AS created_day,
    CASE WHEN l."assignedToUserId" IS NOT NULL
      THEN (l."assignedAt" AT TIME ZONE :tz)::date END AS assigned_day,
    coalesce(h.contacted, false) AS contacted, coalesce(h.replied, false) AS replied,
    coalesce(h.answered, false) AS answered, l."positiveAt" IS NOT NULL AS positive,
    coalesce(l."sentimentTag" IN ({requested}), false)
      OR l."appointmentBookedAt" IS NOT NULL AS requested,
    l."appointmentBookedAt" IS NOT NULL AS booked
  FROM public."Lead" l {history}
  WHERE l."clientId" = :cid {lead_range}
),
cohort_rows AS (
  SELECT v.day, v.cohort, v.ck AS "campaignKey", v.sk AS "setterKey", {sums}
  FROM (
    {unions}
  ) v
  WHERE true {on_days.format(col="v.day")}
  GROUP BY 1, 2, 3, 4
)"""


_LO = "(timezone(CAST(:tz AS text), CAST(:lo_day AS date)::timestamp) - interval '3 hours')"
_HI = "(timezone(CAST(:tz AS text), (CAST(:hi_day AS date) + 1)::timestamp) + interval '3 hours')"


def _typed(sql: str) -> str:
    """Give the bound parameters explicit types (psycopg sends them untyped); ``:lo`` / ``:hi``
    become the instants around the local days ``:lo_day`` .. ``:hi_day`` (3 hours of slack
    cover any zone transition at midnight; the exact day test is done per row)."""
    sql = re.sub(r":cid\b", "CAST(:cid AS uuid)", sql)
    sql = re.sub(r":tz\b", "CAST(:tz AS text)", sql)
    sql = re.sub(r":lo\b", _LO.replace(":tz", "\x00"), sql)
    sql = re.sub(r":hi\b", _HI.replace(":tz", "\x00"), sql)
    return sql.replace("\x00", ":tz")


TOUCHED = "pg_temp.analytics_touched"
_TOUCH = _typed(f"""
CREATE TEMP TABLE {TOUCHED.split(".")[1]} ON COMMIT DROP AS
SELECT DISTINCT m."leadId" AS lead FROM public."Message" m
WHERE m."clientId" = :cid AND m."sentAt" >= :lo AND m."sentAt" < :hi
  AND (m."sentAt" AT TIME ZONE :tz)::date = ANY(CAST(:days AS date[]))
""")


LATERAL_MAX_LEADS = 50_000
"""Up to this many touched leads, their histories are read by per-lead index scans."""


def _touch(session: Session, params: dict[str, Any]) -> str:
    """Collect the leads with a message on ``:days`` into a temporary table (ANALYZEd, so the
    planner knows its size); the query mode for that many leads."""
    session.execute(sa.text(f"DROP TABLE IF EXISTS {TOUCHED}"))
    session.execute(sa.text(_TOUCH), params)
    session.execute(sa.text(f"ANALYZE {TOUCHED}"))
    n = session.execute(sa.text(f"SELECT count(*) FROM {TOUCHED}")).scalar_one()
    return "lateral" if n <= LATERAL_MAX_LEADS else "join"


_CTES = {mode: _typed(facts_ctes(mode)) for mode in ("all", "lateral", "join")}


def _columns(kind: str) -> tuple[str, ...]:
    _table, keys, metrics = TABLES[kind]
    return keys + metrics


def _insert_sql(mode: str) -> str:
    inserts = []
    for kind, (table, _keys, _metrics) in TABLES.items():
        cols = ", ".join(f'"{c}"' for c in _columns(kind))
        inserts.append(
            f'ins_{kind} AS (INSERT INTO public.{table.name} ("clientId", {cols})'
            f" SELECT CAST(:cid AS uuid), {cols} FROM {kind}_rows RETURNING 1)"
        )
    counts = ", ".join(f"(SELECT count(*) FROM ins_{k})" for k in TABLES)
    return f"{_CTES[mode]},\n" + ",\n".join(inserts) + f"\nSELECT {counts}"


def _select_sql(mode: str) -> str:
    selects = [f"SELECT '{kind}' AS kind, to_jsonb(x) AS row FROM {kind}_rows x" for kind in TABLES]
    return _CTES[mode] + "\n" + "\nUNION ALL\n".join(selects)


def _bind_days(days: Sequence[date]) -> dict[str, Any]:
    return {"days": list(days), "lo_day": min(days), "hi_day": max(days)}


def workspace_timezone(session: Session, client_id: uuid.UUID) -> str:
    tz = session.execute(
        sa.text("SELECT app.analytics_timezone(:c)"), {"c": client_id}
    ).scalar_one()
    return str(tz or "UTC")


def compute_rows(
    session: Session,
    client_id: uuid.UUID,
    tz: str,
    days: Sequence[date] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The rollup rows straight from Message/Lead: for every day (``days`` None) or for the
    given days. Runs in the caller's session, so under ``user_session`` RLS scopes it."""
    params: dict[str, Any] = {"cid": client_id, "tz": tz}
    mode = "all"
    if days is not None:
        if not days:
            return {k: [] for k in TABLES}
        params.update(_bind_days(days))
        mode = _touch(session, params)
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in TABLES}
    for kind, row in session.execute(sa.text(_select_sql(mode)), params):
        out[kind].append(_normalize(kind, row))
    return out


def _normalize(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["day"] = date.fromisoformat(str(out["day"]))
    for key in ("campaignKey", "setterKey"):
        if key in out:
            out[key] = uuid.UUID(str(out[key]))
    return {c: out[c] for c in _columns(kind)}


def stored_rows(
    session: Session, client_id: uuid.UUID, days: Sequence[date] | None = None
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, (table, _keys, _metrics) in TABLES.items():
        stmt = sa.select(*(table.c[c] for c in _columns(kind))).where(table.c.clientId == client_id)
        if days is not None:
            stmt = stmt.where(table.c.day.in_(list(days)))
        out[kind] = [dict(r._mapping) for r in session.execute(stmt)]
    return out


# -- rollups -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollupResult:
    client_id: uuid.UUID
    full: bool
    days: int
    rows: int
    cleared: int
    duration_ms: float


def clusters(days: Iterable[date], gap: int = CLUSTER_GAP_DAYS) -> list[list[date]]:
    """Sorted days split where consecutive days are more than ``gap`` days apart."""
    out: list[list[date]] = []
    for day in sorted(set(days)):
        if out and (day - out[-1][-1]).days <= gap:
            out[-1].append(day)
        else:
            out.append([day])
    return out


ROLLUP_WORK_MEM = "64MB"


def _tune(session: Session) -> None:
    """Big one-off statements: JIT compilation would cost seconds, sorts get more memory."""
    session.execute(
        sa.text("SELECT set_config('jit', 'off', true), set_config('work_mem', :wm, true)"),
        {"wm": ROLLUP_WORK_MEM},
    )


def _lock(session: Session, client_id: uuid.UUID) -> None:
    """One rollup per workspace at a time (job, CLI); also tunes the transaction."""
    _tune(session)
    session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext('analytics:rollup:' || :c))"),
        {"c": str(client_id)},
    )


def _recompute(session: Session, client_id: uuid.UUID, tz: str, days: Sequence[date] | None) -> int:
    """Delete + insert the rollup rows of ``days`` (every day when None); rows inserted."""
    rows = 0
    if days is None:
        for table, _keys, _metrics in TABLES.values():
            session.execute(sa.delete(table).where(table.c.clientId == client_id))
        counts = session.execute(sa.text(_insert_sql("all")), {"cid": client_id, "tz": tz}).one()
        return int(sum(counts))
    for group in clusters(days):
        for table, _keys, _metrics in TABLES.values():
            session.execute(
                sa.delete(table).where(table.c.clientId == client_id, table.c.day.in_(group))
            )
        params = {"cid": client_id, "tz": tz, **_bind_days(group)}
        mode = _touch(session, params)
        rows += int(sum(session.execute(sa.text(_insert_sql(mode)), params).one()))
    return rows


def _clear(session: Session, client_id: uuid.UUID, marks: list[tuple[date, int]]) -> int:
    """Delete the dirty marks that are unchanged since they were read (no lost update)."""
    if not marks:
        return 0
    # Lock in day order first, like the marking triggers do: no deadlock with a writer.
    session.execute(
        sa.select(DIRTY.c.day)
        .where(DIRTY.c.clientId == client_id, DIRTY.c.day.in_([d for d, _ in marks]))
        .order_by(DIRTY.c.day)
        .with_for_update()
    ).all()
    result = session.execute(
        sa.text(
            "DELETE FROM public.analytics_dirty_days d"
            " USING unnest(CAST(:days AS date[]), CAST(:seqs AS bigint[])) AS s(day, seq)"
            ' WHERE d."clientId" = :cid AND d.day = s.day AND d."dirtySeq" = s.seq'
            " RETURNING 1"
        ),
        {"cid": client_id, "days": [d for d, _ in marks], "seqs": [s for _, s in marks]},
    )
    return len(result.all())


def _bump(client_id: uuid.UUID) -> None:
    from inboxapp.cache.store import get_cache

    get_cache().bump(NAMESPACE, client_id)


def _exists(session: Session, client_id: uuid.UUID) -> bool:
    row = session.execute(sa.text('SELECT 1 FROM public."Client" WHERE id = :c'), {"c": client_id})
    return row.first() is not None


@contextmanager
def _locked(client_id: uuid.UUID) -> Iterator[Session | None]:
    """An owner session holding the workspace's rollup lock; ``None`` when the workspace is gone."""
    with owner_session() as s:
        _lock(s, client_id)
        yield s if _exists(s, client_id) else None


def _marks(
    session: Session, client_id: uuid.UUID, day: date | None = None
) -> list[tuple[date, int]]:
    """The workspace's dirty marks ``(day, dirtySeq)`` (only ``day``'s when given)."""
    stmt = sa.select(DIRTY.c.day, DIRTY.c.dirtySeq).where(DIRTY.c.clientId == client_id)
    if day is not None:
        stmt = stmt.where(DIRTY.c.day == day)
    return [(r.day, int(r.dirtySeq)) for r in session.execute(stmt)]


def rollup_workspace(client_id: uuid.UUID | str, day: date | None = None) -> RollupResult:
    """The job body: recompute the workspace's dirty days (or just ``day``), clear their marks.

    Many dirty days (> :data:`FULL_REBUILD_DAYS`) are handled by a full rebuild, which is one
    pass over the workspace instead of many range scans.
    """
    cid = uuid.UUID(str(client_id))
    started = time.perf_counter()
    with _locked(cid) as s:
        if s is None:
            return RollupResult(cid, False, 0, 0, 0, 0.0)
        marks = _marks(s, cid, day)
        days = sorted({d for d, _ in marks} | ({day} if day else set()))
        full = day is None and len(days) > FULL_REBUILD_DAYS
        tz = workspace_timezone(s, cid)
        rows = _recompute(s, cid, tz, None if full else days) if days else 0
        cleared = _clear(s, cid, marks)
    if days:
        _bump(cid)
    result = RollupResult(cid, full, len(days), rows, cleared, _ms(started))
    log.info(
        "analytics rollup",
        clientId=str(cid),
        full=full,
        days=len(days),
        rows=rows,
        cleared=cleared,
        ms=round(result.duration_ms),
    )
    return result


def rebuild_workspace(client_id: uuid.UUID | str) -> RollupResult:
    """Recompute every day of the workspace from scratch; clears the marks read before."""
    cid = uuid.UUID(str(client_id))
    started = time.perf_counter()
    with _locked(cid) as s:
        if s is None:
            return RollupResult(cid, True, 0, 0, 0, 0.0)
        marks = _marks(s, cid)
        tz = workspace_timezone(s, cid)
        rows = _recompute(s, cid, tz, None)
        cleared = _clear(s, cid, marks)
        n_days = s.execute(
            sa.select(sa.func.count(sa.distinct(DAILY.c.day))).where(DAILY.c.clientId == cid)
        ).scalar_one()
    _bump(cid)
    return RollupResult(cid, True, int(n_days), rows, cleared, _ms(started))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def dirty_workspaces(limit: int = 1000) -> list[uuid.UUID]:
    with owner_session() as s:
        stmt = (
            sa.select(DIRTY.c.clientId)
            .group_by(DIRTY.c.clientId)
            .order_by(sa.func.min(DIRTY.c.dirtyAt))
            .limit(limit)
        )
        return list(s.execute(stmt).scalars())


def all_workspaces() -> list[uuid.UUID]:
    with owner_session() as s:
        return list(s.execute(sa.text('SELECT id FROM public."Client" ORDER BY id')).scalars())


def dirty_days(client_id: uuid.UUID | str) -> list[date]:
    with owner_session() as s:
        stmt = sa.select(DIRTY.c.day).where(DIRTY.c.clientId == uuid.UUID(str(client_id)))
        return sorted(s.execute(stmt).scalars())


# -- verify ------------------------------------------------------------------------------------


def _keyed(kind: str, rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    _table, keys, metrics = TABLES[kind]
    out = {}
    for row in rows:
        values = {m: int(row[m]) for m in metrics}
        if any(values.values()):
            out[tuple(row[k] for k in keys)] = values
    return out


def diff_rows(
    stored: dict[str, list[dict[str, Any]]], live: dict[str, list[dict[str, Any]]]
) -> list[str]:
    """Human-readable differences (all-zero rows count as absent)."""
    problems: list[str] = []
    for kind in TABLES:
        a, b = _keyed(kind, stored.get(kind, [])), _keyed(kind, live.get(kind, []))
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                sa_, sb = a.get(key) or {}, b.get(key) or {}
                changed = {m: (sa_.get(m, 0), sb.get(m, 0)) for m in set(sa_) | set(sb)}
                changed = {m: v for m, v in changed.items() if v[0] != v[1]}
                where = ", ".join(str(k) for k in key)
                problems.append(f"{TABLES[kind][0].name} [{where}]: stored != live {changed}")
    return problems


def verify_workspace(client_id: uuid.UUID | str) -> list[str]:
    """Differences between the stored rollups and the raw computation, for every day."""
    cid = uuid.UUID(str(client_id))
    with owner_session() as s:
        _tune(s)
        tz = workspace_timezone(s, cid)
        live = compute_rows(s, cid, tz)
        stored = stored_rows(s, cid)
    return diff_rows(stored, live)


# -- histogram helpers (shared by the read queries) --------------------------------------------


def hist_quantile(counts: Sequence[int], q: float) -> float | None:
    """Approximate quantile (seconds) from bucket counts, interpolating inside the bucket
    (linearly in the first bucket, geometrically in the others; the open last bucket answers
    its lower bound)."""
    total = sum(counts)
    if total <= 0:
        return None
    target = q * total
    seen = 0.0
    for i, n in enumerate(counts):
        if n and seen + n >= target:
            frac = (target - seen) / n
            lo = 0 if i == 0 else HIST_BOUNDS[i - 1]
            if i >= len(HIST_BOUNDS):
                return float(lo)
            hi = HIST_BOUNDS[i]
            if lo == 0:
                return float(hi * frac)
            return float(lo * (hi / lo) ** frac)
        seen += n
    return float(HIST_BOUNDS[-1])


def bucket_labels() -> list[str]:
    def fmt(s: int) -> str:
        if s < 60:
            return f"{s}s"
        if s < 3600:
            return f"{s // 60}m"
        if s < 86400:
            return f"{s // 3600}h"
        return f"{s // 86400}d"

    labels = [f"<{fmt(HIST_BOUNDS[0])}"]
    labels += [f"{fmt(a)}-{fmt(b)}" for a, b in itertools.pairwise(HIST_BOUNDS)]
    labels.append(f">={fmt(HIST_BOUNDS[-1])}")
    assert len(labels) == N_BUCKETS
    return labels

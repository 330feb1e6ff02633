"""Analytics: daily rollup tables, dirty days and their marking triggers

Tables (mirrored by ``inboxapp/analytics/models.py``):

* ``analytics_daily`` (workspace, local day, campaign, assignee, channel): event counts and
  setter/AI response-time sums, counts and histogram buckets.
* ``analytics_response_hourly`` (workspace, day, assignee, responder, hour): response times by
  the hour of day of the answered inbound message.
* ``analytics_lead_daily`` (workspace, created day, campaign, assignee, sentiment, status): leads.
* ``analytics_dirty_days`` (workspace, day) + ``analytics_dirty_seq``: days to recompute.

Dirty marking copies 0005: statement-level AFTER triggers with transition tables call one
SECURITY DEFINER function, so writers need no rights on these tables and a 10,000-row import
marks each (workspace, day) once. Days are local days in the workspace's time zone
(``app.analytics_timezone``). What a change can affect (see ``inboxapp.analytics.rollup``):

* Message insert/update/delete: the days of the changed rows (old and new) and of every later
  message of the same lead (first-contact / first-response flags and response runs only look
  backwards in a lead's history, so earlier days never change).
* Lead insert/update/delete: the lead's created/assigned/positive/booked days (old and new); when
  its campaign, assignee or workspace changes, also every day it has messages on (dimensions).
* A workspace's time zone change: every day within +-2 days of its rollup or dirty days.

RLS: members read their workspace's rollups; a member whose effective role is SETTER reads only
rows of their own assignee dimension (``setterKey = auth.uid()``), i.e. of the leads assigned to
them, mirroring the Lead policy. Only the table owner (rollup job) writes.

Existing rows are marked dirty once here (the first rollup or ``analytics rebuild`` fills them).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

N_BUCKETS = 20
RESPONDERS = ("setter", "ai")
DAILY_COUNTS = (
    "leadsCreated", "leadsAssigned", "leadsContacted", "leadsReplied", "inboundMessages",
    "outboundMessages", "respondedLeads", "firstResponses", "positiveReplies",
    "meetingsRequested", "meetingsBooked",
)  # fmt: skip


def _hist(prefix: str) -> list[str]:
    return [f"{prefix}{'H' if prefix else 'h'}{i:02d}" for i in range(N_BUCKETS)]


def _metrics(names: list[str]) -> str:
    return ",\n  ".join(
        f'"{n}" {"bigint" if n.endswith("Seconds") else "integer"} NOT NULL DEFAULT 0'
        for n in names
    )


DAILY_METRICS = list(DAILY_COUNTS) + [
    c for who in RESPONDERS for c in (f"{who}Responses", f"{who}ResponseSeconds", *_hist(who))
]
HOURLY_METRICS = ["responses", "responseSeconds", *_hist("")]
TABLES = ("analytics_daily", "analytics_response_hourly", "analytics_lead_daily")
CLIENT_FK = 'uuid NOT NULL REFERENCES public."Client"(id) ON DELETE CASCADE'

DDL = f"""
CREATE TABLE public.analytics_daily (
  "clientId" {CLIENT_FK},
  day date NOT NULL,
  "campaignKey" uuid NOT NULL,
  "setterKey" uuid NOT NULL,
  channel text NOT NULL,
  {_metrics(DAILY_METRICS)},
  PRIMARY KEY ("clientId", day, "campaignKey", "setterKey", channel)
);
CREATE INDEX analytics_daily_setter_idx ON public.analytics_daily ("clientId", "setterKey", day);

CREATE TABLE public.analytics_response_hourly (
  "clientId" {CLIENT_FK},
  day date NOT NULL,
  "setterKey" uuid NOT NULL,
  responder text NOT NULL,
  hour smallint NOT NULL,
  {_metrics(HOURLY_METRICS)},
  PRIMARY KEY ("clientId", day, "setterKey", responder, hour)
);
CREATE INDEX analytics_response_hourly_setter_idx
  ON public.analytics_response_hourly ("clientId", "setterKey", day);

CREATE TABLE public.analytics_lead_daily (
  "clientId" {CLIENT_FK},
  day date NOT NULL,
  "campaignKey" uuid NOT NULL,
  "setterKey" uuid NOT NULL,
  "sentimentTag" text NOT NULL,
  status text NOT NULL,
  leads integer NOT NULL DEFAULT 0,
  PRIMARY KEY ("clientId", day, "campaignKey", "setterKey", "sentimentTag", status)
);
CREATE INDEX analytics_lead_daily_setter_idx
  ON public.analytics_lead_daily ("clientId", "setterKey", day);

CREATE SEQUENCE public.analytics_dirty_seq;
CREATE TABLE public.analytics_dirty_days (
  "clientId" {CLIENT_FK},
  day date NOT NULL,
  "dirtyAt" timestamptz NOT NULL DEFAULT clock_timestamp(),
  "dirtySeq" bigint NOT NULL DEFAULT nextval('public.analytics_dirty_seq'),
  PRIMARY KEY ("clientId", day)
);
"""

SCOPED = (
    '"clientId" = ANY ((SELECT app.client_ids(0))::uuid[])'
    ' AND (NOT ("clientId" = ANY ((SELECT app.setter_client_ids())::uuid[]))'
    ' OR "setterKey" = (SELECT auth.uid()))'
)
SECURITY = f"""
ALTER TABLE public.analytics_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.analytics_response_hourly ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.analytics_lead_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.analytics_dirty_days ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.analytics_daily, public.analytics_response_hourly,
  public.analytics_lead_daily, public.analytics_dirty_days TO authenticated;
CREATE POLICY analytics_daily_select ON public.analytics_daily
  FOR SELECT TO authenticated USING ({SCOPED});
CREATE POLICY analytics_response_hourly_select ON public.analytics_response_hourly
  FOR SELECT TO authenticated USING ({SCOPED});
CREATE POLICY analytics_lead_daily_select ON public.analytics_lead_daily
  FOR SELECT TO authenticated USING ({SCOPED});
CREATE POLICY analytics_dirty_days_select ON public.analytics_dirty_days FOR SELECT
  TO authenticated USING ("clientId" = ANY ((SELECT app.client_ids(0))::uuid[]));
"""

# The workspace's IANA zone from Client.settings (UTC when unset or unknown to PostgreSQL).
# SECURITY INVOKER: a signed-in caller only resolves workspaces RLS lets them read.
FUNCTIONS = """
CREATE FUNCTION app.analytics_timezone(client uuid) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = '' AS $$
DECLARE
  tz text;
BEGIN
  SELECT nullif(c.settings ->> 'timezone', '') INTO tz FROM public."Client" c WHERE c.id = client;
  IF tz IS NULL THEN
    RETURN 'UTC';
  END IF;
  PERFORM pg_catalog.now() AT TIME ZONE tz;
  RETURN tz;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN 'UTC';
END $$;
REVOKE ALL ON FUNCTION app.analytics_timezone(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.analytics_timezone(uuid) TO authenticated;

-- Mark (clients[i], at[i]) as dirty on the local day of at[i] in that workspace's zone.
CREATE FUNCTION app.mark_analytics_dirty(clients uuid[], ats timestamptz[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
  INSERT INTO public.analytics_dirty_days ("clientId", day, "dirtyAt", "dirtySeq")
  SELECT d.c, d.day, clock_timestamp(), nextval('public.analytics_dirty_seq')
  FROM (
    SELECT DISTINCT x.c, (x.at AT TIME ZONE z.tz)::date AS day
    FROM unnest(clients, ats) AS x(c, at)
    JOIN (SELECT u.c, app.analytics_timezone(u.c) AS tz
          FROM (SELECT DISTINCT y FROM unnest(clients) y) AS u(c)) z ON z.c = x.c
    WHERE x.at IS NOT NULL AND x.c IS NOT NULL
  ) d
  -- skip workspaces being deleted (a cascade from "Client" fires these triggers too)
  WHERE EXISTS (SELECT 1 FROM public."Client" w WHERE w.id = d.c)
  ORDER BY d.c, d.day
  ON CONFLICT ("clientId", day) DO UPDATE
    SET "dirtyAt" = EXCLUDED."dirtyAt", "dirtySeq" = EXCLUDED."dirtySeq"
$$;
REVOKE ALL ON FUNCTION app.mark_analytics_dirty(uuid[], timestamptz[]) FROM PUBLIC;
"""


# Trigger bodies: PL/pgSQL runs a WITH query for its side effect as ``PERFORM (query)``.
def _mark(ctes: str, rows: str) -> str:
    """PERFORM app.mark_analytics_dirty over ``rows`` (c, at), after the ``ctes``."""
    return f"""
  PERFORM (
    {ctes}
    SELECT app.mark_analytics_dirty(array_agg(t.c), array_agg(t.at)) FROM ({rows}) t
  );"""


# (c, lead, at) rows of ``changed`` -> their times plus those of the lead's later messages.
_MESSAGE_ROWS = """
      SELECT ch.c, ch.at FROM changed ch
      UNION
      SELECT f.c, m."sentAt" FROM (
        SELECT ch.c, ch.lead, min(ch.at) AS since FROM changed ch GROUP BY ch.c, ch.lead
      ) f
      JOIN public."Message" m
        ON m."leadId" = f.lead AND m."clientId" = f.c AND m."sentAt" >= f.since"""

MESSAGE_WATCHED = ("clientId", "leadId", "channel", "direction", "sentBy", "sentAt")
_M_NEW = ", ".join(f'n."{c}"' for c in MESSAGE_WATCHED)
_M_OLD = ", ".join(f'o."{c}"' for c in MESSAGE_WATCHED)

LEAD_WATCHED = (
    "clientId", "campaignId", "assignedToUserId", "assignedAt", "positiveAt",
    "appointmentBookedAt", "createdAt", "sentimentTag", "status",
)  # fmt: skip
_L_NEW = ", ".join(f'n."{c}"' for c in LEAD_WATCHED)
_L_OLD = ", ".join(f'o."{c}"' for c in LEAD_WATCHED)
_LEAD_DIMS = ("clientId", "campaignId", "assignedToUserId")


def _lead_days(rows: str) -> str:
    """(clientId, time) of the lead-level events of ``rows`` (a relation of Lead rows)."""
    return (
        f'SELECT r."clientId" AS c, v.at FROM {rows} r, LATERAL (VALUES (r."createdAt"),'
        ' (r."assignedAt"), (r."positiveAt"), (r."appointmentBookedAt")) v(at)'
    )


_L_CHANGED = f"({_L_NEW}) IS DISTINCT FROM ({_L_OLD})"
_LD_NEW = ", ".join(f'n."{c}"' for c in _LEAD_DIMS)
_LD_OLD = ", ".join(f'o."{c}"' for c in _LEAD_DIMS)
_L_REGROUPED = f"({_LD_NEW}) IS DISTINCT FROM ({_LD_OLD})"

_MESSAGE_MOVED = f"""WITH moved AS (
      SELECT n."clientId" AS nc, n."leadId" AS nl, n."sentAt" AS na,
             o."clientId" AS oc, o."leadId" AS ol, o."sentAt" AS oa
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE ({_M_NEW}) IS DISTINCT FROM ({_M_OLD})
    ), changed AS (
      SELECT nc AS c, nl AS lead, na AS at FROM moved
      UNION ALL
      SELECT oc, ol, oa FROM moved
    )"""
_LEAD_PAIRS = f"""WITH pairs AS (
      SELECT n AS nr, o AS orow, {_L_REGROUPED} AS regrouped
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE {_L_CHANGED}
    ), changed_new AS (SELECT (p.nr).* FROM pairs p),
    changed_old AS (SELECT (p.orow).* FROM pairs p)"""
_LEAD_ROWS = f"""
      {_lead_days("changed_new")}
      UNION
      {_lead_days("changed_old")}
      UNION
      SELECT w.c, m."sentAt" FROM pairs p
      CROSS JOIN LATERAL (VALUES ((p.nr)."clientId"), ((p.orow)."clientId")) w(c)
      JOIN public."Message" m ON m."leadId" = (p.nr).id
      WHERE p.regrouped"""

TRIGGER_FUNCTIONS = f"""
CREATE FUNCTION app.analytics_dirty_message_ins() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN{
    _mark(
        'WITH changed AS (SELECT n."clientId" AS c, n."leadId" AS lead, n."sentAt" AS at'
        " FROM new_rows n)",
        _MESSAGE_ROWS,
    )
}
  RETURN NULL;
END $$;

CREATE FUNCTION app.analytics_dirty_message_del() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN{
    _mark(
        'WITH changed AS (SELECT o."clientId" AS c, o."leadId" AS lead, o."sentAt" AS at'
        " FROM old_rows o)",
        _MESSAGE_ROWS,
    )
}
  RETURN NULL;
END $$;

CREATE FUNCTION app.analytics_dirty_message_upd() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN{_mark(_MESSAGE_MOVED, _MESSAGE_ROWS)}
  RETURN NULL;
END $$;

CREATE FUNCTION app.analytics_dirty_lead_ins() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN{_mark("", _lead_days("new_rows"))}
  RETURN NULL;
END $$;

CREATE FUNCTION app.analytics_dirty_lead_del() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN{_mark("", _lead_days("old_rows"))}
  RETURN NULL;
END $$;

CREATE FUNCTION app.analytics_dirty_lead_upd() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN{_mark(_LEAD_PAIRS, _LEAD_ROWS)}
  RETURN NULL;
END $$;

-- Local days move by up to +-26 hours (+-2 days) when the zone changes.
CREATE FUNCTION app.analytics_dirty_client_upd() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  WITH changed AS (
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.settings ->> 'timezone' IS DISTINCT FROM o.settings ->> 'timezone'
  )
  INSERT INTO public.analytics_dirty_days ("clientId", day, "dirtyAt", "dirtySeq")
  SELECT d.c, d.day, clock_timestamp(), nextval('public.analytics_dirty_seq')
  FROM (
    SELECT DISTINCT s.c, s.day + k AS day
    FROM (
      SELECT r."clientId" AS c, r.day FROM public.analytics_daily r
      WHERE r."clientId" IN (SELECT id FROM changed)
      UNION
      SELECT r."clientId", r.day FROM public.analytics_dirty_days r
      WHERE r."clientId" IN (SELECT id FROM changed)
    ) s CROSS JOIN generate_series(-2, 2) k
  ) d
  ORDER BY d.c, d.day
  ON CONFLICT ("clientId", day) DO UPDATE
    SET "dirtyAt" = EXCLUDED."dirtyAt", "dirtySeq" = EXCLUDED."dirtySeq";
  RETURN NULL;
END $$;
"""

FUNCTION_NAMES = (
    "analytics_dirty_message_ins", "analytics_dirty_message_upd", "analytics_dirty_message_del",
    "analytics_dirty_lead_ins", "analytics_dirty_lead_upd", "analytics_dirty_lead_del",
    "analytics_dirty_client_upd",
)  # fmt: skip

TRIGGERS = """
CREATE TRIGGER analytics_dirty_ins AFTER INSERT ON public."Message"
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.analytics_dirty_message_ins();
CREATE TRIGGER analytics_dirty_upd AFTER UPDATE ON public."Message"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.analytics_dirty_message_upd();
CREATE TRIGGER analytics_dirty_del AFTER DELETE ON public."Message"
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.analytics_dirty_message_del();
CREATE TRIGGER analytics_dirty_ins AFTER INSERT ON public."Lead"
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.analytics_dirty_lead_ins();
CREATE TRIGGER analytics_dirty_upd AFTER UPDATE ON public."Lead"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.analytics_dirty_lead_upd();
CREATE TRIGGER analytics_dirty_del AFTER DELETE ON public."Lead"
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.analytics_dirty_lead_del();
CREATE TRIGGER analytics_dirty_upd AFTER UPDATE ON public."Client"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.analytics_dirty_client_upd();
"""
TRIGGERED_TABLES = {"Message": 3, "Lead": 3, "Client": 1}

# Existing data: every (workspace, day) with a message or a lead event starts dirty.
BACKFILL = """
INSERT INTO public.analytics_dirty_days ("clientId", day)
SELECT e.c, (e.at AT TIME ZONE z.tz)::date
FROM (
  SELECT m."clientId" AS c, m."sentAt" AS at FROM public."Message" m
  UNION ALL
  SELECT l."clientId", v.at FROM public."Lead" l, LATERAL (VALUES (l."createdAt"),
    (l."assignedAt"), (l."positiveAt"), (l."appointmentBookedAt")) v(at)
) e
JOIN (SELECT c.id, app.analytics_timezone(c.id) AS tz FROM public."Client" c) z ON z.id = e.c
WHERE e.at IS NOT NULL
GROUP BY 1, 2
"""


def upgrade() -> None:
    op.execute(DDL)
    op.execute(SECURITY)
    op.execute(FUNCTIONS)
    op.execute(TRIGGER_FUNCTIONS)
    for name in FUNCTION_NAMES:
        op.execute(f"REVOKE ALL ON FUNCTION app.{name}() FROM PUBLIC")
    op.execute(TRIGGERS)
    op.execute(BACKFILL)


def downgrade() -> None:
    for table in TRIGGERED_TABLES:
        for trig in ("analytics_dirty_ins", "analytics_dirty_upd", "analytics_dirty_del"):
            op.execute(f'DROP TRIGGER IF EXISTS {trig} ON public."{table}"')
    for name in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION IF EXISTS app.{name}()")
    op.execute("DROP FUNCTION IF EXISTS app.mark_analytics_dirty(uuid[], timestamptz[])")
    op.execute("DROP FUNCTION IF EXISTS app.analytics_timezone(uuid)")
    op.execute("DROP TABLE IF EXISTS public.analytics_dirty_days")
    op.execute("DROP SEQUENCE IF EXISTS public.analytics_dirty_seq")
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS public.{table}")

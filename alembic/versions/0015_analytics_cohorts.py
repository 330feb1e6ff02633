"""Analytics cohorts: ``analytics_cohort_daily`` and the triggers that refile a lead's cohort days

* ``analytics_cohort_daily`` (workspace, anchor day, cohort, campaign, assignee): the leads of a
  cohort (``created``: by created day; ``assigned``: by assigned day) and how many of them
  reached each stage *so far* (``inboxapp/analytics/cohorts.py``). Mirrored by
  ``inboxapp/analytics/models.py``; the same RLS as the other rollups (a SETTER reads only
  their own assignee dimension).
* A cohort row depends on the lead's later history, which breaks 0007's rule that a day only
  depends on earlier events. A lead's own changes already mark its created and assigned days
  (0007's Lead trigger); these statement-level triggers on ``Message`` add, for every lead whose
  messages were inserted, deleted or changed (the columns 0007 watches), its created day and
  (when assigned) its assigned day.
* Existing data: every lead's created and assigned days start dirty (the rollup fills the table).

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRICS = ("leads", "contacted", "replied", "answered", "positive", "requested", "booked")
CLIENT_FK = 'uuid NOT NULL REFERENCES public."Client"(id) ON DELETE CASCADE'
SCOPED = (
    '"clientId" = ANY ((SELECT app.client_ids(0))::uuid[])'
    ' AND (NOT ("clientId" = ANY ((SELECT app.setter_client_ids())::uuid[]))'
    ' OR "setterKey" = (SELECT auth.uid()))'
)
_COLUMNS = ",\n  ".join(f'"{m}" integer NOT NULL DEFAULT 0' for m in METRICS)

DDL = f"""
CREATE TABLE public.analytics_cohort_daily (
  "clientId" {CLIENT_FK},
  day date NOT NULL,
  cohort text NOT NULL,
  "campaignKey" uuid NOT NULL,
  "setterKey" uuid NOT NULL,
  {_COLUMNS},
  PRIMARY KEY ("clientId", day, cohort, "campaignKey", "setterKey")
);
CREATE INDEX analytics_cohort_daily_setter_idx
  ON public.analytics_cohort_daily ("clientId", "setterKey", day);
ALTER TABLE public.analytics_cohort_daily ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.analytics_cohort_daily TO authenticated;
CREATE POLICY analytics_cohort_daily_select ON public.analytics_cohort_daily
  FOR SELECT TO authenticated USING ({SCOPED});
"""

WATCHED = ("clientId", "leadId", "channel", "direction", "sentBy", "sentAt")
_NEW = ", ".join(f'n."{c}"' for c in WATCHED)
_OLD = ", ".join(f'o."{c}"' for c in WATCHED)

# (clientId, leadId) pairs of the changed messages -> their leads' created / assigned times.
_SOURCES = {
    "ins": 'SELECT n."clientId" AS c, n."leadId" AS lead FROM new_rows n',
    "del": 'SELECT o."clientId" AS c, o."leadId" AS lead FROM old_rows o',
    "upd": f"""SELECT x.c, x.lead FROM new_rows n JOIN old_rows o ON o.id = n.id,
        LATERAL (VALUES (n."clientId", n."leadId"), (o."clientId", o."leadId")) x(c, lead)
        WHERE ({_NEW}) IS DISTINCT FROM ({_OLD})""",
}


def _function(op_name: str) -> str:
    return f"""
CREATE FUNCTION app.analytics_cohort_dirty_message_{op_name}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  PERFORM (
    SELECT app.mark_analytics_dirty(array_agg(t.c), array_agg(t.at)) FROM (
      SELECT l."clientId" AS c, v.at
      FROM (SELECT DISTINCT s.c, s.lead FROM ({_SOURCES[op_name]}) s) ch
      JOIN public."Lead" l ON l.id = ch.lead AND l."clientId" = ch.c,
      LATERAL (VALUES (l."createdAt"),
        (CASE WHEN l."assignedToUserId" IS NOT NULL THEN l."assignedAt" END)) v(at)
    ) t
  );
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION app.analytics_cohort_dirty_message_{op_name}() FROM PUBLIC;"""


_TRANSITIONS = {
    "ins": ("INSERT", "NEW TABLE AS new_rows"),
    "del": ("DELETE", "OLD TABLE AS old_rows"),
    "upd": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
}


def _trigger(op_name: str) -> str:
    event, tables = _TRANSITIONS[op_name]
    return f"""
CREATE TRIGGER analytics_cohort_dirty_{op_name} AFTER {event} ON public."Message"
  REFERENCING {tables}
  FOR EACH STATEMENT EXECUTE FUNCTION app.analytics_cohort_dirty_message_{op_name}();"""


BACKFILL = """
INSERT INTO public.analytics_dirty_days ("clientId", day)
SELECT l."clientId", (v.at AT TIME ZONE z.tz)::date
FROM public."Lead" l
JOIN (SELECT c.id, app.analytics_timezone(c.id) AS tz FROM public."Client" c) z ON z.id = l."clientId",
LATERAL (VALUES (l."createdAt"),
  (CASE WHEN l."assignedToUserId" IS NOT NULL THEN l."assignedAt" END)) v(at)
WHERE v.at IS NOT NULL
GROUP BY 1, 2
ON CONFLICT ("clientId", day) DO UPDATE
  SET "dirtyAt" = EXCLUDED."dirtyAt", "dirtySeq" = EXCLUDED."dirtySeq"
"""


def upgrade() -> None:
    op.execute(DDL)
    for name in _TRANSITIONS:
        op.execute(_function(name))
        op.execute(_trigger(name))
    op.execute(BACKFILL)


def downgrade() -> None:
    for name in _TRANSITIONS:
        op.execute(f'DROP TRIGGER IF EXISTS analytics_cohort_dirty_{name} ON public."Message"')
        op.execute(f"DROP FUNCTION IF EXISTS app.analytics_cohort_dirty_message_{name}()")
    op.execute("DROP TABLE IF EXISTS public.analytics_cohort_daily")

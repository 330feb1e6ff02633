"""Materialized inbox counts: inbox_counts, inbox_counts_dirty and dirty-marking triggers.

Triggers are statement-level with transition tables, so a 10,000-row import marks its workspace
dirty once. UPDATE triggers only mark when a column that can change a category changed.
``dirtySeq`` (a sequence) lets the recompute clear the mark only if no newer change arrived.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNT_COLUMNS = (
    "allResponses",
    "requiresAttention",
    "previouslyRequiredAttention",
    "needsRepair",
    "aiSent",
    "aiReview",
    "totalNonBlacklisted",
    "total",
)

# Columns whose change can move a row between categories (or scopes).
WATCHED = {
    "Lead": (
        "clientId", "status", "sentimentTag", "lastInboundAt", "lastOutboundAt",
        "lastZrgOutboundAt", "snoozedUntil", "assignedToUserId",
    ),
    "Message": ("clientId", "leadId", "channel", "direction", "source", "sentBy", "aiDraftId"),
    "AIDraft": ("clientId", "leadId", "status", "autoSendAction"),
}  # fmt: skip

TABLES = f"""
CREATE TABLE public.inbox_counts (
  "clientId" uuid NOT NULL REFERENCES public."Client"(id) ON DELETE CASCADE,
  "scopeUserId" uuid NOT NULL,
  {", ".join(f'"{c}" integer NOT NULL DEFAULT 0' for c in COUNT_COLUMNS)},
  "computedAt" timestamptz NOT NULL DEFAULT now(),
  version bigint NOT NULL DEFAULT 1,
  PRIMARY KEY ("clientId", "scopeUserId")
);
CREATE SEQUENCE public.inbox_counts_dirty_seq;
CREATE TABLE public.inbox_counts_dirty (
  "clientId" uuid PRIMARY KEY REFERENCES public."Client"(id) ON DELETE CASCADE,
  "dirtyAt" timestamptz NOT NULL DEFAULT clock_timestamp(),
  "dirtySeq" bigint NOT NULL DEFAULT nextval('public.inbox_counts_dirty_seq')
);
ALTER TABLE public.inbox_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.inbox_counts_dirty ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.inbox_counts, public.inbox_counts_dirty TO authenticated;
-- Members read their workspace's global row unless their effective role is SETTER; a setter
-- reads only their own row.
CREATE POLICY counts_select ON public.inbox_counts FOR SELECT TO authenticated USING (
  "clientId" = ANY ((SELECT app.client_ids(0))::uuid[])
  AND CASE WHEN "clientId" = ANY ((SELECT app.setter_client_ids())::uuid[])
      THEN "scopeUserId" = (SELECT auth.uid())
      ELSE "scopeUserId" = '00000000-0000-0000-0000-000000000000'::uuid END
);
CREATE POLICY counts_dirty_select ON public.inbox_counts_dirty FOR SELECT TO authenticated
  USING ("clientId" = ANY ((SELECT app.client_ids(0))::uuid[]));

-- Marking runs as the table owner (SECURITY DEFINER): writers need no rights on the tables.
CREATE FUNCTION app.mark_counts_dirty(clients uuid[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
  INSERT INTO public.inbox_counts_dirty ("clientId", "dirtyAt", "dirtySeq")
  SELECT c, clock_timestamp(), nextval('public.inbox_counts_dirty_seq')
  FROM (SELECT DISTINCT c FROM unnest(clients) c) d
  -- skip workspaces being deleted (a cascade from "Client" fires these triggers too)
  WHERE EXISTS (SELECT 1 FROM public."Client" w WHERE w.id = d.c)
  ON CONFLICT ("clientId") DO UPDATE
    SET "dirtyAt" = EXCLUDED."dirtyAt", "dirtySeq" = EXCLUDED."dirtySeq"
$$;
REVOKE ALL ON FUNCTION app.mark_counts_dirty(uuid[]) FROM PUBLIC;

CREATE FUNCTION app.counts_dirty_on_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  PERFORM app.mark_counts_dirty(ARRAY(SELECT DISTINCT n."clientId" FROM new_rows n));
  RETURN NULL;
END $$;
CREATE FUNCTION app.counts_dirty_on_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  PERFORM app.mark_counts_dirty(ARRAY(SELECT DISTINCT o."clientId" FROM old_rows o));
  RETURN NULL;
END $$;
"""


def _update_function(table: str) -> str:
    cols = ", ".join(f'n."{c}"' for c in WATCHED[table])
    old_cols = ", ".join(f'o."{c}"' for c in WATCHED[table])
    return f"""
CREATE FUNCTION app.counts_dirty_on_update_{table.lower()}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  PERFORM app.mark_counts_dirty(ARRAY(
    SELECT n."clientId" FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE ({cols}) IS DISTINCT FROM ({old_cols})
    UNION
    SELECT o."clientId" FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n."clientId" IS DISTINCT FROM o."clientId"
  ));
  RETURN NULL;
END $$;
"""


def _triggers(table: str) -> str:
    t = table.lower()
    return f"""
CREATE TRIGGER counts_dirty_ins AFTER INSERT ON public."{table}"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app.counts_dirty_on_insert();
CREATE TRIGGER counts_dirty_upd AFTER UPDATE ON public."{table}"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.counts_dirty_on_update_{t}();
CREATE TRIGGER counts_dirty_del AFTER DELETE ON public."{table}"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app.counts_dirty_on_delete();
"""


SNOOZE_INDEX = (
    'CREATE INDEX "Lead_snoozedUntil_idx" ON public."Lead" ("snoozedUntil")'
    ' WHERE "snoozedUntil" IS NOT NULL'
)


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(SNOOZE_INDEX)
    for table in WATCHED:
        op.execute(_update_function(table))
        op.execute(_triggers(table))


def downgrade() -> None:
    for table in WATCHED:
        for trig in ("counts_dirty_ins", "counts_dirty_upd", "counts_dirty_del"):
            op.execute(f'DROP TRIGGER IF EXISTS {trig} ON public."{table}"')
        op.execute(f"DROP FUNCTION IF EXISTS app.counts_dirty_on_update_{table.lower()}()")
    op.execute("DROP FUNCTION IF EXISTS app.counts_dirty_on_insert()")
    op.execute("DROP FUNCTION IF EXISTS app.counts_dirty_on_delete()")
    op.execute("DROP FUNCTION IF EXISTS app.mark_counts_dirty(uuid[])")
    op.execute("DROP TABLE IF EXISTS public.inbox_counts_dirty")
    op.execute("DROP SEQUENCE IF EXISTS public.inbox_counts_dirty_seq")
    op.execute("DROP TABLE IF EXISTS public.inbox_counts")
    op.execute('DROP INDEX IF EXISTS public."Lead_snoozedUntil_idx"')

"""Realtime: Lead change notifications (ids only)

Statement-level AFTER INSERT / AFTER UPDATE triggers on "Lead" (transition tables, like 0005)
send ``pg_notify('lead_changes', payload)``: one notification per (statement, workspace), chunked
so every payload stays far below PostgreSQL's 8000-byte limit. Payloads carry ids only, because
LISTEN has no access control (any login role may listen on any channel):

    {"v": 1, "c": "<clientId>", "op": "INSERT" | "UPDATE", "gone": false,
     "r": [["<leadId>", "<oldAssignee>" | null, "<newAssignee>" | null], ...]}

* INSERT: every inserted lead (old assignee null).
* UPDATE: only rows where a column the inbox shows changed (the list, the conversation view and
  the category/scope columns; i.e. every column but "id", "createdAt" and the internal
  "positiveAt"). That drops no-op updates and internal bookkeeping without a second list to keep
  in sync with the UI; ``updatedAt`` is included because the list is ordered by it.
* A lead moved to another workspace (only the owner role can do that, see
  app.forbid_workspace_move) is also announced to its old workspace with ``"gone": true``.
* No trigger on Message (message writes recompute the lead's rollups, which updates "Lead") and
  none for DELETE (deleted leads drop out at the clients' periodic refetch).

NOTIFY is transactional: a rolled-back write notifies nothing, and the notification is delivered
at commit, after the data is visible to other sessions.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "lead_changes"

# Leads per notification. One entry as jsonb text is at most
# '["<36>", "<36>", "<36>"], ' = 122 bytes; 60 entries + the envelope (< 120 bytes) < 7,500.
CHUNK = 60

WATCHED = (
    "clientId", "campaignId", "firstName", "lastName", "email", "phone", "company", "status",
    "sentimentTag", "lastInboundAt", "lastOutboundAt", "lastZrgOutboundAt", "lastMessageAt",
    "lastMessageDirection", "lastMessagePreview", "unreadCount", "snoozedUntil",
    "assignedToUserId", "assignedAt", "overallScore", "appointmentBookedAt", "updatedAt",
)  # fmt: skip


def _send(rows_sql: str) -> str:
    """PERFORM one pg_notify per (workspace, gone, chunk) of ``rows_sql``.

    ``rows_sql`` yields (cid, id, old_a, new_a, gone, op).
    """
    return f"""
  PERFORM pg_catalog.pg_notify('{CHANNEL}', q.payload)
  FROM (
    SELECT jsonb_build_object(
             'v', 1, 'c', s.cid, 'op', min(s.op), 'gone', s.gone,
             'r', jsonb_agg(jsonb_build_array(s.id, s.old_a, s.new_a) ORDER BY s.id)
           )::text AS payload
    FROM (
      SELECT x.*,
             (row_number() OVER (PARTITION BY x.cid, x.gone ORDER BY x.id) - 1) / {CHUNK} AS chunk
      FROM ({rows_sql}) x
    ) s
    GROUP BY s.cid, s.gone, s.chunk
  ) q;"""


_INSERT_ROWS = """
      SELECT n."clientId" AS cid, n.id, NULL::uuid AS old_a, n."assignedToUserId" AS new_a,
             false AS gone, 'INSERT'::text AS op
      FROM new_rows n"""

_NEW = ", ".join(f'n."{c}"' for c in WATCHED)
_OLD = ", ".join(f'o."{c}"' for c in WATCHED)
_UPDATE_ROWS = f"""
      SELECT n."clientId" AS cid, n.id, o."assignedToUserId" AS old_a,
             n."assignedToUserId" AS new_a, false AS gone, 'UPDATE'::text AS op
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE ({_NEW}) IS DISTINCT FROM ({_OLD})
      UNION ALL
      SELECT o."clientId", o.id, o."assignedToUserId", NULL::uuid, true, 'UPDATE'::text
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n."clientId" IS DISTINCT FROM o."clientId"
"""

FUNCTIONS = f"""
CREATE FUNCTION app.notify_lead_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN{_send(_INSERT_ROWS)}
  RETURN NULL;
END $$;

CREATE FUNCTION app.notify_lead_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN{_send(_UPDATE_ROWS)}
  RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION app.notify_lead_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION app.notify_lead_update() FROM PUBLIC;

CREATE TRIGGER lead_changes_ins AFTER INSERT ON public."Lead"
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.notify_lead_insert();
CREATE TRIGGER lead_changes_upd AFTER UPDATE ON public."Lead"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.notify_lead_update();
"""


def upgrade() -> None:
    op.execute(FUNCTIONS)


def downgrade() -> None:
    op.execute('DROP TRIGGER IF EXISTS lead_changes_ins ON public."Lead"')
    op.execute('DROP TRIGGER IF EXISTS lead_changes_upd ON public."Lead"')
    op.execute("DROP FUNCTION IF EXISTS app.notify_lead_insert()")
    op.execute("DROP FUNCTION IF EXISTS app.notify_lead_update()")

"""Unsent replies: who has the conversation now

``app.reply_draft_assignee(client, lead)`` tells the author of an unsent reply whom the lead was
reassigned to, so their reply box can say "Reassigned to <name>" beside the text they can still
copy. It answers only for a lead the caller has an unsent reply to (they worked on it), in a
workspace they still belong to, and only when the lead is no longer assigned to them: the
assignee's display name, ``''`` when the lead is now unassigned, NULL otherwise. Nothing else
of the lead crosses row level security.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE FUNCTION app.reply_draft_assignee(client uuid, lead uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT coalesce(u."displayName", '')
  FROM public."ReplyDraft" d
  JOIN public."Lead" l ON l.id = d."leadId" AND l."clientId" = d."clientId"
  LEFT JOIN public."User" u ON u.id = l."assignedToUserId"
  WHERE d."userId" = (SELECT auth.uid()) AND d."leadId" = lead AND d."clientId" = client
    AND client = ANY ((SELECT app.client_ids(1))::uuid[])
    AND l."assignedToUserId" IS DISTINCT FROM (SELECT auth.uid())
$$;
REVOKE ALL ON FUNCTION app.reply_draft_assignee(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.reply_draft_assignee(uuid, uuid) TO authenticated;
"""

DOWNGRADE = "DROP FUNCTION app.reply_draft_assignee(uuid, uuid);"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)

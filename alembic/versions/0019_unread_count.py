"""The unread category: leads with an unread message from them

``inbox_counts."unread"`` (materialized like the other counts, so the inbox's tab and the page
title show it at any size), and the lead update trigger also watches ``unreadCount`` (marking
read or unread moves a lead in or out). Every workspace is marked dirty once, so the recompute
fills the new column.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEAD_WATCHED = (
    "clientId", "status", "sentimentTag", "lastInboundAt", "lastOutboundAt",
    "lastZrgOutboundAt", "snoozedUntil", "assignedToUserId",
)  # fmt: skip
"""The columns migration 0005 watches on ``Lead``."""


def _lead_trigger_function(watched: tuple[str, ...]) -> str:
    cols = ", ".join(f'n."{c}"' for c in watched)
    old_cols = ", ".join(f'o."{c}"' for c in watched)
    return f"""
CREATE OR REPLACE FUNCTION app.counts_dirty_on_update_lead() RETURNS trigger
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


def upgrade() -> None:
    op.execute('ALTER TABLE public.inbox_counts ADD COLUMN "unread" integer NOT NULL DEFAULT 0')
    op.execute(_lead_trigger_function((*LEAD_WATCHED, "unreadCount")))
    op.execute('SELECT app.mark_counts_dirty(ARRAY(SELECT id FROM public."Client"))')


def downgrade() -> None:
    op.execute(_lead_trigger_function(LEAD_WATCHED))
    op.execute('ALTER TABLE public.inbox_counts DROP COLUMN "unread"')

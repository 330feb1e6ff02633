"""Realtime: a message's delivery status change is announced as a change of its lead

0006 sends ``lead_changes`` notifications from "Lead" only (message writes recompute the lead's
rollups). A delivery job moving a reply from ``queued`` to ``sent`` or ``failed`` touches only
"Message", so an open conversation never heard of it. This statement-level AFTER UPDATE trigger
on "Message" sends, for every lead whose messages changed ``deliveryStatus``, the same payload
0006 sends for a lead UPDATE (ids only; the lead's assignee as both old and new, so a setter's
scope filter applies unchanged). Tabs showing the lead then refresh it as for any other change.

The payload is built by 0006's own ``_send`` (one definition of the notification format).

Revision ID: 0012
Revises: 0011
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWS = """
      SELECT l."clientId" AS cid, l.id, l."assignedToUserId" AS old_a,
             l."assignedToUserId" AS new_a, false AS gone, 'UPDATE'::text AS op
      FROM (
        SELECT DISTINCT n."leadId"
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n."deliveryStatus" IS DISTINCT FROM o."deliveryStatus"
      ) d
      JOIN public."Lead" l ON l.id = d."leadId"
"""


def _send(rows_sql: str) -> str:
    path = Path(__file__).with_name("0006_realtime.py")
    spec = importlib.util.spec_from_file_location("revision_0006", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module._send(rows_sql))


def upgrade() -> None:
    op.execute(
        f"""
CREATE FUNCTION app.notify_message_delivery() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN{_send(_ROWS)}
  RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION app.notify_message_delivery() FROM PUBLIC;

CREATE TRIGGER message_delivery_changes AFTER UPDATE ON public."Message"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app.notify_message_delivery();
"""
    )


def downgrade() -> None:
    op.execute('DROP TRIGGER IF EXISTS message_delivery_changes ON public."Message"')
    op.execute("DROP FUNCTION IF EXISTS app.notify_message_delivery()")

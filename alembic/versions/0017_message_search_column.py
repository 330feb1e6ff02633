"""Search: the message's full-text document as a stored column

``Message."searchDoc"`` is the tsvector ``Message_search_idx`` indexed as an expression
(migration 0014), now computed once per write (``GENERATED ALWAYS ... STORED``) and indexed as a
column. Row level security keeps ``@@`` from running before the policies, so the list's
per-lead check for a common word (``inboxapp.inbox.search.message_match``) evaluated the
expression, re-parsing every message it looked at; it now reads the stored document.
``app.message_search_leads`` matches the column (same results, same scope).

Adding the column rewrites ``Message`` once (minutes on millions of rows: plan the upgrade).

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT = (
    "to_tsvector('simple'::regconfig, left((coalesce({t}subject, '') || ' ') || {t}body, 50000))"
)
MEMBER = "client = ANY ((SELECT app.client_ids(0))::uuid[])"
SETTER = "client = ANY ((SELECT app.setter_client_ids())::uuid[])"


def _search_function(match: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION app.message_search_leads(client uuid, query tsquery, max_rows integer)
RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT m."leadId" FROM public."Message" m
  WHERE m."clientId" = client AND {match} @@ query
    AND {MEMBER}
    AND (NOT {SETTER} OR EXISTS (SELECT 1 FROM public."Lead" l
      WHERE l.id = m."leadId" AND l."assignedToUserId" = (SELECT auth.uid())))
  LIMIT max_rows
$$;
"""


UPGRADE = f"""
ALTER TABLE public."Message"
  ADD COLUMN "searchDoc" tsvector GENERATED ALWAYS AS ({DOCUMENT.format(t="")}) STORED;
DROP INDEX public."Message_search_idx";
CREATE INDEX "Message_search_idx" ON public."Message" USING gin ("searchDoc");
{_search_function('m."searchDoc"')}
"""

DOWNGRADE = f"""
{_search_function(DOCUMENT.format(t="m."))}
DROP INDEX public."Message_search_idx";
ALTER TABLE public."Message" DROP COLUMN "searchDoc";
CREATE INDEX "Message_search_idx" ON public."Message" USING gin (({DOCUMENT.format(t="")}));
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)

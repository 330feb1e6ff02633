"""Search: a GIN full-text index over messages and a trigram index over lead identities

* ``Message_search_idx``: ``to_tsvector('simple', ...)`` of the first 50,000 characters of
  ``subject || ' ' || body``; the inbox list's ``q`` matches message words with it.
* ``app.trigrams(text)``: the distinct three-character substrings of a text (core PostgreSQL
  only: the embedded server has no pg_trgm). ``Lead_identity_trigram_idx`` indexes them over
  the lowercased name, email and phone: every lead whose identity contains ``q`` holds every
  trigram of ``q``.
* Row level security keeps the planner from using either index for the app's roles (``@@``
  and ``@>`` are not leakproof, so they may not run before the policies). Two SECURITY DEFINER
  helpers use them for the caller and apply the caller's scope themselves, exactly as the
  policies do (a member of the workspace; a SETTER only their assigned leads):
  ``app.message_search_leads(client, query, max_rows)`` (leads with a matching message, one id
  per message) and ``app.identity_search_leads(client, needle, max_rows)`` (candidates: the
  list rechecks name, email and phone with ILIKE). The list itself still reads ``Lead`` under
  row level security.

``inboxapp/db/search.py`` builds the same expressions for the queries (an index is used only
when a query repeats its expression exactly).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT = (
    "to_tsvector('simple'::regconfig, left((coalesce({t}subject, '') || ' ') || {t}body, 50000))"
)
IDENTITY = (
    "app.trigrams(lower((((((coalesce(\"firstName\", '') || ' ') || coalesce(\"lastName\", ''))"
    " || ' ') || coalesce(email, '')) || ' ') || coalesce(phone, '')))"
)

MEMBER = "client = ANY ((SELECT app.client_ids(0))::uuid[])"
SETTER = "client = ANY ((SELECT app.setter_client_ids())::uuid[])"

UPGRADE = f"""
CREATE FUNCTION app.trigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = '' AS $$
  SELECT coalesce(array_agg(DISTINCT pg_catalog.substr(value, i, 3)), '{{}}')
  FROM pg_catalog.generate_series(1, pg_catalog.length(value) - 2) AS i
$$;
CREATE INDEX "Message_search_idx" ON public."Message" USING gin (({DOCUMENT.format(t="")}));
CREATE INDEX "Lead_identity_trigram_idx" ON public."Lead" USING gin (({IDENTITY}));

CREATE FUNCTION app.message_search_leads(client uuid, query tsquery, max_rows integer)
RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT m."leadId" FROM public."Message" m
  WHERE m."clientId" = client AND {DOCUMENT.format(t="m.")} @@ query
    AND {MEMBER}
    AND (NOT {SETTER} OR EXISTS (SELECT 1 FROM public."Lead" l
      WHERE l.id = m."leadId" AND l."assignedToUserId" = (SELECT auth.uid())))
  LIMIT max_rows
$$;

CREATE FUNCTION app.identity_search_leads(client uuid, needle text, max_rows integer)
RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT l.id FROM public."Lead" l
  WHERE l."clientId" = client AND {IDENTITY} @> app.trigrams(lower(needle))
    AND {MEMBER}
    AND (NOT {SETTER} OR l."assignedToUserId" = (SELECT auth.uid()))
  LIMIT max_rows
$$;

REVOKE ALL ON FUNCTION app.trigrams(text), app.message_search_leads(uuid, tsquery, integer),
  app.identity_search_leads(uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.trigrams(text), app.message_search_leads(uuid, tsquery, integer),
  app.identity_search_leads(uuid, text, integer) TO authenticated;
-- the identity index calls app.trigrams on every write of a lead: the workspace service writes
-- leads too (the webhook pipeline, the demo seed)
GRANT EXECUTE ON FUNCTION app.trigrams(text) TO inboxapp_service;
"""

DOWNGRADE = """
DROP FUNCTION app.identity_search_leads(uuid, text, integer);
DROP FUNCTION app.message_search_leads(uuid, tsquery, integer);
DROP INDEX public."Lead_identity_trigram_idx";
DROP INDEX public."Message_search_idx";
DROP FUNCTION app.trigrams(text);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)

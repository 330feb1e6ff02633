"""Inbound webhooks: endpoints (hashed URL tokens, encrypted signing secrets), the append-only
event table, provider ids on campaigns, leads and messages

* ``WebhookEndpoint`` (one per workspace and provider) and ``WebhookEvent`` (each accepted
  request body once; raw columns immutable by column grants). Members with rank 4 (owners,
  admins) may read both (never the signing secret); ``inboxapp_service`` works inside its one
  workspace like 0009's tables. The web process finds an endpoint by the SHA-256 of the URL
  token through ``app.webhook_endpoint`` (SECURITY DEFINER, runtime login role only): the
  caller must already hold the token, so nothing can be enumerated.
* ``Campaign.provider/externalId``, ``Lead.linkedinUrl/externalIds`` and the provider columns
  of ``Message`` (``provider``, ``providerMessageId`` unique per workspace and provider, the raw
  text and HTML, cc, bcc, the classified ``sentiment``).
* ``app.next_round_robin_setter`` also serves ``inboxapp_service`` in its own workspace (a
  webhook reply that turns a lead positive assigns a setter, as a user's change would).

Revision ID: 0010
Revises: 0009
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE = "inboxapp_service"
OWN = '"clientId" = (SELECT app.service_client_id())'
ADMINS = '"clientId" = ANY ((SELECT app.client_ids(4))::uuid[])'
PROVIDERS = "'emailbison', 'ghl', 'linkedin', 'smartlead', 'instantly'"

COLUMNS = """
ALTER TABLE public."Campaign" ADD COLUMN provider text, ADD COLUMN "externalId" text;
CREATE UNIQUE INDEX "Campaign_client_provider_external_key"
  ON public."Campaign" ("clientId", provider, "externalId") WHERE "externalId" IS NOT NULL;

ALTER TABLE public."Lead" ADD COLUMN "linkedinUrl" text,
  ADD COLUMN "externalIds" jsonb NOT NULL DEFAULT '{}'::jsonb;
CREATE INDEX "Lead_client_phone_idx" ON public."Lead" ("clientId", phone) WHERE phone IS NOT NULL;
CREATE INDEX "Lead_client_linkedin_idx" ON public."Lead" ("clientId", "linkedinUrl")
  WHERE "linkedinUrl" IS NOT NULL;
CREATE INDEX "Lead_externalIds_idx" ON public."Lead" USING gin ("externalIds" jsonb_path_ops);

ALTER TABLE public."Message" ADD COLUMN provider text, ADD COLUMN "providerMessageId" text,
  ADD COLUMN "rawText" text, ADD COLUMN "rawHtml" text, ADD COLUMN cc text[],
  ADD COLUMN bcc text[], ADD COLUMN sentiment text;
CREATE UNIQUE INDEX "Message_client_provider_message_key"
  ON public."Message" ("clientId", provider, "providerMessageId")
  WHERE "providerMessageId" IS NOT NULL;
"""

TABLES = f"""
CREATE TABLE public."WebhookEndpoint" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "clientId" uuid NOT NULL REFERENCES public."Client"(id) ON DELETE CASCADE,
  provider text NOT NULL,
  "tokenHash" text NOT NULL,
  "previousTokenHash" text,
  "previousValidUntil" timestamptz,
  "signingSecret" text,
  "requireSignature" boolean NOT NULL DEFAULT false,
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  "rotatedAt" timestamptz,
  CONSTRAINT "WebhookEndpoint_client_provider_key" UNIQUE ("clientId", provider),
  CONSTRAINT "WebhookEndpoint_provider" CHECK (provider IN ({PROVIDERS})),
  CONSTRAINT "WebhookEndpoint_required_needs_secret"
    CHECK (NOT "requireSignature" OR "signingSecret" IS NOT NULL)
);
CREATE UNIQUE INDEX "WebhookEndpoint_tokenHash_key" ON public."WebhookEndpoint" ("tokenHash");
CREATE INDEX "WebhookEndpoint_previousTokenHash_idx" ON public."WebhookEndpoint"
  ("previousTokenHash") WHERE "previousTokenHash" IS NOT NULL;

CREATE TABLE public."WebhookEvent" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "clientId" uuid NOT NULL REFERENCES public."Client"(id) ON DELETE CASCADE,
  provider text NOT NULL,
  "eventType" text NOT NULL,
  "dedupeKey" text NOT NULL,
  payload jsonb NOT NULL,
  "receivedAt" timestamptz NOT NULL DEFAULT clock_timestamp(),
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  "lastErrorCode" text,
  "processedAt" timestamptz,
  "leadId" uuid,
  "messageId" uuid,
  CONSTRAINT "WebhookEvent_client_provider_dedupe_key" UNIQUE ("clientId", provider, "dedupeKey"),
  CONSTRAINT "WebhookEvent_provider" CHECK (provider IN ({PROVIDERS})),
  CONSTRAINT "WebhookEvent_status" CHECK (status IN ('pending', 'processed', 'ignored', 'failed'))
);
CREATE INDEX "WebhookEvent_pending_idx" ON public."WebhookEvent" ("receivedAt")
  WHERE status = 'pending';
CREATE INDEX "WebhookEvent_failed_idx" ON public."WebhookEvent" ("clientId", "receivedAt")
  WHERE status = 'failed';

ALTER TABLE public."WebhookEndpoint" ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."WebhookEvent" ENABLE ROW LEVEL SECURITY;

-- Members: owners and admins read (the signing secret stays out of reach).
GRANT SELECT (id, "clientId", provider, "previousValidUntil", "requireSignature", "createdAt",
  "rotatedAt") ON public."WebhookEndpoint" TO authenticated;
GRANT SELECT ON public."WebhookEvent" TO authenticated;
CREATE POLICY endpoint_select ON public."WebhookEndpoint" FOR SELECT TO authenticated
  USING ({ADMINS});
CREATE POLICY event_select ON public."WebhookEvent" FOR SELECT TO authenticated USING ({ADMINS});

-- System work in one workspace: issue and rotate endpoints, store and process events.
GRANT SELECT, INSERT ON public."WebhookEndpoint", public."WebhookEvent" TO {SERVICE};
GRANT UPDATE ("tokenHash", "previousTokenHash", "previousValidUntil", "signingSecret",
  "requireSignature", "rotatedAt") ON public."WebhookEndpoint" TO {SERVICE};
GRANT UPDATE (status, attempts, "lastErrorCode", "processedAt", "leadId", "messageId")
  ON public."WebhookEvent" TO {SERVICE};
CREATE POLICY service_all ON public."WebhookEndpoint" FOR ALL TO {SERVICE}
  USING ({OWN}) WITH CHECK ({OWN});
CREATE POLICY service_all ON public."WebhookEvent" FOR ALL TO {SERVICE}
  USING ({OWN}) WITH CHECK ({OWN});

-- The web process (no workspace yet) finds the endpoint a token belongs to, nothing else.
CREATE FUNCTION app.webhook_endpoint(p_provider text, p_token_hash text)
RETURNS TABLE (id uuid, "clientId" uuid, "signingSecret" text, "requireSignature" boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT e.id, e."clientId", e."signingSecret", e."requireSignature"
  FROM public."WebhookEndpoint" e
  WHERE e.provider = p_provider
    AND (e."tokenHash" = p_token_hash
         OR (e."previousTokenHash" = p_token_hash AND e."previousValidUntil" > now()))
  LIMIT 1
$$;
REVOKE ALL ON FUNCTION app.webhook_endpoint(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.webhook_endpoint(text, text) TO authenticator;
"""


def _round_robin(service_may_assign: bool) -> str:
    """0003's ``app.next_round_robin_setter``, with (or, going down, without) the clause that
    lets ``inboxapp_service`` assign in its own workspace (the caller's SET ROLE survives the
    SECURITY DEFINER switch of current_user)."""
    path = Path(__file__).with_name("0003_round_robin.py")
    spec = importlib.util.spec_from_file_location("revision_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sql = str(module.NEXT_SETTER).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    check = "  IF coalesce(app.role_rank(app.effective_role(client)), -1) < 1 THEN"
    assert check in sql
    if service_may_assign:
        sql = sql.replace(
            check,
            check.removesuffix(" THEN")
            + f"\n     AND NOT (current_setting('role', true) = '{SERVICE}'"
            + " AND client = app.service_client_id()) THEN",
        )
    return sql


DOWNGRADE = """
DROP FUNCTION app.webhook_endpoint(text, text);
DROP TABLE public."WebhookEvent";
DROP TABLE public."WebhookEndpoint";
DROP INDEX public."Message_client_provider_message_key";
ALTER TABLE public."Message" DROP COLUMN provider, DROP COLUMN "providerMessageId",
  DROP COLUMN "rawText", DROP COLUMN "rawHtml", DROP COLUMN cc, DROP COLUMN bcc,
  DROP COLUMN sentiment;
DROP INDEX public."Lead_externalIds_idx";
DROP INDEX public."Lead_client_linkedin_idx";
DROP INDEX public."Lead_client_phone_idx";
ALTER TABLE public."Lead" DROP COLUMN "linkedinUrl", DROP COLUMN "externalIds";
DROP INDEX public."Campaign_client_provider_external_key";
ALTER TABLE public."Campaign" DROP COLUMN provider, DROP COLUMN "externalId";
"""


def upgrade() -> None:
    op.execute(COLUMNS)
    op.execute(TABLES)
    op.execute(_round_robin(service_may_assign=True))


def downgrade() -> None:
    op.execute(DOWNGRADE)
    op.execute(_round_robin(service_may_assign=False))

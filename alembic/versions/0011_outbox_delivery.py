"""Outbox delivery: message delivery status, the outbox, per-workspace provider credentials

* ``Message.deliveryStatus`` (``queued|sending|sent|failed``; NULL for inbound messages and for
  outbound rows that never went through the outbox: campaign sends and legacy replies, which
  read as sent), ``deliveryError`` (the reason a send failed, for people), ``deliveryAttempts``.
* ``Outbox``: one row per message the app sends, written in the message's transaction. Its
  ``idempotencyKey`` (unique) goes with every provider request for it, so a retry never sends
  twice; ``requestKey`` is the caller's ``Idempotency-Key`` (unique per workspace and caller: the
  same key answers the same message). Members read it like the message; writers insert it and
  may put a failed row back in the queue (column grants); ``inboxapp_service`` delivers it.
* ``ProviderCredential``: one per workspace and provider: the API key as Fernet ciphertext
  (:mod:`inboxapp.secrets_box`), the base URL and non-secret options. Owners and admins manage
  it (the key column is never readable by members); ``inboxapp_service`` reads it to send.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE = "inboxapp_service"
OWN = '"clientId" = (SELECT app.service_client_id())'
PROVIDERS = "'emailbison', 'ghl', 'linkedin', 'smartlead', 'instantly'"
STATES = "'queued', 'sending', 'sent', 'failed'"


def rank(min_rank: int) -> str:
    return f'"clientId" = ANY ((SELECT app.client_ids({min_rank}))::uuid[])'


VISIBLE = rank(0)
ADMINS = rank(4)
CHILD_SCOPE = (
    'NOT ("clientId" = ANY ((SELECT app.setter_client_ids())::uuid[]))'
    ' OR EXISTS (SELECT 1 FROM public."Lead" l'
    ' WHERE l.id = "leadId" AND l."assignedToUserId" = (SELECT auth.uid()))'
)
SAME_MESSAGE = (
    'EXISTS (SELECT 1 FROM public."Message" m WHERE m.id = "messageId"'
    ' AND m."clientId" = public."Outbox"."clientId" AND m."leadId" = public."Outbox"."leadId")'
)

UPGRADE = f"""
ALTER TABLE public."Message" ADD COLUMN "deliveryStatus" text, ADD COLUMN "deliveryError" text,
  ADD COLUMN "deliveryAttempts" integer NOT NULL DEFAULT 0,
  ADD CONSTRAINT "Message_deliveryStatus_check"
    CHECK ("deliveryStatus" IS NULL OR "deliveryStatus" IN ({STATES}));

CREATE TABLE public."Outbox" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "clientId" uuid NOT NULL REFERENCES public."Client"(id) ON DELETE CASCADE,
  "messageId" uuid NOT NULL REFERENCES public."Message"(id) ON DELETE CASCADE,
  "leadId" uuid NOT NULL,
  provider text NOT NULL,
  "idempotencyKey" text NOT NULL,
  "requestKey" text,
  "requestedByUserId" uuid REFERENCES public."User"(id) ON DELETE SET NULL,
  state text NOT NULL DEFAULT 'queued',
  attempts integer NOT NULL DEFAULT 0,
  "nextAttemptAt" timestamptz NOT NULL DEFAULT now(),
  "lastError" text,
  "providerMessageId" text,
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  "updatedAt" timestamptz NOT NULL DEFAULT now(),
  "sentAt" timestamptz,
  CONSTRAINT "Outbox_messageId_key" UNIQUE ("messageId"),
  CONSTRAINT "Outbox_idempotencyKey_key" UNIQUE ("idempotencyKey"),
  CONSTRAINT "Outbox_lead_client_fkey" FOREIGN KEY ("leadId", "clientId")
    REFERENCES public."Lead"(id, "clientId") ON DELETE CASCADE,
  CONSTRAINT "Outbox_provider" CHECK (provider IN ({PROVIDERS})),
  CONSTRAINT "Outbox_state" CHECK (state IN ({STATES}))
);
CREATE UNIQUE INDEX "Outbox_request_key" ON public."Outbox"
  ("clientId", "requestedByUserId", "requestKey") WHERE "requestKey" IS NOT NULL;
CREATE INDEX "Outbox_due_idx" ON public."Outbox" ("nextAttemptAt")
  WHERE state IN ('queued', 'sending');

CREATE TABLE public."ProviderCredential" (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "clientId" uuid NOT NULL REFERENCES public."Client"(id) ON DELETE CASCADE,
  provider text NOT NULL,
  "apiKey" text NOT NULL,
  "baseUrl" text NOT NULL,
  options jsonb NOT NULL DEFAULT '{{}}'::jsonb,
  "updatedByUserId" uuid REFERENCES public."User"(id) ON DELETE SET NULL,
  "createdAt" timestamptz NOT NULL DEFAULT now(),
  "updatedAt" timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT "ProviderCredential_client_provider_key" UNIQUE ("clientId", provider),
  CONSTRAINT "ProviderCredential_provider" CHECK (provider IN ({PROVIDERS}))
);

ALTER TABLE public."Outbox" ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."ProviderCredential" ENABLE ROW LEVEL SECURITY;

-- Members: the outbox reads like the message; writers queue it and re-queue a failed send.
GRANT SELECT, INSERT ON public."Outbox" TO authenticated;
GRANT UPDATE (state, attempts, "nextAttemptAt", "lastError", "updatedAt") ON public."Outbox"
  TO authenticated;
CREATE POLICY outbox_select ON public."Outbox" FOR SELECT TO authenticated
  USING ({VISIBLE} AND ({CHILD_SCOPE}));
CREATE POLICY outbox_insert ON public."Outbox" FOR INSERT TO authenticated
  WITH CHECK ({rank(1)} AND ({CHILD_SCOPE}) AND {SAME_MESSAGE});
CREATE POLICY outbox_update ON public."Outbox" FOR UPDATE TO authenticated
  USING ({rank(1)} AND ({CHILD_SCOPE})) WITH CHECK ({rank(1)} AND ({CHILD_SCOPE}));

-- Owners and admins manage credentials; the API key is write-only for them.
GRANT SELECT (id, "clientId", provider, "baseUrl", options, "updatedByUserId", "createdAt",
  "updatedAt") ON public."ProviderCredential" TO authenticated;
GRANT INSERT, DELETE ON public."ProviderCredential" TO authenticated;
GRANT UPDATE ("apiKey", "baseUrl", options, "updatedByUserId", "updatedAt")
  ON public."ProviderCredential" TO authenticated;
CREATE POLICY credential_select ON public."ProviderCredential" FOR SELECT TO authenticated
  USING ({ADMINS});
CREATE POLICY credential_insert ON public."ProviderCredential" FOR INSERT TO authenticated
  WITH CHECK ({ADMINS});
CREATE POLICY credential_update ON public."ProviderCredential" FOR UPDATE TO authenticated
  USING ({ADMINS}) WITH CHECK ({ADMINS});
CREATE POLICY credential_delete ON public."ProviderCredential" FOR DELETE TO authenticated
  USING ({ADMINS});

-- System work in one workspace: deliver (read credentials, move outbox rows).
GRANT SELECT, INSERT, UPDATE ON public."Outbox", public."ProviderCredential" TO {SERVICE};
CREATE POLICY service_all ON public."Outbox" FOR ALL TO {SERVICE}
  USING ({OWN}) WITH CHECK ({OWN});
CREATE POLICY service_all ON public."ProviderCredential" FOR ALL TO {SERVICE}
  USING ({OWN}) WITH CHECK ({OWN});

CREATE TRIGGER forbid_workspace_move BEFORE UPDATE OF "clientId" ON public."Outbox"
  FOR EACH ROW WHEN (OLD."clientId" IS DISTINCT FROM NEW."clientId")
  EXECUTE FUNCTION app.forbid_workspace_move();
CREATE TRIGGER forbid_workspace_move BEFORE UPDATE OF "clientId" ON public."ProviderCredential"
  FOR EACH ROW WHEN (OLD."clientId" IS DISTINCT FROM NEW."clientId")
  EXECUTE FUNCTION app.forbid_workspace_move();
"""

DOWNGRADE = """
DROP TABLE public."ProviderCredential";
DROP TABLE public."Outbox";
ALTER TABLE public."Message" DROP CONSTRAINT "Message_deliveryStatus_check",
  DROP COLUMN "deliveryStatus", DROP COLUMN "deliveryError", DROP COLUMN "deliveryAttempts";
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)

"""AI drafting: workspace AI settings, usage accounting, draft provenance and safety results

* ``AIDraft``: new statuses ``superseded`` (a newer inbound message came), ``blocked`` (a safety
  check failed: the body is empty, ``safety`` says why) and ``replay`` (written by the replay
  CLI, never shown in the inbox); ``instruction`` (a regenerate request), ``provider`` and
  ``model`` (who wrote it), ``safety`` (the failed checks, ``[]`` when all passed),
  ``sendAfter`` (auto-send: when the job sends it unless cancelled), ``replayRunId``.
* ``AISettings``: one row per workspace: provider (``local`` | ``openai``), base URL, model, the
  API key as Fernet ciphertext (write-only for people), persona, signature, offer facts,
  booking link, tone, per-channel length limits and the auto-send mode (``off``: no drafts,
  ``review``: drafts wait for a person, ``send``: sent after ``autoSendDelayMinutes`` unless
  cancelled). Members read it (not the key), owners and admins write it.
* ``AIUsage``: requests, tokens and cost per workspace, day, provider and model (admins read).

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE = "inboxapp_service"
OWN = '"clientId" = (SELECT app.service_client_id())'


def rank(min_rank: int) -> str:
    return f'"clientId" = ANY ((SELECT app.client_ids({min_rank}))::uuid[])'


STATUSES = "'pending', 'approved', 'rejected', 'superseded', 'blocked', 'replay'"
SETTINGS_READABLE = (
    '"clientId", provider, "baseUrl", model, persona, signature, "offerFacts", "bookingLink",'
    ' tone, "channelLimits", "autoSendMode", "autoSendDelayMinutes", "updatedByUserId",'
    ' "updatedAt"'
)

UPGRADE = f"""
ALTER TABLE public."AIDraft" DROP CONSTRAINT "AIDraft_status_check",
  ADD CONSTRAINT "AIDraft_status_check" CHECK (status IN ({STATUSES})),
  ADD COLUMN instruction text,
  ADD COLUMN provider text,
  ADD COLUMN model text,
  ADD COLUMN safety jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN "sendAfter" timestamptz,
  ADD COLUMN "replayRunId" text;
CREATE INDEX "AIDraft_replay_idx" ON public."AIDraft" ("replayRunId")
  WHERE "replayRunId" IS NOT NULL;

CREATE TABLE public."AISettings" (
  "clientId" uuid PRIMARY KEY REFERENCES public."Client"(id) ON DELETE CASCADE,
  provider text NOT NULL DEFAULT 'local',
  "baseUrl" text,
  model text,
  "apiKey" text,
  persona text NOT NULL DEFAULT '',
  signature text NOT NULL DEFAULT '',
  "offerFacts" text NOT NULL DEFAULT '',
  "bookingLink" text NOT NULL DEFAULT '',
  tone text NOT NULL DEFAULT 'friendly',
  "channelLimits" jsonb NOT NULL DEFAULT '{{}}'::jsonb,
  "autoSendMode" text NOT NULL DEFAULT 'review',
  "autoSendDelayMinutes" integer NOT NULL DEFAULT 10,
  "updatedByUserId" uuid REFERENCES public."User"(id) ON DELETE SET NULL,
  "updatedAt" timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT "AISettings_provider" CHECK (provider IN ('local', 'openai')),
  CONSTRAINT "AISettings_mode" CHECK ("autoSendMode" IN ('off', 'review', 'send')),
  CONSTRAINT "AISettings_delay" CHECK ("autoSendDelayMinutes" BETWEEN 0 AND 1440)
);

CREATE TABLE public."AIUsage" (
  "clientId" uuid NOT NULL REFERENCES public."Client"(id) ON DELETE CASCADE,
  day date NOT NULL,
  provider text NOT NULL,
  model text NOT NULL,
  requests integer NOT NULL DEFAULT 0,
  "promptTokens" bigint NOT NULL DEFAULT 0,
  "completionTokens" bigint NOT NULL DEFAULT 0,
  "costMicros" bigint NOT NULL DEFAULT 0,
  PRIMARY KEY ("clientId", day, provider, model)
);

ALTER TABLE public."AISettings" ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."AIUsage" ENABLE ROW LEVEL SECURITY;

GRANT SELECT ({SETTINGS_READABLE}) ON public."AISettings" TO authenticated;
GRANT INSERT, UPDATE ON public."AISettings" TO authenticated;
CREATE POLICY ai_settings_select ON public."AISettings" FOR SELECT TO authenticated
  USING ({rank(0)});
CREATE POLICY ai_settings_insert ON public."AISettings" FOR INSERT TO authenticated
  WITH CHECK ({rank(4)});
CREATE POLICY ai_settings_update ON public."AISettings" FOR UPDATE TO authenticated
  USING ({rank(4)}) WITH CHECK ({rank(4)});

GRANT SELECT ON public."AIUsage" TO authenticated;
CREATE POLICY ai_usage_select ON public."AIUsage" FOR SELECT TO authenticated
  USING ({rank(4)});

GRANT SELECT, INSERT, UPDATE ON public."AISettings", public."AIUsage" TO {SERVICE};
CREATE POLICY service_all ON public."AISettings" FOR ALL TO {SERVICE}
  USING ({OWN}) WITH CHECK ({OWN});
CREATE POLICY service_all ON public."AIUsage" FOR ALL TO {SERVICE}
  USING ({OWN}) WITH CHECK ({OWN});

CREATE TRIGGER forbid_workspace_move BEFORE UPDATE OF "clientId" ON public."AIUsage"
  FOR EACH ROW WHEN (OLD."clientId" IS DISTINCT FROM NEW."clientId")
  EXECUTE FUNCTION app.forbid_workspace_move();
CREATE TRIGGER forbid_workspace_move BEFORE UPDATE OF "clientId" ON public."AISettings"
  FOR EACH ROW WHEN (OLD."clientId" IS DISTINCT FROM NEW."clientId")
  EXECUTE FUNCTION app.forbid_workspace_move();
"""

DOWNGRADE = """
DROP TABLE public."AIUsage";
DROP TABLE public."AISettings";
DELETE FROM public."AIDraft" WHERE status IN ('superseded', 'blocked', 'replay');
DROP INDEX public."AIDraft_replay_idx";
ALTER TABLE public."AIDraft" DROP CONSTRAINT "AIDraft_status_check",
  ADD CONSTRAINT "AIDraft_status_check" CHECK (status IN ('pending', 'approved', 'rejected')),
  DROP COLUMN instruction, DROP COLUMN provider, DROP COLUMN model, DROP COLUMN safety,
  DROP COLUMN "sendAfter", DROP COLUMN "replayRunId";
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)

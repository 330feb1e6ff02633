"""Unsent replies: one per user and conversation, kept on the server

``ReplyDraft`` (``userId``, ``leadId``) holds what a person typed in a conversation's reply box
and has not sent: it survives a reload, a switch to another conversation and another device.
Each person reads and writes only their own rows (``userId = auth.uid()``), in workspaces they
belong to; a draft stays readable to its author after the lead was reassigned away from them
(they can copy their text), but it names nothing of the lead beyond its id.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MINE = '"userId" = (SELECT auth.uid()) AND "clientId" = ANY ((SELECT app.client_ids(1))::uuid[])'

UPGRADE = f"""
CREATE TABLE public."ReplyDraft" (
  "userId" uuid NOT NULL REFERENCES public."User"(id) ON DELETE CASCADE,
  "leadId" uuid NOT NULL,
  "clientId" uuid NOT NULL REFERENCES public."Client"(id) ON DELETE CASCADE,
  body text NOT NULL,
  "updatedAt" timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("userId", "leadId"),
  CONSTRAINT "ReplyDraft_lead_client_fkey" FOREIGN KEY ("leadId", "clientId")
    REFERENCES public."Lead"(id, "clientId") ON DELETE CASCADE,
  CONSTRAINT "ReplyDraft_body_length" CHECK (char_length(body) <= 10000)
);
ALTER TABLE public."ReplyDraft" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON public."ReplyDraft" TO authenticated;
CREATE POLICY reply_draft_own ON public."ReplyDraft" FOR ALL TO authenticated
  USING ({MINE}) WITH CHECK ({MINE});
CREATE TRIGGER forbid_workspace_move BEFORE UPDATE OF "clientId" ON public."ReplyDraft"
  FOR EACH ROW WHEN (OLD."clientId" IS DISTINCT FROM NEW."clientId")
  EXECUTE FUNCTION app.forbid_workspace_move();
"""

DOWNGRADE = 'DROP TABLE public."ReplyDraft";'


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)

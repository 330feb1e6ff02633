"""Auth change feed: sessions, users and memberships that changed, for every process to hear

``app.auth_change`` is an append-only list of ids (never tenant data): ``session`` (a
refresh-token family was revoked or its tokens deleted), ``user`` (disabled, enabled, deleted)
and ``membership`` (a role granted, changed or removed, a workspace's owner changed). Every
process polls it (``inboxapp.auth.sessions``) and re-checks the named subjects, so a logout, a
disabled user or a removed member takes effect everywhere within a second without a database
round trip per request.

Writers: the auth service inserts ``session`` rows when it revokes a family; triggers
(SECURITY DEFINER, owned by the table owner) insert the others, whoever made the change (the
app, the operator CLI or a SQL console).

Also: ``app.my_workspaces()`` now ignores disabled users, so a disabled user's requests see
no workspace at the database itself (the realtime access query always did).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE TABLE app.auth_change (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('session', 'user', 'membership')),
  subject uuid NOT NULL,
  "clientId" uuid,
  "createdAt" timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX auth_change_created_idx ON app.auth_change ("createdAt");
CREATE INDEX "RefreshToken_familyId_idx" ON public."RefreshToken" ("familyId");

GRANT USAGE ON SCHEMA app TO authenticator;
GRANT SELECT, INSERT ON app.auth_change TO authenticator;
GRANT USAGE ON SEQUENCE app.auth_change_id_seq TO authenticator;

CREATE FUNCTION app.note_user_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO app.auth_change (kind, subject) VALUES ('user', OLD.id);
  ELSIF NEW."disabledAt" IS DISTINCT FROM OLD."disabledAt" THEN
    INSERT INTO app.auth_change (kind, subject) VALUES ('user', NEW.id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER user_auth_change AFTER UPDATE OF "disabledAt" OR DELETE ON public."User"
  FOR EACH ROW EXECUTE FUNCTION app.note_user_change();

CREATE FUNCTION app.note_token_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO app.auth_change (kind, subject)
    SELECT DISTINCT 'session', o."familyId" FROM old_rows o;
  RETURN NULL;
END $$;
CREATE TRIGGER token_auth_change AFTER DELETE ON public."RefreshToken"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app.note_token_delete();

CREATE FUNCTION app.note_member_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO app.auth_change (kind, subject, "clientId")
      VALUES ('membership', OLD."userId", OLD."clientId");
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO app.auth_change (kind, subject, "clientId")
      VALUES ('membership', NEW."userId", NEW."clientId");
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER member_auth_change AFTER INSERT OR UPDATE OR DELETE ON public."ClientMember"
  FOR EACH ROW EXECUTE FUNCTION app.note_member_change();

CREATE FUNCTION app.note_owner_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD."ownerUserId" IS NOT NULL THEN
    INSERT INTO app.auth_change (kind, subject, "clientId")
      VALUES ('membership', OLD."ownerUserId", OLD.id);
  END IF;
  IF TG_OP = 'UPDATE' AND NEW."ownerUserId" IS NOT NULL THEN
    INSERT INTO app.auth_change (kind, subject, "clientId")
      VALUES ('membership', NEW."ownerUserId", NEW.id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER owner_auth_change AFTER UPDATE OF "ownerUserId" OR DELETE ON public."Client"
  FOR EACH ROW EXECUTE FUNCTION app.note_owner_change();

-- A disabled user opens no workspace (the same rule as the realtime access query).
CREATE OR REPLACE FUNCTION app.my_workspaces()
RETURNS TABLE ("clientId" uuid, role text, rank int)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT s.cid, (array_agg(s.role ORDER BY app.role_rank(s.role) DESC))[1], max(app.role_rank(s.role))
  FROM (
    SELECT c.id AS cid, 'OWNER'::text AS role FROM public."Client" c
      WHERE c."ownerUserId" = auth.uid()
    UNION ALL
    SELECT m."clientId", m.role FROM public."ClientMember" m WHERE m."userId" = auth.uid()
  ) s
  WHERE EXISTS (SELECT 1 FROM public."User" u WHERE u.id = auth.uid() AND u."disabledAt" IS NULL)
  GROUP BY s.cid
$$;
"""

DOWNGRADE = """
CREATE OR REPLACE FUNCTION app.my_workspaces()
RETURNS TABLE ("clientId" uuid, role text, rank int)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT s.cid, (array_agg(s.role ORDER BY app.role_rank(s.role) DESC))[1], max(app.role_rank(s.role))
  FROM (
    SELECT c.id AS cid, 'OWNER'::text AS role FROM public."Client" c
      WHERE c."ownerUserId" = auth.uid()
    UNION ALL
    SELECT m."clientId", m.role FROM public."ClientMember" m WHERE m."userId" = auth.uid()
  ) s
  GROUP BY s.cid
$$;
DROP TRIGGER owner_auth_change ON public."Client";
DROP TRIGGER member_auth_change ON public."ClientMember";
DROP TRIGGER token_auth_change ON public."RefreshToken";
DROP TRIGGER user_auth_change ON public."User";
DROP FUNCTION app.note_owner_change();
DROP FUNCTION app.note_member_change();
DROP FUNCTION app.note_token_delete();
DROP FUNCTION app.note_user_change();
DROP INDEX public."RefreshToken_familyId_idx";
DROP TABLE app.auth_change;
REVOKE USAGE ON SCHEMA app FROM authenticator;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)

"""A database role for system work inside ONE workspace (webhooks, delivery, AI drafts)

Writes that no signed-in user makes (a provider's webhook, the outbox delivery, an AI draft)
still belong to exactly one workspace. They run as ``inboxapp_service`` (NOLOGIN, granted to
the runtime login role, entered with ``SET LOCAL ROLE`` like ``authenticated``) with the claims
``{"role": "inboxapp_service", "client_id": "<workspace>"}``: row level security lets that role
see and change the rows of the claimed workspace only, so a bug (or a webhook token of
workspace A) can never write into workspace B. ``inboxapp.db.engine.workspace_session`` is the
one way in.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE = "inboxapp_service"
OWN = '"clientId" = (SELECT app.service_client_id())'
WRITABLE = ("Campaign", "Lead", "Message", "AIDraft")

UPGRADE = (
    f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{SERVICE}') THEN
    CREATE ROLE {SERVICE} NOLOGIN NOINHERIT;
  END IF;
END $$;
GRANT {SERVICE} TO authenticator;
GRANT USAGE ON SCHEMA public, app, auth TO {SERVICE};

CREATE FUNCTION app.service_client_id() RETURNS uuid
LANGUAGE sql STABLE SET search_path = '' AS $$
  SELECT nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'client_id', '')
    ::uuid
$$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO {SERVICE};

GRANT SELECT ON public."Client", public."ClientMember" TO {SERVICE};
GRANT SELECT (id, email, "displayName", "disabledAt") ON public."User" TO {SERVICE};
GRANT SELECT, INSERT, UPDATE, DELETE ON public."Campaign", public."Lead", public."Message",
  public."AIDraft" TO {SERVICE};

CREATE POLICY service_client ON public."Client" FOR SELECT TO {SERVICE}
  USING (id = (SELECT app.service_client_id()));
CREATE POLICY service_member ON public."ClientMember" FOR SELECT TO {SERVICE} USING ({OWN});
CREATE POLICY service_user ON public."User" FOR SELECT TO {SERVICE} USING (
  id IN (SELECT m."userId" FROM public."ClientMember" m WHERE m."clientId" = (SELECT app.service_client_id()))
  OR id IN (SELECT c."ownerUserId" FROM public."Client" c WHERE c.id = (SELECT app.service_client_id()))
);
"""
    + "\n".join(
        f'CREATE POLICY service_all ON public."{table}" FOR ALL TO {SERVICE}'
        f" USING ({OWN}) WITH CHECK ({OWN});"
        for table in WRITABLE
    )
    + f"""

-- Rows never change workspace for the service role either.
CREATE OR REPLACE FUNCTION app.forbid_workspace_move() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  IF current_user IN ('authenticated', '{SERVICE}') THEN
    RAISE EXCEPTION 'permission denied: % rows cannot move to another workspace', TG_TABLE_NAME
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;
"""
)

DOWNGRADE = (
    """
CREATE OR REPLACE FUNCTION app.forbid_workspace_move() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  IF current_user = 'authenticated' THEN
    RAISE EXCEPTION 'permission denied: % rows cannot move to another workspace', TG_TABLE_NAME
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;
"""
    + "\n".join(f'DROP POLICY service_all ON public."{table}";' for table in WRITABLE)
    + f"""
DROP POLICY service_user ON public."User";
DROP POLICY service_member ON public."ClientMember";
DROP POLICY service_client ON public."Client";
REVOKE ALL ON public."Campaign", public."Lead", public."Message", public."AIDraft",
  public."Client", public."ClientMember", public."User" FROM {SERVICE};
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA app FROM {SERVICE};
DROP FUNCTION app.service_client_id();
REVOKE USAGE ON SCHEMA public, app, auth FROM {SERVICE};
"""
)


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)

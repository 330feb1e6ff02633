"""Database roles, Supabase-compatible auth.uid(), access helpers and row level security.

Roles (created only when missing, so a hosted Supabase database keeps its own):
  authenticated  NOLOGIN  - every signed-in request runs as this role (SET LOCAL ROLE).
  anon           NOLOGIN  - unauthenticated requests; granted nothing here.
  authenticator  LOGIN NOINHERIT - the app's runtime connection; neither superuser, owner nor
                 BYPASSRLS. Its own privileges cover only the auth tables (User, RefreshToken).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("Client", "ClientMember", "Campaign", "Lead", "Message", "AIDraft")

ROLES = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticator') THEN
    CREATE ROLE authenticator LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END $$;
GRANT authenticated TO authenticator;
GRANT anon TO authenticator;
"""

# Supabase's own definition; created only where the auth schema does not provide it already.
AUTH_UID = """
CREATE SCHEMA IF NOT EXISTS auth;
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'auth' AND p.proname = 'uid'
  ) THEN
    EXECUTE $f$
      CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $b$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
        )::uuid
      $b$
    $f$;
  END IF;
END $$;
GRANT USAGE ON SCHEMA auth TO authenticated, anon;
GRANT EXECUTE ON FUNCTION auth.uid() TO authenticated, anon;
"""

# Access helpers. SECURITY DEFINER (owned by the table owner, so they read memberships without
# recursing into RLS). Policies call them as ``(SELECT app.f())`` so they run once per statement.
HELPERS = """
CREATE SCHEMA IF NOT EXISTS app;
GRANT USAGE ON SCHEMA app TO authenticated;

CREATE FUNCTION app.role_rank(role text) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE role
    WHEN 'OWNER' THEN 4 WHEN 'ADMIN' THEN 4 WHEN 'INBOX_MANAGER' THEN 3
    WHEN 'SETTER' THEN 1 WHEN 'CLIENT_PORTAL' THEN 0 END
$$;

-- Effective role of the calling user in each workspace they can open (highest wins).
CREATE FUNCTION app.my_workspaces()
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

-- Workspaces where the caller's effective rank is at least min_rank.
CREATE FUNCTION app.client_ids(min_rank int) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT coalesce(array_agg(w."clientId"), '{}') FROM app.my_workspaces() w WHERE w.rank >= min_rank
$$;

-- Workspaces where the caller's effective role is exactly SETTER (lead-level scoping).
CREATE FUNCTION app.setter_client_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT coalesce(array_agg(w."clientId"), '{}') FROM app.my_workspaces() w WHERE w.role = 'SETTER'
$$;

CREATE FUNCTION app.effective_role(client uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT w.role FROM app.my_workspaces() w WHERE w."clientId" = client
$$;

-- Rows never change workspace for signed-in users. RLS alone allows it for anyone who may write
-- in both workspaces (even a SETTER of two clients could move client A's lead into client B,
-- where B's team then reads it): a policy cannot compare the old and new "clientId".
CREATE FUNCTION app.forbid_workspace_move() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  IF current_user = 'authenticated' THEN
    RAISE EXCEPTION 'permission denied: % rows cannot move to another workspace', TG_TABLE_NAME
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA app FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO authenticated;
"""

VISIBLE = '"clientId" = ANY ((SELECT app.client_ids(0))::uuid[])'
NOT_SETTER = 'NOT ("clientId" = ANY ((SELECT app.setter_client_ids())::uuid[]))'
LEAD_SCOPE = f'({NOT_SETTER} OR "assignedToUserId" = (SELECT auth.uid()))'
CHILD_SCOPE = (
    f'({NOT_SETTER} OR EXISTS (SELECT 1 FROM public."Lead" l'
    ' WHERE l.id = "leadId" AND l."assignedToUserId" = (SELECT auth.uid())))'
)


# Columns of "Client" that signed-in users may UPDATE (client_update still requires rank 4).
# "ownerUserId" is not among them: otherwise an ADMIN could make themselves OWNER (and then use
# the owner-only client_delete) or evict the owner. "roundRobinCursor" only moves through
# app.next_round_robin_setter (SECURITY DEFINER); "id" is immutable.
CLIENT_UPDATABLE = "name, settings"

# Tables whose rows carry a "clientId" (see app.forbid_workspace_move).
SCOPED_TABLES = tuple(t for t in TENANT_TABLES if t != "Client")


def rank(min_rank: int, column: str = '"clientId"') -> str:
    return f"{column} = ANY ((SELECT app.client_ids({min_rank}))::uuid[])"


# References to other rows must stay inside the workspace (checked under RLS, so a foreign id
# looks exactly like a missing one: nothing is revealed).
SAME_CAMPAIGN = (
    '("campaignId" IS NULL OR EXISTS (SELECT 1 FROM public."Campaign" c'
    ' WHERE c.id = "campaignId" AND c."clientId" = public."Lead"."clientId"))'
)
SAME_WORKSPACE_REF = {
    "Message": (
        '("aiDraftId" IS NULL OR EXISTS (SELECT 1 FROM public."AIDraft" d'
        ' WHERE d.id = "aiDraftId" AND d."clientId" = public."Message"."clientId"))'
    ),
    "AIDraft": (
        '("triggerMessageId" IS NULL OR EXISTS (SELECT 1 FROM public."Message" m'
        ' WHERE m.id = "triggerMessageId" AND m."clientId" = public."AIDraft"."clientId"))'
    ),
}

POLICIES: list[tuple[str, str, str, str | None, str | None]] = [
    # (table, name, command, USING, WITH CHECK)
    ("Client", "client_select", "SELECT", rank(0, "id"), None),
    ("Client", "client_insert", "INSERT", None, '"ownerUserId" = (SELECT auth.uid())'),
    ("Client", "client_update", "UPDATE", rank(4, "id"), rank(4, "id")),
    ("Client", "client_delete", "DELETE", '"ownerUserId" = (SELECT auth.uid())', None),
    ("ClientMember", "member_select", "SELECT", VISIBLE, None),
    ("ClientMember", "member_insert", "INSERT", None, rank(4)),
    ("ClientMember", "member_update", "UPDATE", rank(4), rank(4)),
    ("ClientMember", "member_delete", "DELETE", rank(4), None),
    ("Campaign", "campaign_select", "SELECT", VISIBLE, None),
    ("Campaign", "campaign_insert", "INSERT", None, rank(3)),
    ("Campaign", "campaign_update", "UPDATE", rank(3), rank(3)),
    ("Campaign", "campaign_delete", "DELETE", rank(4), None),
    ("Lead", "lead_select", "SELECT", f"{VISIBLE} AND {LEAD_SCOPE}", None),
    ("Lead", "lead_insert", "INSERT", None, f"{rank(3)} AND {SAME_CAMPAIGN}"),
    (
        "Lead",
        "lead_update",
        "UPDATE",
        f"{rank(1)} AND {LEAD_SCOPE}",
        f"{rank(1)} AND {LEAD_SCOPE} AND {SAME_CAMPAIGN}",
    ),
    ("Lead", "lead_delete", "DELETE", rank(4), None),
]
for _table, _prefix in (("Message", "message"), ("AIDraft", "draft")):
    _same_lead = (
        'EXISTS (SELECT 1 FROM public."Lead" l'
        f' WHERE l.id = "leadId" AND l."clientId" = public."{_table}"."clientId")'
        f" AND {SAME_WORKSPACE_REF[_table]}"
    )
    POLICIES += [
        (_table, f"{_prefix}_select", "SELECT", f"{VISIBLE} AND {CHILD_SCOPE}", None),
        (_table, f"{_prefix}_insert", "INSERT", None, f"{rank(1)} AND {_same_lead}"),
        (
            _table,
            f"{_prefix}_update",
            "UPDATE",
            f"{rank(1)} AND {CHILD_SCOPE}",
            f"{rank(1)} AND {_same_lead}",
        ),
        (_table, f"{_prefix}_delete", "DELETE", rank(4), None),
    ]

# The User table: the auth service (runtime login role) reads credentials; signed-in users see
# only id/email/displayName of themselves and of people who share a workspace with them.
USER_ACCESS = """
ALTER TABLE public."User" ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."RefreshToken" ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public."User" TO authenticator;
GRANT SELECT, INSERT, UPDATE ON public."RefreshToken" TO authenticator;
CREATE POLICY user_auth_service ON public."User" FOR SELECT TO authenticator USING (true);
CREATE POLICY refresh_auth_service ON public."RefreshToken" TO authenticator
  USING (true) WITH CHECK (true);
GRANT SELECT (id, email, "displayName") ON public."User" TO authenticated;
CREATE POLICY user_select ON public."User" FOR SELECT TO authenticated USING (
  id = (SELECT auth.uid())
  OR id IN (SELECT m."userId" FROM public."ClientMember" m WHERE m."clientId" = ANY ((SELECT app.client_ids(0))::uuid[]))
  OR id IN (SELECT c."ownerUserId" FROM public."Client" c WHERE c.id = ANY ((SELECT app.client_ids(0))::uuid[]))
);
"""


def upgrade() -> None:
    op.execute(ROLES)
    op.execute(AUTH_UID)
    op.execute(HELPERS)
    op.execute("GRANT USAGE ON SCHEMA public TO authenticated, authenticator")
    for table in TENANT_TABLES:
        op.execute(f'ALTER TABLE public."{table}" ENABLE ROW LEVEL SECURITY')
        if table == "Client":
            op.execute(f'GRANT SELECT, INSERT, DELETE ON public."{table}" TO authenticated')
            op.execute(f'GRANT UPDATE ({CLIENT_UPDATABLE}) ON public."{table}" TO authenticated')
        else:
            op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON public."{table}" TO authenticated')
    for table in SCOPED_TABLES:
        op.execute(
            f'CREATE TRIGGER forbid_workspace_move BEFORE UPDATE OF "clientId" ON public."{table}"'
            ' FOR EACH ROW WHEN (OLD."clientId" IS DISTINCT FROM NEW."clientId")'
            " EXECUTE FUNCTION app.forbid_workspace_move()"
        )
    for table, name, command, using, check in POLICIES:
        sql = f'CREATE POLICY {name} ON public."{table}" FOR {command} TO authenticated'
        if using:
            sql += f" USING ({using})"
        if check:
            sql += f" WITH CHECK ({check})"
        op.execute(sql)
    op.execute(USER_ACCESS)


def downgrade() -> None:
    op.execute('DROP POLICY IF EXISTS user_select ON public."User"')
    op.execute('DROP POLICY IF EXISTS user_auth_service ON public."User"')
    op.execute('DROP POLICY IF EXISTS refresh_auth_service ON public."RefreshToken"')
    op.execute(
        'REVOKE ALL ON public."User", public."RefreshToken" FROM authenticated, authenticator'
    )
    op.execute('ALTER TABLE public."User" DISABLE ROW LEVEL SECURITY')
    op.execute('ALTER TABLE public."RefreshToken" DISABLE ROW LEVEL SECURITY')
    for table, name, _command, _using, _check in POLICIES:
        op.execute(f'DROP POLICY IF EXISTS {name} ON public."{table}"')
    for table in SCOPED_TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS forbid_workspace_move ON public."{table}"')
    for table in TENANT_TABLES:
        op.execute(f'REVOKE ALL ON public."{table}" FROM authenticated')
        op.execute(f'ALTER TABLE public."{table}" DISABLE ROW LEVEL SECURITY')
    op.execute("DROP SCHEMA IF EXISTS app CASCADE")
    op.execute("REVOKE USAGE ON SCHEMA public FROM authenticated, authenticator")
    # Roles and auth.uid() are cluster/Supabase-wide and may be shared: they are left in place.

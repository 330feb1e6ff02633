"""Tenant isolation is enforced by PostgreSQL itself (roles + row level security).

Every tenant query here goes through ``inboxapp.db.engine.user_session`` (the runtime login role
switched to ``authenticated`` with the caller's JWT claims), exactly as the app does. State is
built as the owner with ``tests.factories``, once per module. Writes that are expected to succeed
(the positive controls that prove a denial is about tenancy/role and not a broken statement) run
through :func:`attempt`, which rolls back, so the shared state never changes; denials are
followed by an owner-side check that nothing was written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

import inboxapp.db.engine as engine_mod
from inboxapp.config import get_settings, libpq_url, sqlalchemy_url
from inboxapp.db.engine import owner_session, service_session, user_session
from inboxapp.db.models import (
    TENANT_TABLES,
    AIDraft,
    Campaign,
    Client,
    ClientMember,
    Lead,
    Message,
    User,
)
from tests import factories as f

RLS_VIOLATION = "new row violates row-level security policy"
PERMISSION_DENIED = "permission denied"

# Column that names a row's workspace, per table.
CLIENT_COLUMN = {t: '"clientId"' for t in TENANT_TABLES} | {"Client": "id"}


# --------------------------------------------------------------------------------------------
# helpers


class _Rollback(Exception):
    def __init__(self, rowcount: int) -> None:
        super().__init__(rowcount)
        self.rowcount = rowcount


def attempt(user_id: uuid.UUID | str, sql: str, **params: Any) -> int:
    """Run one statement as the user, return the affected row count, then roll back.

    RLS WITH CHECK and foreign keys are checked when the statement runs, so a rolled-back
    success is as conclusive as a committed one.
    """
    try:
        with user_session(user_id) as s:
            raise _Rollback(s.execute(text(sql), params).rowcount)
    except _Rollback as done:
        return done.rowcount


def ids(session: Any, sql: str, **params: Any) -> set[uuid.UUID]:
    return set(session.execute(text(sql), params).scalars().all())


def visible(user_id: uuid.UUID | str, table: str, **where: Any) -> set[uuid.UUID]:
    sql = f'SELECT id FROM "{table}"'
    if where:
        sql += " WHERE " + " AND ".join(f'"{k}" = :{k}' for k in where)
    with user_session(user_id) as s:
        return ids(s, sql, **where)


def owner_scalar(sql: str, **params: Any) -> Any:
    with owner_session() as s:
        return s.execute(text(sql), params).scalar_one()


@contextmanager
def db_error(kind: type[psycopg.Error], message: str) -> Iterator[None]:
    """Expect a database error of exactly this psycopg class whose text contains ``message``."""
    with pytest.raises(DBAPIError) as info:
        yield
    assert isinstance(info.value.orig, kind), repr(info.value.orig)
    assert message in str(info.value.orig), str(info.value.orig)


def rls_violation() -> Any:
    return db_error(psycopg.errors.InsufficientPrivilege, RLS_VIOLATION)


def permission_denied() -> Any:
    return db_error(psycopg.errors.InsufficientPrivilege, PERMISSION_DENIED)


def move_denied() -> Any:
    return db_error(psycopg.errors.InsufficientPrivilege, "cannot move to another workspace")


# --------------------------------------------------------------------------------------------
# state


@dataclass
class Tenant:
    """A workspace: owner, ADMIN and CLIENT_PORTAL members, a row in every tenant table."""

    owner: User
    admin: User
    client: Client
    member: ClientMember  # the CLIENT_PORTAL membership (target of member updates)
    campaign: Campaign
    lead: Lead  # assigned to the admin, with a message and a draft
    spare: Lead  # no messages or drafts (moving it cannot trip a foreign key)
    message: Message
    draft: AIDraft
    ids: dict[str, set[uuid.UUID]] = field(default_factory=dict)

    def user(self, who: str) -> User:
        return self.owner if who == "owner" else self.admin

    def row_id(self, table: str) -> uuid.UUID:
        """The row of ``table`` that update/delete tests aim at."""
        return {
            "Client": self.client.id,
            "ClientMember": self.member.id,
            "Campaign": self.campaign.id,
            "Lead": self.lead.id,
            "Message": self.message.id,
            "AIDraft": self.draft.id,
        }[table]


def make_tenant(name: str) -> Tenant:
    owner, admin = f.create_user(name=f"{name} owner"), f.create_user(name=f"{name} admin")
    client = f.create_workspace(name, owner)
    admin_member = f.add_member(client, admin, "ADMIN")
    member = f.add_member(client, f.create_user(name=f"{name} portal"), "CLIENT_PORTAL")
    campaign = f.create_campaign(client)
    lead = f.create_lead(client, campaignId=campaign.id, assignedToUserId=admin.id)
    spare = f.create_lead(client)
    message = f.create_message(lead)
    draft = f.create_draft(lead, triggerMessageId=message.id)
    tenant = Tenant(owner, admin, client, member, campaign, lead, spare, message, draft)
    tenant.ids = {
        "Client": {client.id},
        "ClientMember": {admin_member.id, member.id},
        "Campaign": {campaign.id},
        "Lead": {lead.id, spare.id},
        "Message": {message.id},
        "AIDraft": {draft.id},
    }
    return tenant


@pytest.fixture(scope="module")
def tenants() -> tuple[Tenant, Tenant]:
    """Two workspaces, A and B, shared by the module (tests must not commit changes)."""
    return make_tenant("A"), make_tenant("B")


# --------------------------------------------------------------------------------------------
# 1. roles: the runtime connection has no path to tenant data without claims


def test_runtime_role_is_not_superuser_bypassrls_or_owner() -> None:
    """Neither the login role nor any role it can SET ROLE to bypasses RLS or owns a table."""
    with psycopg.connect(libpq_url(get_settings().runtime_url)) as conn:
        me = conn.execute("SELECT current_user, session_user").fetchone()
        reachable = conn.execute(
            "SELECT rolname, rolsuper, rolbypassrls, rolinherit FROM pg_roles"
            " WHERE pg_has_role(current_user, oid, 'MEMBER') ORDER BY rolname"
        ).fetchall()
        owned = conn.execute(
            "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND pg_has_role(current_user, c.relowner, 'MEMBER')"
        ).fetchall()
        table_owners = conn.execute(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    assert me == ("authenticator", "authenticator")
    assert reachable == [
        ("anon", False, False, False),
        ("authenticated", False, False, False),
        ("authenticator", False, False, False),
        ("inboxapp_service", False, False, False),  # system work in one workspace (0009)
    ]
    assert owned == []
    assert {t for t, _ in table_owners} >= set(TENANT_TABLES) | {"User", "RefreshToken"}
    assert {o for _, o in table_owners}.isdisjoint(
        {"authenticator", "authenticated", "anon", "inboxapp_service"}
    )


def test_user_session_runs_as_authenticated_with_the_callers_uid(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, _ = tenants
    with user_session(a.owner.id) as s:
        row = s.execute(text("SELECT current_user, session_user, auth.uid()")).one()
    assert tuple(row) == ("authenticated", "authenticator", a.owner.id)


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_runtime_role_without_claims_cannot_read_tenant_tables(
    tenants: tuple[Tenant, Tenant], table: str
) -> None:
    with permission_denied(), service_session() as s:
        s.execute(text(f'SELECT id FROM "{table}"')).all()


def test_runtime_role_reads_user_for_auth_but_cannot_change_it(
    tenants: tuple[Tenant, Tenant],
) -> None:
    """The auth service (runtime role, no claims) reads User; it cannot change it."""
    user = tenants[0].owner
    with service_session() as s:
        row = s.execute(
            text('SELECT email, "passwordHash" IS NOT NULL FROM "User" WHERE id = :i'),
            {"i": user.id},
        ).one()
    assert tuple(row) == (user.email, True)
    with permission_denied(), service_session() as s:
        s.execute(text('UPDATE "User" SET "displayName" = \'x\' WHERE id = :i'), {"i": user.id})


def test_authenticated_without_claims_sees_nothing(tenants: tuple[Tenant, Tenant]) -> None:
    """SET ROLE authenticated but no claims: auth.uid() is NULL and every policy filters out."""
    a, _ = tenants
    with psycopg.connect(libpq_url(get_settings().runtime_url)) as conn:
        conn.execute("SET ROLE authenticated")
        assert conn.execute("SELECT auth.uid()").fetchone() == (None,)
        for table in TENANT_TABLES:
            assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (0,), table
        assert conn.execute('SELECT count(*) FROM "User"').fetchone() == (0,)
        cur = conn.execute('UPDATE "Lead" SET "firstName" = \'x\' WHERE id = %s', [a.lead.id])
        assert cur.rowcount == 0
        conn.rollback()


def test_anon_role_has_no_access(tenants: tuple[Tenant, Tenant]) -> None:
    with psycopg.connect(libpq_url(get_settings().runtime_url)) as conn:
        for table in [*TENANT_TABLES, "User", "RefreshToken"]:
            conn.execute("SET ROLE anon")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1')
            conn.rollback()


@pytest.fixture
def single_connection_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Force the runtime pool down to one connection so consecutive sessions share it."""
    engine = create_engine(sqlalchemy_url(get_settings().runtime_url), pool_size=1, max_overflow=0)
    monkeypatch.setattr(engine_mod, "runtime_engine", lambda: engine)
    yield
    engine.dispose()


STATE_SQL = "SELECT pg_backend_pid(), current_user, current_setting('request.jwt.claims', true)"
# Later, become ``authenticated`` again without claims: auth.uid() must then be NULL.
BECOME_AUTHENTICATED = "SELECT set_config('role', 'authenticated', true)"


def assert_clean(pid: int) -> None:
    """A new transaction on the (single) pooled connection carries no role and no claims."""
    with service_session() as s:
        backend, role, claims = s.execute(text(STATE_SQL)).one()
        with permission_denied():
            s.execute(text('SELECT id FROM "Lead"'))
    assert backend == pid  # really the same pooled connection
    assert role == "authenticator"
    assert claims in (None, "")
    with service_session() as s:
        s.execute(text(BECOME_AUTHENTICATED))
        assert s.execute(text("SELECT auth.uid()")).scalar_one() is None
        assert ids(s, 'SELECT id FROM "Lead"') == set()


@pytest.mark.usefixtures("single_connection_engine")
def test_claims_do_not_leak_to_the_next_transaction_on_the_pooled_connection(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, b = tenants
    with user_session(a.owner.id) as s:
        pid, role, claims = s.execute(text(STATE_SQL)).one()
        uid = s.execute(text("SELECT auth.uid()")).scalar_one()
        assert ids(s, 'SELECT id FROM "Lead"') == a.ids["Lead"]
    assert (role, uid) == ("authenticated", a.owner.id)
    assert str(a.owner.id) in claims
    assert_clean(pid)

    # A failed user transaction must not leak either.
    with pytest.raises(RuntimeError, match="boom"), user_session(a.owner.id) as s:
        s.execute(text("SELECT 1"))
        raise RuntimeError("boom")
    assert_clean(pid)

    # The next user on the same connection sees only their own data.
    with user_session(b.owner.id) as s:
        assert s.execute(text(STATE_SQL)).one()[0] == pid
        assert ids(s, 'SELECT id FROM "Lead"') == b.ids["Lead"]


# --------------------------------------------------------------------------------------------
# 2. cross-tenant isolation (acting user: owner of A, or ADMIN member of A; rank 4 in A only)

WHO = pytest.mark.parametrize("who", ["owner", "admin"])


@WHO
@pytest.mark.parametrize("table", TENANT_TABLES)
def test_cannot_read_other_workspace(tenants: tuple[Tenant, Tenant], who: str, table: str) -> None:
    a, b = tenants
    col = CLIENT_COLUMN[table]
    by_client = f'SELECT id FROM "{table}" WHERE {col} = :c'
    by_id = f'SELECT id FROM "{table}" WHERE id = ANY(:ids)'
    with user_session(a.user(who).id) as s:
        assert ids(s, f'SELECT id FROM "{table}"') == a.ids[table]
        assert ids(s, by_client, c=b.client.id) == set()
        assert ids(s, by_id, ids=list(b.ids[table])) == set()
        assert ids(s, by_client, c=a.client.id) == a.ids[table]
    # Control: the same filters find B's rows for B's own user.
    with user_session(b.user(who).id) as s:
        assert ids(s, by_client, c=b.client.id) == b.ids[table]
        assert ids(s, by_id, ids=list(b.ids[table])) == b.ids[table]


@WHO
def test_cannot_read_other_workspace_through_joins(
    tenants: tuple[Tenant, Tenant], who: str
) -> None:
    a, b = tenants
    with user_session(a.user(who).id) as s:
        rows = s.execute(
            text(
                'SELECT l.id, m.id, d.id FROM "Lead" l'
                ' LEFT JOIN "Message" m ON m."leadId" = l.id'
                ' LEFT JOIN "AIDraft" d ON d."leadId" = l.id'
                " WHERE l.id = ANY(:leads)"
            ),
            {"leads": [a.lead.id, b.lead.id]},
        ).all()
    assert [tuple(r) for r in rows] == [(a.lead.id, a.message.id, a.draft.id)]


MSG_COLS = '("clientId", "leadId", channel, source, direction, body)'
INSERTS: dict[str, str] = {
    "lead": 'INSERT INTO "Lead" ("clientId", "firstName") VALUES (:client, :marker)',
    "message": f"INSERT INTO \"Message\" {MSG_COLS} VALUES (:client, :lead, 'email', 'zrg',"
    " 'outbound', :marker)",
    "draft": 'INSERT INTO "AIDraft" ("clientId", "leadId", body) VALUES (:client, :lead, :marker)',
    "member": 'INSERT INTO "ClientMember" ("clientId", "userId", role)'
    " VALUES (:client, :user, 'INBOX_MANAGER')",
    "campaign": 'INSERT INTO "Campaign" ("clientId", name) VALUES (:client, :marker)',
}
WRITTEN: dict[str, str] = {
    "lead": 'SELECT count(*) FROM "Lead" WHERE "firstName" = :marker',
    "message": 'SELECT count(*) FROM "Message" WHERE body = :marker',
    "draft": 'SELECT count(*) FROM "AIDraft" WHERE body = :marker',
    "member": 'SELECT count(*) FROM "ClientMember" WHERE "clientId" = :client AND "userId" = :user',
    "campaign": 'SELECT count(*) FROM "Campaign" WHERE name = :marker',
}


@WHO
@pytest.mark.parametrize(
    ("kind", "target"),
    [
        ("lead", "B"),
        ("message", "B"),  # B's clientId and B's lead
        ("message", "A-client-B-lead"),  # own clientId, pointing at B's lead
        ("draft", "B"),
        ("draft", "A-client-B-lead"),
        ("member", "B"),  # add oneself to B
        ("campaign", "B"),
    ],
)
def test_cannot_insert_into_other_workspace(
    tenants: tuple[Tenant, Tenant], who: str, kind: str, target: str
) -> None:
    a, b = tenants
    actor = a.user(who)
    attack = {
        "client": b.client.id if target == "B" else a.client.id,
        "lead": b.lead.id,
        "user": actor.id,
        "marker": f"attack-{uuid.uuid4().hex}",
    }
    with rls_violation():
        attempt(actor.id, INSERTS[kind], **attack)
    assert owner_scalar(WRITTEN[kind], **attack) == 0

    # Control: the same statement aimed at the actor's own workspace succeeds.
    # (For "member": A's owner/admin may add any user to A, here B's owner.)
    own = {"client": a.client.id, "lead": a.lead.id, "user": b.owner.id, "marker": "own"}
    assert attempt(actor.id, INSERTS[kind], **own) == 1


@WHO
def test_cannot_create_workspace_in_someone_elses_name(
    tenants: tuple[Tenant, Tenant], who: str
) -> None:
    a, b = tenants
    marker = f"ws-{uuid.uuid4().hex}"
    sql = 'INSERT INTO "Client" (name, "ownerUserId") VALUES (:n, :o)'
    with rls_violation():
        attempt(a.user(who).id, sql, n=marker, o=b.owner.id)
    assert owner_scalar('SELECT count(*) FROM "Client" WHERE name = :n', n=marker) == 0
    assert attempt(a.user(who).id, sql, n=marker, o=a.user(who).id) == 1  # control


UPDATES: dict[str, str] = {
    "Client": "name = :marker",
    "ClientMember": "role = 'ADMIN'",  # promote the CLIENT_PORTAL member
    "Campaign": "name = :marker",
    "Lead": '"firstName" = :marker',
    "Message": "body = :marker",
    "AIDraft": "body = :marker",
}
SNAPSHOT: dict[str, str] = {
    "Client": "name",
    "ClientMember": "role",
    "Campaign": "name",
    "Lead": '"firstName"',
    "Message": "body",
    "AIDraft": "body",
}


@WHO
@pytest.mark.parametrize("table", TENANT_TABLES)
def test_cannot_update_or_delete_other_workspace(
    tenants: tuple[Tenant, Tenant], who: str, table: str
) -> None:
    a, b = tenants
    actor = a.user(who).id
    b_id = b.row_id(table)
    col = CLIENT_COLUMN[table]
    snapshot = f'SELECT {SNAPSHOT[table]} FROM "{table}" WHERE id = :i'
    before = owner_scalar(snapshot, i=b_id)
    marker = f"attack-{uuid.uuid4().hex}"

    update = f'UPDATE "{table}" SET {UPDATES[table]}'
    assert attempt(actor, f"{update} WHERE id = :i", i=b_id, marker=marker) == 0
    assert attempt(actor, f"{update} WHERE {col} = :c", c=b.client.id, marker=marker) == 0
    assert attempt(actor, f'DELETE FROM "{table}" WHERE id = :i', i=b_id) == 0
    assert attempt(actor, f'DELETE FROM "{table}" WHERE {col} = :c', c=b.client.id) == 0
    assert owner_scalar(snapshot, i=b_id) == before
    assert owner_scalar(f'SELECT count(*) FROM "{table}" WHERE {col} = :c', c=b.client.id) == len(
        b.ids[table]
    )

    # Control: the same statements on the actor's own row change exactly one row.
    assert attempt(actor, f"{update} WHERE id = :i", i=a.row_id(table), marker=marker) == 1
    # Every other own row can be deleted (deleting the workspace: see the test below).
    if table != "Client":
        assert attempt(actor, f'DELETE FROM "{table}" WHERE id = :i', i=a.row_id(table)) == 1


MOVES = {
    "Lead": '"clientId" = :b',
    "Campaign": '"clientId" = :b',
    "ClientMember": '"clientId" = :b',
    "Message": '"clientId" = :b, "leadId" = :bl',
    "AIDraft": '"clientId" = :b, "leadId" = :bl',
}


# Without a WHERE clause only the UPDATE policy's WITH CHECK guards the new rows (a WHERE that
# reads columns also applies the SELECT policy to them, which would hide a broken WITH CHECK).
@WHO
@pytest.mark.parametrize("where", ["WHERE id = :i", ""])
@pytest.mark.parametrize("table", sorted(MOVES))
def test_cannot_move_own_rows_into_other_workspace(
    tenants: tuple[Tenant, Tenant], who: str, table: str, where: str
) -> None:
    a, b = tenants
    actor = a.user(who).id
    # The spare lead has no messages or drafts, so no foreign key can be the reason.
    row_id = a.spare.id if table == "Lead" else a.row_id(table)
    sql = f'UPDATE "{table}" SET {MOVES[table]} {where}'
    with move_denied():
        attempt(actor, sql, b=b.client.id, bl=b.lead.id, i=row_id)
    assert owner_scalar(f'SELECT "clientId" FROM "{table}" WHERE id = :i', i=row_id) == a.client.id


# Who may UPDATE the table at all (RLS), by member role.
CAN_UPDATE = {
    "Lead": {"SETTER", "INBOX_MANAGER", "ADMIN"},  # the lead is assigned to the member
    "Message": {"SETTER", "INBOX_MANAGER", "ADMIN"},
    "AIDraft": {"SETTER", "INBOX_MANAGER", "ADMIN"},
    "Campaign": {"INBOX_MANAGER", "ADMIN"},
    "ClientMember": {"ADMIN"},
}


@pytest.mark.parametrize("role", ["SETTER", "INBOX_MANAGER", "ADMIN"])
@pytest.mark.parametrize("table", sorted(MOVES))
def test_member_of_both_workspaces_cannot_move_rows_between_them(role: str, table: str) -> None:
    """RLS would allow it (write access on both sides): rows still never change workspace."""
    wa, wb = f.create_workspace("A2"), f.create_workspace("B2")
    both = f.create_user(name="member of A2 and B2")
    f.add_member(wa, both, role)
    f.add_member(wb, both, role)
    lead = f.create_lead(wa, assignedToUserId=both.id)
    rows = {
        "Lead": f.create_lead(wa, assignedToUserId=both.id).id,  # no children
        "Campaign": f.create_campaign(wa).id,
        "ClientMember": f.add_member(wa, f.create_user(), "CLIENT_PORTAL").id,
        "Message": f.create_message(lead).id,
        "AIDraft": f.create_draft(lead).id,
    }
    target = f.create_lead(wb, assignedToUserId=both.id)
    move = f'UPDATE "{table}" SET {MOVES[table]} WHERE id = :i'
    params = {"b": wb.id, "bl": target.id, "i": rows[table]}
    can = role in CAN_UPDATE[table]
    if can:
        with move_denied():
            attempt(both.id, move, **params)
    else:
        assert attempt(both.id, move, **params) == 0
    row = f'SELECT "clientId" FROM "{table}" WHERE id = :i'
    assert owner_scalar(row, i=rows[table]) == wa.id
    # Control: the same row can be updated while it stays in its workspace.
    same = f'UPDATE "{table}" SET "clientId" = :a WHERE id = :i'
    assert attempt(both.id, same, a=wa.id, i=rows[table]) == int(can)


# --------------------------------------------------------------------------------------------
# 3. roles inside one workspace (SETTER scoping, highest role wins, write permissions)


@dataclass
class Team:
    client: Client
    users: dict[str, User]
    leads: dict[str, Lead]
    messages: dict[str, Message]
    drafts: dict[str, AIDraft]
    other: Client  # a second workspace where "setter" is INBOX_MANAGER
    other_lead: Lead
    outsider: User  # owns "other", shares nothing with the team workspace


@pytest.fixture(scope="module")
def team() -> Team:
    """One workspace with every role, shared by the module (tests must not commit changes)."""
    users = {
        k: f.create_user(name=k)
        for k in ("owner", "admin", "manager", "setter", "setter2", "dual", "portal")
    }
    ws = f.create_workspace("Team", users["owner"])
    f.add_member(ws, users["admin"], "ADMIN")
    f.add_member(ws, users["manager"], "INBOX_MANAGER")
    f.add_member(ws, users["setter"], "SETTER")
    f.add_member(ws, users["setter2"], "SETTER")
    f.add_member(ws, users["dual"], "SETTER")
    f.add_member(ws, users["dual"], "INBOX_MANAGER")
    f.add_member(ws, users["portal"], "CLIENT_PORTAL")
    leads = {
        "setter": f.create_lead(ws, assignedToUserId=users["setter"].id),
        "setter2": f.create_lead(ws, assignedToUserId=users["setter2"].id),
        "none": f.create_lead(ws),
    }
    messages = {k: f.create_message(lead) for k, lead in leads.items()}
    drafts = {k: f.create_draft(lead) for k, lead in leads.items()}
    outsider = f.create_user(name="outsider")
    other = f.create_workspace("Other", outsider)
    f.add_member(other, users["setter"], "INBOX_MANAGER")
    other_lead = f.create_lead(other, assignedToUserId=users["setter2"].id)
    return Team(ws, users, leads, messages, drafts, other, other_lead, outsider)


ALL = {"setter", "setter2", "none"}
SEES = {
    "owner": ALL,
    "admin": ALL,
    "manager": ALL,
    "dual": ALL,  # SETTER + INBOX_MANAGER: the highest role wins
    "portal": ALL,
    "setter": {"setter"},
    "setter2": {"setter2"},
}


@pytest.mark.parametrize("who", sorted(SEES))
def test_lead_message_and_draft_visibility_by_role(team: Team, who: str) -> None:
    def expect(rows: dict[str, Any]) -> set[uuid.UUID]:
        return {rows[k].id for k in SEES[who]}

    user, c = team.users[who].id, team.client.id
    assert visible(user, "Lead", clientId=c) == expect(team.leads)
    assert visible(user, "Message", clientId=c) == expect(team.messages)
    assert visible(user, "AIDraft", clientId=c) == expect(team.drafts)
    with user_session(user) as s:
        count = s.execute(text('SELECT count(*) FROM "Lead" WHERE "clientId" = :c'), {"c": c})
        assert count.scalar_one() == len(SEES[who])
        # Asking for hidden rows by id returns nothing either.
        by_id = 'SELECT id FROM "Message" WHERE "leadId" = ANY(:l)'
        assert ids(s, by_id, l=[ld.id for ld in team.leads.values()]) == expect(team.messages)


def test_setter_scope_is_per_workspace(team: Team) -> None:
    """SETTER in one workspace, INBOX_MANAGER in another: scoped only where the role is SETTER."""
    setter = team.users["setter"]
    assert visible(setter.id, "Lead") == {team.leads["setter"].id, team.other_lead.id}
    # setter2 is assigned other_lead but is no member of that workspace: assignment grants nothing.
    assert visible(team.users["setter2"].id, "Lead") == {team.leads["setter2"].id}
    with user_session(setter.id) as s:
        roles = s.execute(
            text("SELECT app.effective_role(:a), app.effective_role(:b)"),
            {"a": team.client.id, "b": team.other.id},
        ).one()
    assert tuple(roles) == ("SETTER", "INBOX_MANAGER")


@pytest.mark.parametrize(
    ("who", "role"),
    [
        ("owner", "OWNER"),
        ("admin", "ADMIN"),
        ("manager", "INBOX_MANAGER"),
        ("dual", "INBOX_MANAGER"),
        ("setter", "SETTER"),
        ("portal", "CLIENT_PORTAL"),
    ],
)
def test_effective_role_is_the_highest(team: Team, who: str, role: str) -> None:
    with user_session(team.users[who].id) as s:
        got = s.execute(text("SELECT app.effective_role(:c)"), {"c": team.client.id}).scalar()
    assert got == role


def test_setter_cannot_touch_leads_of_others(team: Team) -> None:
    setter = team.users["setter"].id
    mine, theirs, free = (team.leads[k].id for k in ("setter", "setter2", "none"))
    upd = 'UPDATE "Lead" SET "firstName" = :n WHERE id = :i'
    assert attempt(setter, upd, n="x", i=theirs) == 0
    assert attempt(setter, upd, n="x", i=free) == 0
    assert attempt(setter, upd, n="mine", i=mine) == 1  # control
    # Messages and drafts of other leads are invisible to updates and deletes as well.
    for table in ("Message", "AIDraft"):
        for lead, n in ((theirs, 0), (free, 0), (mine, 1)):
            sql = f'UPDATE "{table}" SET body = :b WHERE "leadId" = :i'
            assert attempt(setter, sql, b="x", i=lead) == n, (table, lead)
        assert attempt(setter, f'DELETE FROM "{table}" WHERE "leadId" = :i', i=mine) == 0


# Without a WHERE clause only the UPDATE policy's WITH CHECK guards the new row (the SELECT
# policy is applied to new rows only when the statement reads columns).
@pytest.mark.parametrize("where", ["WHERE id = :i", ""])
@pytest.mark.parametrize("new_assignee", ["setter2", "nobody"])
def test_setter_cannot_reassign_own_lead(team: Team, new_assignee: str, where: str) -> None:
    setter = team.users["setter"].id
    lead = team.leads["setter"].id
    target = team.users[new_assignee].id if new_assignee != "nobody" else None
    with rls_violation():
        attempt(setter, f'UPDATE "Lead" SET "assignedToUserId" = :t {where}', t=target, i=lead)
    assert owner_scalar('SELECT "assignedToUserId" FROM "Lead" WHERE id = :i', i=lead) == setter


@pytest.mark.parametrize("where", ['WHERE "leadId" = :mine', ""])
@pytest.mark.parametrize("table", ["Message", "AIDraft"])
def test_setter_cannot_move_messages_or_drafts_to_leads_of_others(
    team: Team, table: str, where: str
) -> None:
    """Same workspace, so the (leadId, clientId) foreign key allows it: RLS must not."""
    setter = team.users["setter"].id
    mine, theirs = team.leads["setter"].id, team.leads["setter2"].id
    with rls_violation():
        attempt(
            setter, f'UPDATE "{table}" SET "leadId" = :theirs {where}', theirs=theirs, mine=mine
        )
    moved = f'SELECT count(*) FROM "{table}" WHERE "leadId" = :l'
    assert owner_scalar(moved, l=theirs) == 1
    # Control: a manager may move it (both leads are visible to them).
    sql = f'UPDATE "{table}" SET "leadId" = :theirs WHERE "leadId" = :mine'
    assert attempt(team.users["manager"].id, sql, theirs=theirs, mine=mine) == 1


@pytest.mark.parametrize(
    ("who", "can"),
    [
        ("owner", True),
        ("admin", True),
        ("manager", True),
        ("dual", True),
        ("setter", False),  # the lead is not assigned to them
        ("portal", False),
    ],
)
def test_who_can_update_an_unassigned_lead(team: Team, who: str, can: bool) -> None:
    sql = 'UPDATE "Lead" SET status = :m WHERE id = :i'
    assert attempt(team.users[who].id, sql, m=f"by-{who}", i=team.leads["none"].id) == int(can)


def test_client_portal_cannot_update_or_delete_anything(team: Team) -> None:
    portal, c = team.users["portal"].id, team.client.id
    for table in ("Lead", "Message", "AIDraft", "Campaign", "ClientMember", "Client"):
        col, same = CLIENT_COLUMN[table], SNAPSHOT[table]
        sql = f'UPDATE "{table}" SET {same} = {same} WHERE {col} = :c'
        assert attempt(portal, sql, c=c) == 0, table
        assert attempt(portal, f'DELETE FROM "{table}" WHERE {col} = :c', c=c) == 0, table
    assert owner_scalar('SELECT count(*) FROM "Lead" WHERE "clientId" = :c', c=c) == 3
    # Control: the manager's identical lead update does touch all three leads.
    assert (
        attempt(team.users["manager"].id, 'UPDATE "Lead" SET id = id WHERE "clientId" = :c', c=c)
        == 3
    )


@pytest.mark.parametrize(
    ("who", "lead", "can"),
    [
        ("owner", "setter", True),
        ("manager", "none", True),
        ("dual", "setter2", True),
        ("setter", "setter", True),
        ("setter", "setter2", False),
        ("setter", "none", False),
        ("portal", "setter", False),
        ("portal", "none", False),
    ],
)
def test_who_can_insert_messages_and_drafts(team: Team, who: str, lead: str, can: bool) -> None:
    user = team.users[who].id
    params = {"client": team.client.id, "lead": team.leads[lead].id}
    for kind in ("message", "draft"):
        marker = f"{kind}-{uuid.uuid4().hex}"
        if can:
            assert attempt(user, INSERTS[kind], marker=marker, **params) == 1
        else:
            with rls_violation():
                attempt(user, INSERTS[kind], marker=marker, **params)
            assert owner_scalar(WRITTEN[kind], marker=marker) == 0


@pytest.mark.parametrize("who", ["owner", "admin", "manager", "dual", "setter", "portal"])
def test_who_can_insert_leads(team: Team, who: str) -> None:
    can = who in ("owner", "admin", "manager", "dual")
    params = {"client": team.client.id, "marker": f"lead-{uuid.uuid4().hex}"}
    if can:
        assert attempt(team.users[who].id, INSERTS["lead"], **params) == 1
    else:
        with rls_violation():
            attempt(team.users[who].id, INSERTS["lead"], **params)


@pytest.mark.parametrize("who", ["owner", "admin", "manager", "dual", "setter", "portal"])
def test_only_admin_or_owner_can_add_members(team: Team, who: str) -> None:
    can = who in ("owner", "admin")
    params = {"client": team.client.id, "user": team.outsider.id}
    if can:
        assert attempt(team.users[who].id, INSERTS["member"], **params) == 1
    else:
        with rls_violation():
            attempt(team.users[who].id, INSERTS["member"], **params)
        assert owner_scalar(WRITTEN["member"], **params) == 0


@pytest.mark.parametrize("who", ["manager", "setter", "portal"])
def test_non_admins_cannot_promote_themselves(team: Team, who: str) -> None:
    user = team.users[who].id
    sql = 'UPDATE "ClientMember" SET role = \'ADMIN\' WHERE "userId" = :u AND "clientId" = :c'
    assert attempt(user, sql, u=user, c=team.client.id) == 0
    # Control: an ADMIN can change that membership.
    assert attempt(team.users["admin"].id, sql, u=user, c=team.client.id) == 1


@pytest.mark.parametrize("who", ["owner", "admin"])
@pytest.mark.parametrize(
    "assignment",
    ['"ownerUserId" = auth.uid()', '"ownerUserId" = NULL', '"roundRobinCursor" = 7', "id = id"],
)
def test_workspace_owner_cursor_and_id_are_not_user_writable(
    team: Team, who: str, assignment: str
) -> None:
    """An ADMIN must not become OWNER (owner-only delete) or evict the owner."""
    user, c = team.users[who].id, team.client.id
    with permission_denied():
        attempt(user, f'UPDATE "Client" SET {assignment} WHERE id = :c', c=c)
    row = 'SELECT "ownerUserId", "roundRobinCursor" FROM "Client" WHERE id = :c'
    with owner_session() as s:
        owner, cursor = s.execute(text(row), {"c": c}).one()
    assert (owner, cursor) == (team.users["owner"].id, 0)
    # Control: name and settings stay editable by rank 4.
    settings = '{"roundRobinEnabled": false, "timezone": "UTC"}'
    sql = 'UPDATE "Client" SET name = :n, settings = CAST(:s AS jsonb) WHERE id = :c'
    assert attempt(user, sql, n=f"by {who}", s=settings, c=c) == 1


@pytest.mark.parametrize("who", ["admin", "manager", "dual", "setter", "portal"])
def test_only_the_owner_can_delete_the_workspace(team: Team, who: str) -> None:
    sql = 'DELETE FROM "Client" WHERE id = :c'
    assert attempt(team.users[who].id, sql, c=team.client.id) == 0
    assert owner_scalar('SELECT count(*) FROM "Client" WHERE id = :c', c=team.client.id) == 1


def test_owner_can_delete_an_empty_workspace(tenants: tuple[Tenant, Tenant]) -> None:
    owner = tenants[0].owner
    empty = f.create_workspace("Empty", owner)
    assert attempt(owner.id, 'DELETE FROM "Client" WHERE id = :c', c=empty.id) == 1


def test_owner_can_delete_a_workspace_with_leads(team: Team) -> None:
    sql = 'DELETE FROM "Client" WHERE id = :c'
    assert attempt(team.users["owner"].id, sql, c=team.client.id) == 1


@pytest.mark.parametrize("who", ["manager", "dual", "setter", "portal"])
def test_only_rank_4_can_edit_the_workspace(team: Team, who: str) -> None:
    sql = 'UPDATE "Client" SET name = :n WHERE id = :c'
    assert attempt(team.users[who].id, sql, n="renamed", c=team.client.id) == 0
    assert attempt(team.users["admin"].id, sql, n="renamed", c=team.client.id) == 1  # control


# --------------------------------------------------------------------------------------------
# 4. the User table


def test_user_directory_is_limited_to_workspace_colleagues() -> None:
    a, b, c, d, loner = (f.create_user(name=n) for n in ("a", "b", "c", "d", "loner"))
    w1 = f.create_workspace("W1", a)  # a owns, b is a member
    f.add_member(w1, b, "SETTER")
    w2 = f.create_workspace("W2", c)  # c owns, d is a member; nobody shared with a/b
    f.add_member(w2, d, "CLIENT_PORTAL")
    expected = [(a, [a, b]), (b, [a, b]), (c, [c, d]), (d, [c, d]), (loner, [loner])]
    for user, peers in expected:
        with user_session(user.id) as s:
            rows = s.execute(text('SELECT id, email, "displayName" FROM "User"')).all()
        assert {tuple(r) for r in rows} == {(p.id, p.email, p.displayName) for p in peers}, (
            user.displayName
        )


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "passwordHash" FROM "User"',
        'SELECT * FROM "User"',
        'SELECT "disabledAt" FROM "User"',
        'SELECT id FROM "User" WHERE "passwordHash" IS NOT NULL',
        'UPDATE "User" SET "displayName" = \'x\'',
        'UPDATE "User" SET "passwordHash" = \'x\' WHERE id = auth.uid()',
        "INSERT INTO \"User\" (email, \"displayName\") VALUES ('x@example.test', 'x')",
        'DELETE FROM "User"',
        'SELECT id FROM "RefreshToken"',
    ],
)
def test_user_credentials_are_never_exposed_to_authenticated(
    tenants: tuple[Tenant, Tenant], sql: str
) -> None:
    with permission_denied():
        attempt(tenants[0].owner.id, sql)


# --------------------------------------------------------------------------------------------
# 5. nobody sees anything without a membership


@pytest.mark.parametrize("who", ["no memberships", "random uuid"])
def test_user_without_membership_sees_nothing(tenants: tuple[Tenant, Tenant], who: str) -> None:
    loner = f.create_user()
    user_id = loner.id if who == "no memberships" else uuid.uuid4()
    with user_session(user_id) as s:
        for table in TENANT_TABLES:
            assert s.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one() == 0, table
        users = ids(s, 'SELECT id FROM "User"')
        workspaces = s.execute(text("SELECT count(*) FROM app.my_workspaces()")).scalar_one()
    assert users == ({loner.id} if who == "no memberships" else set())
    assert workspaces == 0
    a = tenants[0]
    for table in ("Lead", "Campaign", "ClientMember"):
        col = CLIENT_COLUMN[table]
        sql = f'UPDATE "{table}" SET id = id WHERE {col} = :c'
        assert attempt(user_id, sql, c=a.client.id) == 0
    for kind in ("lead", "campaign"):
        with rls_violation():
            attempt(user_id, INSERTS[kind], client=a.client.id, marker="x")


def test_references_to_another_workspace_are_refused() -> None:
    """campaignId / aiDraftId / triggerMessageId must point inside the row's workspace."""
    owner_a, owner_b = f.create_user(), f.create_user()
    a, b = f.create_workspace("RefA", owner_a), f.create_workspace("RefB", owner_b)
    campaign_b = f.create_campaign(b)
    lead_a, lead_b = f.create_lead(a), f.create_lead(b)
    draft_b = f.create_draft(lead_b)
    message_b = f.create_message(lead_b)
    statements = [
        ('INSERT INTO "Lead" ("clientId", "campaignId") VALUES (:a, :x)', campaign_b.id),
        ('UPDATE "Lead" SET "campaignId" = :x WHERE "clientId" = :a', campaign_b.id),
        (
            'INSERT INTO "Message" ("clientId", "leadId", channel, source, direction, body,'
            " \"aiDraftId\") VALUES (:a, :l, 'email', 'zrg', 'outbound', 'x', :x)",
            draft_b.id,
        ),
        (
            'INSERT INTO "AIDraft" ("clientId", "leadId", body, "triggerMessageId")'
            " VALUES (:a, :l, 'x', :x)",
            message_b.id,
        ),
    ]
    for sql, foreign in statements:
        with pytest.raises(DBAPIError) as err, user_session(owner_a.id) as s:
            s.execute(text(sql), {"a": a.id, "l": lead_a.id, "x": foreign})
        assert "row-level security" in str(err.value)
    own_campaign = f.create_campaign(a)
    with user_session(owner_a.id) as s:  # the same statement inside the workspace works
        s.execute(
            text('UPDATE "Lead" SET "campaignId" = :x WHERE id = :l'),
            {"x": own_campaign.id, "l": lead_a.id},
        )

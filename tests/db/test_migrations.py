"""Migrations on scratch databases: up from empty, down to base, up again; RLS on every table;
policies in the once-per-statement form; no drift between the SQLModel models and the migrations.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import inboxapp.db.schema  # noqa: F401  (registers every table on SQLModel.metadata)
from inboxapp.config import libpq_url, sqlalchemy_url
from inboxapp.db.migrate import alembic_config, downgrade, upgrade

# Every table the models define lives in public; the core ones must be among them.
APP_TABLES = set(SQLModel.metadata.tables)
CORE_TABLES = {"User", "RefreshToken", "Client", "ClientMember", "Campaign", "Lead", "Message"}
CORE_TABLES |= {"AIDraft"}
APP_ROLES = ["authenticated", "authenticator", "anon", "inboxapp_service"]


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextmanager
def _scratch(database_url: str) -> Iterator[str]:
    """An empty database next to the test database (created/dropped as the superuser)."""
    name = f"inboxapp_mig_{secrets.token_hex(4)}"
    admin = libpq_url(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield libpq_url(_with_db(database_url, name))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scratch_db(database_url: str) -> Iterator[str]:
    with _scratch(database_url) as url:
        yield url


@pytest.fixture(scope="module")
def migrated_db(database_url: str) -> Iterator[str]:
    """A scratch database upgraded to head once for the read-only checks of this module."""
    with _scratch(database_url) as url:
        upgrade("head", url=sqlalchemy_url(url))
        yield url


def head() -> str:
    script = ScriptDirectory.from_config(alembic_config())
    current = script.get_current_head()
    assert current is not None
    return current


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params or None).fetchall()


def public_tables(url: str) -> set[str]:
    return {t for (t,) in query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def security_state(url: str) -> dict[str, Any]:
    """Everything the RLS migration creates, in a comparable form."""
    return {
        "rls": query(
            url,
            "SELECT relname, relrowsecurity FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY relname",
        ),
        "policies": query(
            url,
            "SELECT tablename, policyname, cmd, roles::text[], qual, with_check FROM pg_policies"
            " ORDER BY tablename, policyname",
        ),
        "table_grants": query(
            url,
            "SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants"
            " WHERE grantee = ANY(%s) ORDER BY 1, 2, 3",
            APP_ROLES,
        ),
        "column_grants": query(
            url,
            "SELECT grantee, table_name, column_name, privilege_type"
            " FROM information_schema.column_privileges"
            " WHERE grantee = ANY(%s) AND table_schema = 'public' ORDER BY 1, 2, 3, 4",
            APP_ROLES,
        ),
        "functions": query(
            url,
            "SELECT p.proname, p.prosecdef, pg_get_userbyid(p.proowner) FROM pg_proc p"
            " WHERE p.pronamespace::regnamespace::text IN ('app', 'auth') ORDER BY 1",
        ),
        "schemas": query(
            url,
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'"
            " AND nspname NOT IN ('public', 'information_schema') ORDER BY 1",
        ),
        "triggers": query(
            url,
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
            " WHERE NOT tgisinternal ORDER BY 1, 2",
        ),
        # Explicit schema grants to the app roles (PUBLIC's default USAGE on public aside).
        "schema_grants": query(
            url,
            "SELECT n.nspname, r.rolname, a.privilege_type"
            " FROM pg_namespace n, aclexplode(n.nspacl) a JOIN pg_roles r ON r.oid = a.grantee"
            " WHERE r.rolname = ANY(%s) AND n.nspname IN ('public', 'app') ORDER BY 1, 2, 3",
            APP_ROLES,
        ),
    }


def test_upgrade_downgrade_upgrade_roundtrip(scratch_db: str) -> None:
    url = scratch_db
    assert public_tables(url) == set()

    upgrade("head", url=sqlalchemy_url(url))
    assert public_tables(url) == APP_TABLES | {"alembic_version"}
    assert query(url, "SELECT version_num FROM alembic_version") == [(head(),)]
    first = security_state(url)
    assert len(first["policies"]) >= 2 * len(APP_TABLES)
    assert {name for name, rls in first["rls"] if rls} == APP_TABLES
    moves = {t for t, name in first["triggers"] if name == "forbid_workspace_move"}
    assert moves == {
        '"ClientMember"', '"Campaign"', '"Lead"', '"Message"', '"AIDraft"',
        '"Outbox"', '"ProviderCredential"',  # 0011
        '"AISettings"', '"AIUsage"',  # 0013
        '"ReplyDraft"',  # 0016
    }  # fmt: skip
    assert {"app", "auth"} <= {s for (s,) in first["schemas"]}
    assert first["schema_grants"] == [
        ("app", "authenticated", "USAGE"),
        ("app", "authenticator", "USAGE"),  # the auth change feed (0008)
        ("app", "inboxapp_service", "USAGE"),  # system work in one workspace (0009)
        ("public", "authenticated", "USAGE"),
        ("public", "authenticator", "USAGE"),
        ("public", "inboxapp_service", "USAGE"),
    ]

    # Down to the plain schema: no RLS, policies, grants or helper schema are left behind.
    downgrade("0001", url=sqlalchemy_url(url))
    assert public_tables(url) == CORE_TABLES | {"alembic_version"}  # what 0001 creates
    state = security_state(url)
    assert state["policies"] == []
    assert [name for name, rls in state["rls"] if rls] == []
    assert state["table_grants"] == []
    assert state["column_grants"] == []
    assert [s for (s,) in state["schemas"]] == ["auth"]  # auth.uid() is shared (Supabase)
    assert state["schema_grants"] == []
    assert state["triggers"] == []

    downgrade("base", url=sqlalchemy_url(url))
    assert public_tables(url) == {"alembic_version"}
    assert query(
        url,
        "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        " AND relname <> 'alembic_version' AND relname <> 'alembic_version_pkc'",
    ) == [(0,)]
    assert [s for (s,) in security_state(url)["schemas"]] == ["auth"]
    assert query(url, "SELECT version_num FROM alembic_version") == []

    # Up again: roles and auth.uid() already exist (idempotent) and the result is identical.
    upgrade("head", url=sqlalchemy_url(url))
    assert query(url, "SELECT version_num FROM alembic_version") == [(head(),)]
    assert security_state(url) == first


def test_every_model_table_has_row_level_security(migrated_db: str) -> None:
    model_tables = set(SQLModel.metadata.tables)
    assert model_tables >= CORE_TABLES
    rows = query(
        migrated_db,
        "SELECT c.relname, c.relrowsecurity, count(p.polname) FROM pg_class c"
        " LEFT JOIN pg_policy p ON p.polrelid = c.oid"
        " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'"
        " GROUP BY c.relname, c.relrowsecurity",
    )
    by_table = {name: (rls, policies) for name, rls, policies in rows}
    for table in sorted(model_tables):
        rls, policies = by_table[table]
        assert rls, f"{table} has no row level security"
        assert policies >= 1, f"{table} has no policy (RLS would deny everything)"
    # alembic_version has no RLS, so no app role may touch it at all.
    for role in APP_ROLES:
        privs = query(
            migrated_db,
            "SELECT has_table_privilege(%s, 'public.alembic_version', 'SELECT, INSERT, UPDATE')",
            role,
        )
        assert privs == [(False,)], role


# Calls that must run once per statement, i.e. appear only as ``(SELECT fn(...))`` (an initplan).
_CALL = re.compile(r"(?<!SELECT )\b(app\.\w+|auth\.uid)\(")


def test_policies_call_helpers_once_per_statement(migrated_db: str) -> None:
    rows = query(migrated_db, "SELECT tablename, policyname, qual, with_check FROM pg_policies")
    assert rows
    offenders = [
        (table, name, expr)
        for table, name, *exprs in rows
        for expr in exprs
        if expr and _CALL.search(expr)
    ]
    assert offenders == []
    helper_calls = sum(
        len(re.findall(r"SELECT (app\.\w+|auth\.uid)\(", e or "")) for r in rows for e in r[2:]
    )
    assert helper_calls >= len(rows)


def test_models_and_migrations_do_not_drift(migrated_db: str) -> None:
    """Autogenerate against the migrated database finds nothing to do.

    Server defaults are compared too (Alembic skips them by default); nothing is ignored.
    """
    engine = create_engine(sqlalchemy_url(migrated_db), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            diff = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == []

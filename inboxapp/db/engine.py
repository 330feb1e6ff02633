"""Database engines and the one helper every user-scoped query goes through.

* ``owner_session``: the owner connection (migrations, seeding, operator CLI).
* ``service_session``: the runtime role itself, for the auth tables only (no tenant data).
* ``user_session``: the runtime role switched to ``authenticated`` with the caller's JWT claims,
  so Postgres row level security decides what the caller can see and change.
* ``workspace_session``: the runtime role switched to ``inboxapp_service`` with one workspace in
  the claims, for system work no signed-in user makes (webhooks, delivery, AI drafts): row
  level security confines it to that workspace (migration 0009).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

from inboxapp.config import get_settings, sqlalchemy_url


@lru_cache(maxsize=1)
def owner_engine() -> Engine:
    return create_engine(
        sqlalchemy_url(get_settings().owner_url), pool_pre_ping=True, hide_parameters=True
    )


@lru_cache(maxsize=1)
def runtime_engine() -> Engine:
    return create_engine(
        sqlalchemy_url(get_settings().runtime_url),
        pool_pre_ping=True,
        hide_parameters=True,  # error messages never carry bound values (search text, bodies)
        pool_size=10,
        max_overflow=10,
    )


def dispose_engines() -> None:
    """Drop pooled connections (tests, forked workers)."""
    for factory in (owner_engine, runtime_engine):
        if factory.cache_info().currsize:
            factory().dispose()
        factory.cache_clear()


@contextmanager
def owner_session() -> Iterator[Session]:
    """A transaction on the owner connection; commits on success."""
    with Session(owner_engine(), expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def service_session() -> Iterator[Session]:
    """A transaction as the runtime login role (auth tables only; tenant tables are denied)."""
    with Session(runtime_engine(), expire_on_commit=False) as session, session.begin():
        yield session


def jwt_claims(user_id: uuid.UUID | str) -> str:
    """The ``request.jwt.claims`` JSON that Supabase's ``auth.uid()`` reads."""
    return json.dumps({"sub": str(user_id), "role": "authenticated"})


@contextmanager
def user_session(user_id: uuid.UUID | str) -> Iterator[Session]:
    """A transaction in which Postgres sees the caller as ``auth.uid() = user_id``.

    ``set_config(..., true)`` is transaction-local, exactly like ``SET LOCAL``: nothing leaks
    to the next user of the pooled connection. JIT is off: these are short OLTP queries whose
    compile time would dominate.
    """
    with Session(runtime_engine(), expire_on_commit=False) as session, session.begin():
        session.execute(
            text(
                "SELECT set_config('role', 'authenticated', true),"
                " set_config('request.jwt.claims', :claims, true),"
                " set_config('jit', 'off', true)"
            ),
            {"claims": jwt_claims(user_id)},
        )
        yield session


SERVICE_ROLE = "inboxapp_service"


def service_claims(client_id: uuid.UUID | str) -> str:
    """The ``request.jwt.claims`` JSON of system work inside one workspace."""
    return json.dumps({"role": SERVICE_ROLE, "client_id": str(client_id)})


@contextmanager
def workspace_session(client_id: uuid.UUID | str) -> Iterator[Session]:
    """A transaction that can see and change one workspace's rows only (no user involved)."""
    with Session(runtime_engine(), expire_on_commit=False) as session, session.begin():
        session.execute(
            text(
                "SELECT set_config('role', :role, true),"
                " set_config('request.jwt.claims', :claims, true),"
                " set_config('jit', 'off', true)"
            ),
            {"role": SERVICE_ROLE, "claims": service_claims(client_id)},
        )
        yield session

"""Test fixtures: a fresh, migrated PostgreSQL database and a real Redis for the whole run.

The app under test connects as the runtime role (``authenticator``), so row level security
applies exactly as in production. Machine services are used when they answer (CI); otherwise
embedded servers start under ``.data/``.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from inboxapp.config import DATA_DIR, get_settings, libpq_url, with_user

ADMIN_URL = os.environ.get(
    "TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_JWT_SECRET = "test-secret-" + "x" * 40


def _admin_url() -> str:
    try:
        psycopg.connect(ADMIN_URL, connect_timeout=3).close()
        return ADMIN_URL
    except psycopg.OperationalError:
        from inboxapp.embedded import start_postgres

        return start_postgres(DATA_DIR / "test-pg", db_name="postgres")


def _redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
        return TEST_REDIS_URL
    except redis.RedisError:
        from inboxapp.embedded import start_redis

        return start_redis(DATA_DIR / "test-redis.rdb")


def _db_url(admin: str, name: str) -> str:
    base, _, query = admin.partition("?")
    base = base.rsplit("/", 1)[0] + f"/{name}"
    return base + (f"?{query}" if query else "")


def reset_app_caches() -> None:
    """Forget cached settings and pooled connections after the environment changed."""
    from inboxapp.db.engine import dispose_engines

    dispose_engines()
    get_settings.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def database_url() -> Iterator[str]:
    admin = _admin_url()
    name = f"inboxapp_test_{secrets.token_hex(4)}"
    with psycopg.connect(libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _db_url(admin, name)
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=_redis_url(),
        JWT_SECRET=TEST_JWT_SECRET,
        LOG_LEVEL="DEBUG",
    )
    os.environ.pop("APP_DATABASE_URL", None)
    os.environ.pop("SUPABASE_URL", None)
    reset_app_caches()
    from inboxapp.db.migrate import upgrade

    upgrade()
    yield url
    reset_app_caches()
    with psycopg.connect(libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def runtime_url(database_url: str) -> str:
    return with_user(database_url, "authenticator", None)


@pytest.fixture
def unique() -> str:
    """A short unique suffix for names and emails created by one test."""
    return uuid.uuid4().hex[:10]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: sync Playwright leaves a running event loop in the main
    thread, after which plain ``asyncio.run`` in later tests would fail."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)

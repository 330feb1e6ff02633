"""Test fixtures: a fresh, migrated PostgreSQL database and a real Redis for the whole run.

The app under test connects as the runtime role (``authenticator``), so row level security
applies exactly as in production. Machine services are used when they answer (CI); otherwise
embedded servers start under ``.data/``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from inboxapp.config import clear_caches, get_settings, libpq_url, with_user

ADMIN_URL = os.environ.get(
    "TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_JWT_SECRET = "test-secret-" + "x" * 40
TEST_SECRETS_KEY = "dGVzdC1zZWNyZXRzLWtleS0zMi1ieXRlcy1sb25nISE="
"""A fixed Fernet key for secrets at rest in tests (``inboxapp.secrets_box``)."""
TEST_METRICS_TOKEN = "test-metrics-scrape-" + secrets.token_urlsafe(24)
"""The scrape token of ``GET /api/metrics`` in this run (the browser tests' server has it too)."""
SCRAPE_HEADERS = {"Authorization": f"Bearer {TEST_METRICS_TOKEN}"}


def _admin_url() -> str:
    try:
        psycopg.connect(ADMIN_URL, connect_timeout=3).close()
        return ADMIN_URL
    except psycopg.OperationalError:
        from inboxapp.embedded import start_postgres

        return start_postgres(get_settings().data_dir / "test-pg", db_name="postgres")


RUN_ID = secrets.token_hex(4)
REDIS_CLAIM_KEY = "inboxapp:test-run"
REDIS_DBS = (15, 14, 12, 11, 10, 9, 8, 7, 6, 5, 4)
"""Databases a test run may claim (13 is the benchmarks'): two runs on one machine (a clean
clone's CI beside a developer's run) must not share flag overrides or rate-limit keys."""


def _claim_redis_db(url: str) -> str | None:
    """The first database of ``url``'s server that no other live test run holds (claimed
    with SET NX, expiring after two hours in case a run dies); None when all are taken."""
    import redis

    base = url.rsplit("/", 1)[0] if url.rsplit("/", 1)[-1].isdigit() else url.rstrip("/")
    for db in REDIS_DBS:
        candidate = f"{base}/{db}"
        client = redis.Redis.from_url(candidate, socket_connect_timeout=2)
        if client.set(REDIS_CLAIM_KEY, RUN_ID, nx=True, ex=7200):
            client.flushdb()  # a previous run's leftovers
            client.set(REDIS_CLAIM_KEY, RUN_ID, ex=7200)
            return candidate
    return None


def _release_redis_db(url: str) -> None:
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        if client.get(REDIS_CLAIM_KEY) == RUN_ID.encode():
            client.delete(REDIS_CLAIM_KEY)


def _redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        from inboxapp.embedded import start_redis

        return start_redis(get_settings().data_dir / "test-redis.rdb")
    if "TEST_REDIS_URL" in os.environ:
        return TEST_REDIS_URL
    return _claim_redis_db(TEST_REDIS_URL) or TEST_REDIS_URL


def _db_url(admin: str, name: str) -> str:
    base, _, query = admin.partition("?")
    base = base.rsplit("/", 1)[0] + f"/{name}"
    return base + (f"?{query}" if query else "")


def reset_app_caches() -> None:
    """Forget cached settings and pooled connections after the environment changed."""
    from inboxapp.auth.sessions import reset_registry
    from inboxapp.db.engine import dispose_engines

    reset_registry()
    dispose_engines()
    clear_caches()


@pytest.fixture(scope="session", autouse=True)
def database_url() -> Iterator[str]:
    admin = _admin_url()
    name = f"inboxapp_test_{RUN_ID}"
    with psycopg.connect(libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _db_url(admin, name)
    redis_url = _redis_url()
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        JWT_SECRET=TEST_JWT_SECRET,
        INBOXAPP_SECRETS_KEY=TEST_SECRETS_KEY,
        INBOXAPP_METRICS_TOKEN=TEST_METRICS_TOKEN,
        LOG_LEVEL="DEBUG",
    )
    os.environ.pop("APP_DATABASE_URL", None)
    os.environ.pop("SUPABASE_URL", None)
    reset_app_caches()
    from inboxapp.db.migrate import upgrade
    from inboxapp.pipeline.inbound import local_urls

    upgrade()
    local_urls.PATH = get_settings().data_dir / f"test-webhook-urls-{RUN_ID}.json"  # not the demo's
    yield url
    local_urls.PATH.unlink(missing_ok=True)
    reset_app_caches()
    with psycopg.connect(libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _release_redis_db(redis_url)


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


@pytest.fixture(scope="module")
def api() -> TestClient:
    """The HTTP API in process (a module may define its own ``api``)."""
    from tests.support import api_client  # after the session's settings are in place

    return api_client()

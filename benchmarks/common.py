"""Shared helpers for the benchmark scripts: timing statistics and the scale workspace."""

from __future__ import annotations

import os
import secrets
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import sqlalchemy as sa

from inboxapp.db.engine import owner_session


def timed(fn: Callable[[], Any], runs: int, warmup: int = 2) -> list[float]:
    """Milliseconds of ``runs`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def fmt(samples: list[float]) -> str:
    return f"p50 {p50(samples):8.2f} ms  p95 {p95(samples):8.2f} ms"


def largest_workspace() -> tuple[uuid.UUID, uuid.UUID, int]:
    """(clientId, ownerUserId, leads) of the workspace with the most leads."""
    with owner_session() as s:
        row = s.execute(
            sa.text(
                'SELECT c.id, c."ownerUserId", count(*) AS n FROM "Lead" l'
                ' JOIN "Client" c ON c.id = l."clientId" GROUP BY c.id ORDER BY n DESC LIMIT 1'
            )
        ).one()
    return row.id, row.ownerUserId, int(row.n)


ADMIN_URL = os.environ.get(
    "TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new migrated database next to the admin one, as ``DATABASE_URL``; dropped after."""
    name = f"inboxapp_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = ADMIN_URL.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    os.environ["DATABASE_URL"] = url
    os.environ.pop("APP_DATABASE_URL", None)
    try:
        from inboxapp.db.migrate import upgrade

        upgrade()
        yield url
    finally:
        from inboxapp.db.engine import dispose_engines
        from inboxapp.jobs.app import reset_app

        reset_app()
        dispose_engines()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

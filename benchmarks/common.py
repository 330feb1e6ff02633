"""Shared helpers for the benchmark scripts: timing statistics and the scale workspace."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

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

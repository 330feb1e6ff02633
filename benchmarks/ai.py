"""AI drafts: draft latency on the local provider and replay throughput, in one run.

Creates a scratch database next to the admin database (``TEST_ADMIN_DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``), migrates it, seeds the demo data, then:

* draft latency: ``drafting.generate`` (request as of the message, examples by full-text
  similarity within the workspace, the local provider, the safety checks) on the N newest
  inbound messages of the demo workspace, one at a time: p50 / p95.
* replay throughput: ``ai replay`` (selection, generation, storing, judging, cleanup) on the
  same workspace at concurrency 1 and 3: cases per second, wall clock of the whole run.

    .venv/bin/python -m benchmarks.ai [--drafts 100] [--cases 100] [--json]

With ``--json`` the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.common import fmt, p50, p95, scratch_database


def recent_inbound(client_id: uuid.UUID, n: int) -> list[uuid.UUID]:
    from inboxapp.db.engine import owner_session

    with owner_session() as s:
        rows = s.execute(
            sa.text(
                'SELECT id FROM "Message" WHERE "clientId" = :c AND direction = \'inbound\''
                ' ORDER BY "sentAt" DESC, id DESC LIMIT :n'
            ),
            {"c": client_id, "n": n},
        ).scalars()
        return list(rows)


def draft_latency(client_id: uuid.UUID, ids: list[uuid.UUID]) -> list[float]:
    """Milliseconds of ``generate`` per message (two untimed warm-up calls first)."""
    from inboxapp.ai.drafting import generate

    for message_id in ids[:2]:
        generate(client_id, message_id)
    out = []
    for message_id in ids:
        start = time.perf_counter()
        generate(client_id, message_id)
        out.append((time.perf_counter() - start) * 1000)
    return out


def throughput(client_id: uuid.UUID, cases: int, concurrency: int, folder: Path) -> dict[str, Any]:
    """One replay run: cases evaluated, seconds, cases per second."""
    from inboxapp.ai.replay import ReplayOptions, run

    options = ReplayOptions(
        client_id=client_id,
        limit=cases,
        concurrency=concurrency,
        out=folder / f"c{concurrency}.json",
    )
    start = time.perf_counter()
    result = run(options)
    seconds = time.perf_counter() - start
    evaluated = sum(r.verdict is not None for r in result.results)
    return {
        "evaluated": evaluated,
        "seconds": round(seconds, 3),
        "casesPerSecond": round(evaluated / seconds, 1),
        "maxInFlight": result.max_in_flight,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drafts", type=int, default=100, help="messages for the latency")
    parser.add_argument("--cases", type=int, default=100, help="replay cases per run")
    parser.add_argument("--json", action="store_true", help="every figure as JSON, last line")
    args = parser.parse_args()
    from inboxapp.logs import configure_logging

    configure_logging("WARNING")
    with scratch_database(), tempfile.TemporaryDirectory(prefix="aibench-") as tmp:
        from inboxapp.seed.demo import WORKSPACES, seed_demo

        seed_demo()
        client_id = WORKSPACES[0].id
        latency = draft_latency(client_id, recent_inbound(client_id, args.drafts))
        runs = {c: throughput(client_id, args.cases, c, Path(tmp)) for c in (1, 3)}
    print(f"draft latency (local provider, {len(latency)} messages)  {fmt(latency)}")
    for c, r in runs.items():
        print(
            f"replay throughput, concurrency {c}: {r['casesPerSecond']:7.1f} cases/s"
            f"  ({r['evaluated']} cases in {r['seconds']:.2f} s, {r['maxInFlight']} in flight)"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "ai",
                    "draftP50Ms": round(p50(latency), 2),
                    "draftP95Ms": round(p95(latency), 2),
                    "drafts": len(latency),
                    "replay": {f"concurrency{c}": r for c, r in runs.items()},
                }
            )
        )


if __name__ == "__main__":
    main()

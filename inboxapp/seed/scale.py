"""Scale data: millions of deterministic leads, messages and drafts loaded with COPY.

Each run creates fresh workspaces named ``Scale <N> #<run>`` (``... (w/W)`` when several), each
with an owner, an admin, an inbox manager, 5-10 setters and a client-portal user, six
campaigns, and its share of the N leads. Rows come from the same :class:`LeadFactory` as the demo
(same category coverage, rollups from :func:`derive_rollups`). Generation runs in this thread
while a writer thread streams COPY blocks, so Python and PostgreSQL work at the same time and
memory stays bounded (``chunk_size`` leads per block, at most two blocks queued).
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from inboxapp.auth.passwords import hash_password
from inboxapp.config import get_settings, libpq_url
from inboxapp.domain import roles
from inboxapp.domain.roles import Capability, Role
from inboxapp.seed import SeedError
from inboxapp.seed.factory import LeadFactory, WorkspacePlan
from inboxapp.seed.vocabulary import FIRST_NAMES, LAST_NAMES
from inboxapp.seed.writer import Block, copy_in_background

CAMPAIGNS = (
    ("Outbound Email A", "email"),
    ("Outbound Email B", "email"),
    ("Re-engagement Email", "email"),
    ("SMS Blast", "sms"),
    ("SMS Follow-up", "sms"),
    ("LinkedIn Connect", "linkedin"),
)
MAX_LEADS = 50_000_000

Progress = Callable[[int, int, float], None]
"""progress(leads_generated, leads_total, seconds_elapsed)"""


def seed_scale(
    leads: int,
    workspaces: int = 1,
    messages_per_lead: int = 5,
    seed: int = 42,
    *,
    jobs: int = 2,
    chunk_size: int = 5000,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Create ``leads`` leads split over ``workspaces`` new workspaces; return ids and counts.

    ``jobs`` connections COPY in parallel and commit after every COPY statement (triggers and
    foreign keys all run; see :func:`copy_blocks`). A workspace therefore fills up while the run
    is in progress; if the run fails, its workspaces (with everything in them) and users are
    deleted again, so a finished run leaves either all of its data or none.
    """
    if not 1 <= leads <= MAX_LEADS:
        raise SeedError(f"--leads must be between 1 and {MAX_LEADS:,}")
    if not 1 <= workspaces <= min(leads, 1000):
        raise SeedError("--workspaces must be between 1 and min(leads, 1000)")
    if not 1 <= messages_per_lead <= 50:
        raise SeedError("--messages-per-lead must be between 1 and 50")
    if not 1 <= jobs <= 16:
        raise SeedError("--jobs must be between 1 and 16")
    started = time.perf_counter()
    settings = get_settings()
    url = libpq_url(settings.owner_url)
    anchor = int(time.time()) // 60 * 60
    password_hash = hash_password(settings.demo_password)
    counts = {"users": 0, "members": 0, "campaigns": 0, "leads": 0, "messages": 0, "drafts": 0}
    created: list[dict[str, Any]] = []
    factories: list[tuple[LeadFactory, random.Random, int]] = []
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('inboxapp:seed:scale'))")
            run = _next_run(conn, leads)
            for w in range(workspaces):
                share = leads // workspaces + (1 if w < leads % workspaces else 0)
                rng = random.Random(f"scale:{seed}:{w}")  # noqa: S311  (not security)
                plan, info = _create_workspace(
                    conn, rng, leads, run, w, workspaces, anchor, password_hash, counts
                )
                plan.messages_per_lead = messages_per_lead
                info["leads"] = share
                created.append(info)
                factories.append((LeadFactory(plan), rng, share))

        def blocks() -> Iterator[Block]:
            done = 0
            for factory, rng, share in factories:
                for start in range(0, share, chunk_size):
                    size = min(chunk_size, share - start)
                    for _ in range(size):
                        factory.add(rng)
                    done += size
                    yield factory.take()
                    if progress:
                        progress(done, leads, time.perf_counter() - started)

        try:
            _load(url, jobs, blocks())
        except BaseException:
            _delete_workspaces(conn, created)
            raise
        for (factory, _rng, _share), info in zip(factories, created, strict=True):
            conn.execute(
                'UPDATE "Client" SET "roundRobinCursor" = %s WHERE id = %s',
                (factory.round_robin_cursor, info["id"]),
            )
            counts["leads"] += factory.counts.leads
            counts["messages"] += factory.counts.messages
            counts["drafts"] += factory.counts.drafts
        loaded = time.perf_counter()
    # VACUUM (not just ANALYZE): bulk-loaded pages get their visibility map, so index-only
    # scans stop visiting the heap, as they would after autovacuum in production.
    with psycopg.connect(url, autocommit=True) as vac:
        vac.execute(
            'VACUUM (ANALYZE) "Lead", "Message", "AIDraft", "User", "Client", "ClientMember"'
        )
    finished = time.perf_counter()
    return {
        "workspaces": created,
        "counts": counts,
        "seed": seed,
        "jobs": jobs,
        "seconds": {
            "load": round(loaded - started, 1),
            "analyze": round(finished - loaded, 1),
            "total": round(finished - started, 1),
        },
    }


def _load(url: str, jobs: int, blocks: Iterator[Block]) -> None:
    """COPY the blocks over ``jobs`` connections (bulk load: no synchronous commit wait)."""
    writers: list[psycopg.Connection[Any]] = []
    try:
        for _ in range(jobs):
            writer = psycopg.connect(url, autocommit=True)
            writers.append(writer)
            writer.execute("SET synchronous_commit = off")
            writer.autocommit = False
        copy_in_background(writers, blocks, commit_each=True)
    finally:
        for writer in writers:
            writer.close()


def _delete_workspaces(conn: psycopg.Connection[Any], created: list[dict[str, Any]]) -> None:
    """Undo a failed run: its workspaces (cascading to all their rows) and their users."""
    ids = [info["id"] for info in created]
    with conn.transaction():
        users = conn.execute(
            'SELECT "ownerUserId" FROM "Client" WHERE id = ANY(%s::uuid[])'
            ' UNION SELECT "userId" FROM "ClientMember" WHERE "clientId" = ANY(%s::uuid[])',
            (ids, ids),
        ).fetchall()
        conn.execute('DELETE FROM "Client" WHERE id = ANY(%s::uuid[])', (ids,))
        conn.execute('DELETE FROM "User" WHERE id = ANY(%s)', ([u for (u,) in users],))


def _next_run(conn: psycopg.Connection[Any], leads: int) -> int:
    prefix = f"Scale {leads} #"
    names = conn.execute(
        'SELECT name FROM "Client" WHERE starts_with(name, %s)', (prefix,)
    ).fetchall()
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    runs = [int(m.group(1)) for (name,) in names if (m := pattern.match(name))]
    return max(runs, default=0) + 1


def _create_workspace(
    conn: psycopg.Connection[Any],
    rng: random.Random,
    leads: int,
    run: int,
    w: int,
    workspaces: int,
    anchor: int,
    password_hash: str,
    counts: dict[str, int],
) -> tuple[WorkspacePlan, dict[str, Any]]:
    name = f"Scale {leads} #{run}" + (f" ({w + 1}/{workspaces})" if workspaces > 1 else "")
    domain = f"scale-{leads}-{run}" + (f"-w{w + 1}" if workspaces > 1 else "") + ".test"
    n_setters = 5 + int(rng.random() * 6)
    people: list[tuple[str, Role | None]] = [
        ("owner", None),
        ("admin", Role.ADMIN),
        ("manager", Role.INBOX_MANAGER),
    ]
    people += [(f"setter{i}", Role.SETTER) for i in range(1, n_setters + 1)]
    people.append(("client", Role.CLIENT_PORTAL))
    users = [
        (
            uuid.uuid4(),
            f"{local}@{domain}",
            f"{FIRST_NAMES[int(rng.random() * len(FIRST_NAMES))]} "
            f"{LAST_NAMES[int(rng.random() * len(LAST_NAMES))]}",
            role,
        )
        for local, role in people
    ]
    client_id = uuid.uuid4()
    with conn.cursor() as cur:
        cur.executemany(
            'INSERT INTO "User" (id, email, "displayName", "passwordHash") VALUES (%s,%s,%s,%s)',
            [(uid, email, display, password_hash) for uid, email, display, _ in users],
        )
        cur.execute(
            'INSERT INTO "Client" (id, name, "ownerUserId", settings) VALUES (%s, %s, %s, %s)',
            (client_id, name, users[0][0], Jsonb({"roundRobinEnabled": True, "timezone": "UTC"})),
        )
        cur.executemany(
            'INSERT INTO "ClientMember" ("clientId", "userId", role) VALUES (%s, %s, %s)',
            [(client_id, uid, str(role)) for uid, _, _, role in users if role],
        )
        campaigns = [(uuid.uuid4(), n, ch) for n, ch in CAMPAIGNS]
        cur.executemany(
            'INSERT INTO "Campaign" (id, "clientId", name, channel) VALUES (%s, %s, %s, %s)',
            [(cid, client_id, n, ch) for cid, n, ch in campaigns],
        )
    counts["users"] += len(users)
    counts["members"] += sum(1 for u in users if u[3])
    counts["campaigns"] += len(campaigns)
    plan = WorkspacePlan(
        client_id=str(client_id),
        campaigns=[(str(cid), ch) for cid, _, ch in campaigns],
        setters=[str(u[0]) for u in users if u[3] == Role.SETTER],
        repliers=[str(u[0]) for u in users if u[3] is None or roles.can(u[3], Capability.MANAGE)],
        anchor=anchor,
    )
    info = {"id": str(client_id), "name": name, "ownerEmail": users[0][1]}
    return plan, info

"""Inbox search on the largest workspace (``seed --scale``): the first page of ``q`` over names,
emails, phones and message text, as the app runs it (index lookups, keyset page, snippets),
against the naive baseline (``ILIKE '%q%'`` on every message body, OR-ed with the identity
ILIKE), measured in the same run. Runs as the workspace owner through RLS, like the app.

The terms cover the cases the planner must get right: rare words (one lead's name or company),
mid-frequency and common words from the seeded conversations, two-word searches, and a word no
message holds.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/inboxapp_scale \\
        .venv/bin/python -m benchmarks.search [--runs 10] [--json]

The last line with ``--json`` is one JSON object: p50/p95 over every term and run, and the
ratio of the baseline's p50 to ours.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import sqlalchemy as sa

from benchmarks.common import largest_workspace, p50, p95, timed
from inboxapp.db.engine import owner_session, user_session
from inboxapp.domain.categories import L, M
from inboxapp.inbox import queries
from inboxapp.inbox.params import ListParams

COMMON = ("pricing", "thursday", "colleague", "next week", "call", "send me", "zzqqxx")


def _rare_terms(client_id: Any) -> list[str]:
    """A last name and a company of a few leads (each matches a handful of leads)."""
    with owner_session() as s:
        rows = s.execute(
            sa.text(
                'SELECT "lastName", company FROM "Lead" WHERE "clientId" = :c'
                ' AND "lastName" IS NOT NULL AND company IS NOT NULL ORDER BY id LIMIT 2'
            ),
            {"c": client_id},
        ).all()
    return [r.lastName for r in rows] + [r.company.split()[0] for r in rows]


def naive_statement(access: Any, q: str) -> sa.Select[Any]:
    """The baseline: the identity ILIKE or any message body ILIKE ``%q%`` (no index)."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    body = sa.select(M.c.leadId).where(
        M.c.clientId == access.client_id, M.c.body.ilike(pattern, escape="\\")
    )
    return (
        sa.select(*queries.LIST_COLUMNS)
        .where(
            L.c.clientId == access.client_id,
            sa.or_(queries.identity_match(q, None), L.c.id.in_(body)),
        )
        .order_by(L.c.updatedAt.desc(), L.c.id.desc())
        .limit(51)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="end with one JSON summary line")
    args = parser.parse_args()
    client_id, owner, n = largest_workspace()
    with owner_session() as s:
        messages = s.execute(
            sa.text('SELECT count(*) FROM "Message" WHERE "clientId" = :c'), {"c": client_id}
        ).scalar_one()
    print(f"workspace {client_id}: {n:,} leads, {messages:,} messages; {args.runs} runs each\n")
    with user_session(owner) as s:
        access = queries.require_access(s, owner, client_id)
    ours: list[float] = []
    naive: list[float] = []
    per_term: dict[str, dict[str, float]] = {}
    for q in [*_rare_terms(client_id), *COMMON]:
        params = ListParams(q=q, limit=50)

        def search(p: ListParams = params) -> int:
            with user_session(owner) as s:
                return len(queries.fetch_page(s, access, p)["items"])

        def baseline(term: str = q) -> None:
            with user_session(owner) as s:
                s.execute(naive_statement(access, term)).all()

        found = search()
        mine = timed(search, args.runs)
        theirs = timed(baseline, args.baseline_runs, warmup=1)
        ours += mine
        naive += theirs
        per_term[q] = {"rows": found, "p50": p50(mine), "p95": p95(mine), "naive_p50": p50(theirs)}
        print(
            f"{q!r:<22} {found:>3} rows | p50 {p50(mine):7.2f} ms  p95 {p95(mine):7.2f} ms"
            f" | naive ILIKE p50 {p50(theirs):9.2f} ms ({p50(theirs) / p50(mine):.0f}x slower)"
        )
    summary = {
        "benchmark": "search",
        "leads": n,
        "messages": messages,
        "runs": args.runs,
        "p50_ms": round(p50(ours), 2),
        "p95_ms": round(p95(ours), 2),
        "naive_p50_ms": round(p50(naive), 2),
        "naive_p95_ms": round(p95(naive), 2),
        "ratio_p50": round(p50(naive) / p50(ours), 1),
        "terms": {k: {m: round(v, 2) for m, v in d.items()} for k, d in per_term.items()},
    }
    print(
        f"\nall terms: p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms;"
        f" naive p50 {summary['naive_p50_ms']} ms ({summary['ratio_p50']}x)"
    )
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()

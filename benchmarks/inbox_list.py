"""Inbox list and live counts on the largest workspace (1,000,000 leads from ``seed --scale``).

For every filter: first page and a deep page (after 10,000 rows) with keyset cursors, against
the naive OFFSET baseline; the live counts query; and the EXPLAIN plan of each (a sequential scan
of the lead table is flagged). Runs as the workspace owner through RLS, like the app.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/inboxapp_scale \
        .venv/bin/python -m benchmarks.inbox_list [--runs 20]
"""

from __future__ import annotations

import argparse
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from benchmarks.common import fmt, largest_workspace, p50, timed
from inboxapp.db.engine import user_session
from inboxapp.domain.categories import BY_FILTER
from inboxapp.inbox import queries
from inboxapp.inbox.params import Cursor, ListParams

DEEP = 10_000


def _sql(stmt: Any) -> str:
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def _plan(session: Any, stmt: Any) -> str:
    rows = session.execute(sa.text("EXPLAIN " + _sql(stmt))).scalars().all()
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--plans", action="store_true", help="print every EXPLAIN plan")
    args = parser.parse_args()
    client_id, owner, n = largest_workspace()
    print(f"workspace {client_id}: {n:,} leads; {args.runs} runs each\n")
    with user_session(owner) as s:
        access = queries.require_access(s, owner, client_id)
    seq_scans: list[str] = []
    for name in sorted(BY_FILTER):
        first = ListParams(filter=name, limit=50)

        def page(params: ListParams = first) -> dict[str, Any]:
            with user_session(owner) as s:
                return queries.fetch_page(s, access, params)

        first_ms = timed(page, args.runs)
        with user_session(owner) as s:
            deep_row = s.execute(
                queries.list_statement(access, ListParams(filter=name, limit=1))
                .offset(DEEP)
                .limit(1)
            ).first()
            plan = _plan(s, queries.list_statement(access, first))
        line = f"{name:<20} first page {fmt(first_ms)}"
        if deep_row is not None:
            deep = ListParams(filter=name, limit=50, cursor=Cursor(deep_row.updatedAt, deep_row.id))
            deep_ms = timed(lambda d=deep: page(d), args.runs)

            def offset_page(f: str = name) -> None:
                with user_session(owner) as s:
                    stmt = queries.list_statement(access, ListParams(filter=f, limit=50))
                    s.execute(stmt.offset(DEEP)).all()

            offset_ms = timed(offset_page, max(5, args.runs // 4), warmup=1)
            line += (
                f" | deep keyset {fmt(deep_ms)} | OFFSET {DEEP} p50 {p50(offset_ms):8.2f} ms"
                f" ({p50(offset_ms) / p50(deep_ms):.1f}x slower)"
            )
        else:
            line += f" | fewer than {DEEP:,} rows: no deep page"
        print(line)
        if 'Seq Scan on "Lead"' in plan or "Seq Scan on Lead" in plan:
            seq_scans.append(name)
        if args.plans:
            print(plan, "\n")

    def counts() -> None:
        with user_session(owner) as s:
            queries.fetch_live_counts(s, access)

    counts_ms = timed(counts, max(5, args.runs // 2), warmup=1)
    print(f"\nlive counts (8 categories, one query): {fmt(counts_ms)}")
    with user_session(owner) as s:
        print("\ncounts plan:\n" + _plan(s, queries.counts_statement(access)))
    print("\nsequential scans of Lead in list plans:", ", ".join(seq_scans) or "none")


if __name__ == "__main__":
    main()

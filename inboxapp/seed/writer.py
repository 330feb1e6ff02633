"""Writing seeded rows: ``COPY`` blocks on one connection, or on several in the background."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from queue import Queue
from typing import Any

import psycopg

from inboxapp.seed.copy_format import DRAFT_COLUMNS, LEAD_COLUMNS, MESSAGE_COLUMNS, copy_sql

Block = tuple[str, str, str]
"""COPY text for (leads, messages, drafts) of the same leads."""


def copy_blocks(
    conn: psycopg.Connection[Any], blocks: Iterable[Block], *, commit_each: bool = False
) -> None:
    """COPY (leads, messages, drafts) text blocks, in that order, on ``conn``.

    ``commit_each`` commits after every COPY statement: parallel loaders then hold the row
    locks taken by statement triggers (e.g. the per-workspace counts "dirty" upsert) only
    for an instant instead of blocking each other until the very end. Two loaders' triggers can
    still lock the same "dirty" rows in opposite orders; the server then aborts one COPY as a
    deadlock, and (being its own transaction) it is simply run again.
    """
    lead_sql = copy_sql("Lead", LEAD_COLUMNS)
    message_sql = copy_sql("Message", MESSAGE_COLUMNS)
    draft_sql = copy_sql("AIDraft", DRAFT_COLUMNS)
    with conn.cursor() as cur:
        for leads, messages, drafts in blocks:
            for sql, data in ((lead_sql, leads), (message_sql, messages), (draft_sql, drafts)):
                if data:
                    _copy(conn, cur, sql, data, retry=DEADLOCK_RETRIES if commit_each else 0)


DEADLOCK_RETRIES = 5


def _copy(
    conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], sql: str, data: str, *, retry: int
) -> None:
    """One COPY; with ``retry`` (each COPY its own transaction) committed, and run again when
    the server aborted it as a deadlock."""
    for attempt in range(retry + 1):
        try:
            with cur.copy(sql) as copy:
                copy.write(data.encode())
        except psycopg.errors.DeadlockDetected:
            conn.rollback()
            if attempt == retry:
                raise
            continue
        if retry:
            conn.commit()
        return


def copy_in_background(
    conns: Sequence[psycopg.Connection[Any]],
    produce: Iterable[Block],
    *,
    depth: int = 2,
    commit_each: bool = False,
) -> None:
    """Generate blocks in this thread while one writer thread per connection COPYs them.

    Writers spend their time waiting on the server (the GIL is released), so Python row
    generation and PostgreSQL ingestion overlap, and several connections keep several server
    cores busy. A block goes to one connection whole (its messages need its leads in the same
    transaction). The bounded queue keeps memory flat. See :func:`copy_blocks` for
    ``commit_each``; otherwise transactions are the caller's business.
    """
    queue: Queue[Block | None] = Queue(maxsize=depth * len(conns))
    failure: list[BaseException] = []

    def drain() -> Iterator[Block]:
        while (item := queue.get()) is not None:
            yield item

    def writer(conn: psycopg.Connection[Any]) -> None:
        try:
            copy_blocks(conn, drain(), commit_each=commit_each)
        except BaseException as exc:
            failure.append(exc)
            while queue.get() is not None:  # keep the producer from blocking forever
                pass

    threads = [
        threading.Thread(target=writer, args=(c,), name=f"seed-copy-{i}", daemon=True)
        for i, c in enumerate(conns)
    ]
    for thread in threads:
        thread.start()
    try:
        for block in produce:
            if failure:
                break
            queue.put(block)
    finally:
        for _ in threads:
            queue.put(None)
        for thread in threads:
            thread.join()
    if failure:
        raise failure[0]

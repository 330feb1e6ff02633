"""Materialized inbox counts: triggers mark dirty, recompute equals the live computation."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inboxapp.config import PROJECT_ROOT
from inboxapp.counts.read import read_materialized
from inboxapp.counts.recompute import (
    DIRTY,
    compute_rows,
    recompute_workspace,
    verify_workspace,
)
from inboxapp.db.engine import owner_session, user_session
from inboxapp.domain.vocabulary import ATTENTION_TAGS
from inboxapp.inbox import queries
from tests import factories as f

NOW = datetime.now(UTC)


def _dirty_seq(client_id: uuid.UUID) -> int | None:
    with owner_session() as s:
        return s.execute(
            sa.select(DIRTY.c.dirtySeq).where(DIRTY.c.clientId == client_id)
        ).scalar_one_or_none()


def test_triggers_mark_dirty_once_per_statement_and_only_for_relevant_columns() -> None:
    owner = f.create_user()
    client = f.create_workspace("Dirty", owner)
    lead = f.create_lead(client)
    assert _dirty_seq(client.id) is not None
    recompute_workspace(client.id)
    assert _dirty_seq(client.id) is None
    with owner_session() as s:  # an irrelevant column: no mark
        s.execute(sa.text("UPDATE \"Lead\" SET company = 'X' WHERE id = :i"), {"i": lead.id})
    assert _dirty_seq(client.id) is None
    with owner_session() as s:  # a relevant one: marked
        s.execute(sa.text("UPDATE \"Lead\" SET status = 'qualified' WHERE id = :i"), {"i": lead.id})
    first = _dirty_seq(client.id)
    assert first is not None
    recompute_workspace(client.id)
    with owner_session() as s:  # marking read changes the unread count: marked
        s.execute(sa.text('UPDATE "Lead" SET "unreadCount" = 2 WHERE id = :i'), {"i": lead.id})
    first = _dirty_seq(client.id)
    assert first is not None
    with owner_session() as s:  # a bulk insert of 500 leads marks once (one statement)
        s.execute(
            sa.text(
                'INSERT INTO "Lead" ("clientId", "firstName") SELECT :c, \'bulk\''
                " FROM generate_series(1, 500)"
            ),
            {"c": client.id},
        )
    assert _dirty_seq(client.id) == first + 1


def test_recompute_does_not_clear_a_newer_mark() -> None:
    owner = f.create_user()
    client = f.create_workspace("Race", owner)
    f.create_lead(client)
    with owner_session() as s:
        seq = s.execute(
            sa.select(DIRTY.c.dirtySeq).where(DIRTY.c.clientId == client.id)
        ).scalar_one()
        # A change lands after the recompute read the mark: simulate by bumping it now.
        s.execute(sa.text("SELECT app.mark_counts_dirty(ARRAY[:c]::uuid[])"), {"c": client.id})
    assert _dirty_seq(client.id) != seq
    with owner_session() as s:
        s.execute(sa.delete(DIRTY).where(DIRTY.c.clientId == client.id, DIRTY.c.dirtySeq == seq))
    assert _dirty_seq(client.id) is not None  # still dirty: the newer change is not lost


def test_materialized_rows_are_scoped_by_rls() -> None:
    owner = f.create_user()
    client = f.create_workspace("Scoped", owner)
    s1, s2, stranger = f.create_user(), f.create_user(), f.create_user()
    f.add_member(client, s1, "SETTER")
    f.add_member(client, s2, "SETTER")
    f.create_lead(client, assignedToUserId=s1.id)
    f.create_lead(client, assignedToUserId=s1.id)
    f.create_lead(client)
    recompute_workspace(client.id)
    totals = {}
    for user in (owner, s1, s2):
        with user_session(user.id) as s:
            access = queries.require_access(s, user.id, client.id)
            data = read_materialized(s, access)
            rows = s.execute(sa.text("SELECT count(*) FROM inbox_counts")).scalar_one()
        assert data is not None and data["source"] == "materialized"
        totals[user.id] = data["counts"]["total"]
        assert rows == 1  # each caller sees exactly their own scope's row
    assert totals == {owner.id: 3, s1.id: 2, s2.id: 0}
    with user_session(stranger.id) as s:
        assert s.execute(sa.text("SELECT count(*) FROM inbox_counts")).scalar_one() == 0


def _live_rows(client_id: uuid.UUID) -> dict[uuid.UUID, dict[str, int]]:
    with owner_session() as s:
        return compute_rows(s, client_id)


def test_counts_match_the_live_query_for_every_scope() -> None:
    owner = f.create_user()
    client = f.create_workspace("Match", owner)
    setter = f.create_user()
    f.add_member(client, setter, "SETTER")
    lead = f.create_lead(
        client, assignedToUserId=setter.id, sentimentTag="Interested", lastInboundAt=NOW
    )
    f.create_draft(lead)
    recompute_workspace(client.id)
    assert verify_workspace(client.id) == []
    for user in (owner, setter):
        live = queries.live_counts(user.id, client.id)["counts"]
        with user_session(user.id) as s:
            data = read_materialized(s, queries.require_access(s, user.id, client.id))
        assert data is not None and data["counts"] == live


# -- property test: random operations, then recompute == live for every scope ----------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "insert_lead",
                "update_lead",
                "read_lead",
                "delete_lead",
                "insert_message",
                "delete_message",
                "insert_draft",
                "update_draft",
                "reassign",
                "snooze",
                "wake",
            ]
        ),
        st.integers(min_value=0, max_value=10_000),
        st.sampled_from([*ATTENTION_TAGS, "Objection", "Neutral"]),
        st.sampled_from(["new", "qualified", "blacklisted", "unqualified", "needs_repair"]),
    ),
    min_size=1,
    max_size=25,
)


@pytest.fixture(scope="module")
def prop_ws():
    owner = f.create_user()
    client = f.create_workspace("Property", owner)
    setters = [f.create_user() for _ in range(3)]
    for s in setters:
        f.add_member(client, s, "SETTER")
    return client, setters


def _apply(s, client, setters, op, n, tag, status) -> None:
    leads = (
        s.execute(
            sa.text('SELECT id FROM "Lead" WHERE "clientId" = :c ORDER BY id'), {"c": client.id}
        )
        .scalars()
        .all()
    )
    pick = leads[n % len(leads)] if leads else None
    at = NOW - timedelta(minutes=n % 600)
    if op == "insert_lead" or pick is None:
        s.execute(
            sa.text(
                'INSERT INTO "Lead" ("clientId", status, "sentimentTag", "lastInboundAt",'
                ' "lastOutboundAt", "assignedToUserId") VALUES (:c, :st, :tag, :li, :lo, :a)'
            ),
            {
                "c": client.id,
                "st": status,
                "tag": tag,
                "li": at if n % 3 else None,
                "lo": at - timedelta(minutes=n % 7 - 3) if n % 2 else None,
                "a": setters[n % 4].id if n % 4 < 3 else None,
            },
        )
    elif op == "update_lead":
        s.execute(
            sa.text(
                'UPDATE "Lead" SET status = :st, "sentimentTag" = :tag,'
                ' "lastZrgOutboundAt" = :z WHERE id = :i'
            ),
            {"st": status, "tag": tag, "z": at if n % 2 else None, "i": pick},
        )
    elif op == "read_lead":  # what marking read or unread writes (the rollup)
        s.execute(
            sa.text('UPDATE "Lead" SET "unreadCount" = :u WHERE id = :i'), {"u": n % 3, "i": pick}
        )
    elif op == "delete_lead":
        s.execute(sa.text('DELETE FROM "Lead" WHERE id = :i'), {"i": pick})
    elif op == "insert_message":
        s.execute(
            sa.text(
                'INSERT INTO "Message" ("clientId", "leadId", channel, source, direction, "sentBy",'
                " \"aiDraftId\", body) VALUES (:c, :l, 'email', 'zrg', 'outbound', 'ai', :d, 'x')"
            ),
            {"c": client.id, "l": pick, "d": uuid.uuid4() if n % 2 else None},
        )
    elif op == "delete_message":
        s.execute(sa.text('DELETE FROM "Message" WHERE "leadId" = :l'), {"l": pick})
    elif op == "insert_draft":
        s.execute(
            sa.text(
                'INSERT INTO "AIDraft" ("clientId", "leadId", body, "autoSendAction")'
                " VALUES (:c, :l, 'd', :a)"
            ),
            {"c": client.id, "l": pick, "a": "needs_review" if n % 2 else "skip"},
        )
    elif op == "update_draft":
        s.execute(
            sa.text('UPDATE "AIDraft" SET status = \'approved\' WHERE "leadId" = :l'), {"l": pick}
        )
    elif op == "reassign":
        s.execute(
            sa.text('UPDATE "Lead" SET "assignedToUserId" = :a WHERE id = :i'),
            {"a": setters[n % 3].id if n % 4 else None, "i": pick},
        )
    elif op == "snooze":
        s.execute(
            sa.text('UPDATE "Lead" SET "snoozedUntil" = :t WHERE id = :i'),
            {"t": NOW + timedelta(days=1), "i": pick},
        )
    elif op == "wake":
        s.execute(
            sa.text('UPDATE "Lead" SET "snoozedUntil" = :t WHERE id = :i'),
            {"t": NOW - timedelta(days=1), "i": pick},
        )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_property_materialized_equals_live_after_random_writes(prop_ws, ops) -> None:
    client, setters = prop_ws
    for op, n, tag, status in ops:
        with owner_session() as s:
            _apply(s, client, setters, op, n, tag, status)
    # Like the job: recompute only what the triggers marked dirty. A write that changed a
    # count without marking its workspace would leave the rows stale and fail below.
    if _dirty_seq(client.id) is not None:
        assert recompute_workspace(client.id).cleared_dirty
    assert _dirty_seq(client.id) is None
    assert verify_workspace(client.id) == []
    with owner_session() as s:
        stored = {
            r.scopeUserId: r.total
            for r in s.execute(
                sa.text('SELECT "scopeUserId", total FROM inbox_counts WHERE "clientId" = :c'),
                {"c": client.id},
            )
        }
    assert stored == {k: v["total"] for k, v in _live_rows(client.id).items()}


def test_cli_recompute_and_verify() -> None:
    owner = f.create_user()
    client = f.create_workspace("Cli", owner)
    f.create_lead(client, status="needs_repair")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "inboxapp", "counts", *args],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    done = cli("recompute", "--client-id", str(client.id))
    assert done.returncode == 0, done.stderr
    assert cli("verify", "--client-id", str(client.id)).returncode == 0
    f.create_lead(client)  # the materialized row is now behind
    bad = cli("verify", "--client-id", str(client.id))
    assert bad.returncode == 1 and "materialized" in bad.stderr
    assert cli("recompute", "--all").returncode == 0
    assert cli("verify", "--client-id", str(client.id)).returncode == 0
    assert cli("verify", "--client-id", "nope").returncode == 2

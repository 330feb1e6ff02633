"""Demo and scale seeders against the real test database (owner connection)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from inboxapp.config import get_settings, libpq_url
from inboxapp.db.models import Message
from inboxapp.seed import SeedError
from inboxapp.seed.demo import WORKSPACES, seed_demo
from inboxapp.seed.rollups import PREVIEW_CHARS, derive_rollups
from inboxapp.seed.scale import seed_scale

TABLES = ("User", "Client", "ClientMember", "Campaign", "Lead", "Message", "AIDraft")
ATTENTION = (
    "'Meeting Booked','Meeting Requested','Call Requested','Information Requested',"
    "'Positive','Interested','Follow Up'"
)
# The category definitions of docs/inbox-semantics.md, written out independently of the seeder.
CATEGORIES_SQL = f"""
WITH l AS (
  SELECT l.*, coalesce(l."lastZrgOutboundAt", l."lastOutboundAt", 'epoch'::timestamptz) AS ours
  FROM "Lead" l
  WHERE l."clientId" = %(client)s AND (l."snoozedUntil" IS NULL OR l."snoozedUntil" <= now())
)
SELECT
  count(*) AS total,
  count(*) FILTER (WHERE "lastInboundAt" IS NOT NULL AND "lastInboundAt" > ours) AS "allResponses",
  count(*) FILTER (
    WHERE "lastInboundAt" IS NOT NULL AND "lastInboundAt" > ours
      AND "sentimentTag" IN ({ATTENTION}) AND status NOT IN ('blacklisted', 'unqualified')
  ) AS "requiresAttention",
  count(*) FILTER (
    WHERE "sentimentTag" IN ({ATTENTION}) AND status NOT IN ('blacklisted', 'unqualified')
      AND ours >= "lastInboundAt"
  ) AS "previouslyRequiredAttention",
  count(*) FILTER (WHERE status = 'needs_repair') AS "needsRepair",
  count(*) FILTER (WHERE EXISTS (
    SELECT 1 FROM "Message" m WHERE m."clientId" = l."clientId" AND m."leadId" = l.id
      AND m.channel = 'email'
      AND m.direction = 'outbound' AND m.source = 'zrg' AND m."sentBy" = 'ai'
      AND m."aiDraftId" IS NOT NULL)) AS "aiSent",
  count(*) FILTER (WHERE EXISTS (
    SELECT 1 FROM "AIDraft" d WHERE d."clientId" = l."clientId" AND d."leadId" = l.id
      AND d.status = 'pending'
      AND d."autoSendAction" = 'needs_review')) AS "aiReview",
  count(*) FILTER (WHERE status NOT IN ('blacklisted', 'unqualified')) AS "totalNonBlacklisted",
  count(*) FILTER (WHERE status = 'blacklisted') AS blacklisted,
  count(*) FILTER (WHERE status = 'unqualified') AS unqualified,
  count(*) FILTER (
    WHERE status IN ('blacklisted', 'unqualified') AND "sentimentTag" IN ({ATTENTION})
      AND "lastInboundAt" > ours
  ) AS "excludedAttention",
  count(*) FILTER (WHERE "appointmentBookedAt" IS NOT NULL) AS "meetingBooked",
  count(*) FILTER (WHERE "unreadCount" > 0) AS unread,
  count(*) FILTER (WHERE "assignedToUserId" IS NOT NULL) AS assigned,
  count(*) FILTER (WHERE "positiveAt" IS NOT NULL AND "assignedToUserId" IS NULL)
    AS "positiveUnassigned",
  count(*) FILTER (WHERE "lastMessageAt" IS NULL) AS "noMessages",
  count(*) FILTER (WHERE "overallScore" IS NULL) AS "scoreNull",
  count(*) FILTER (WHERE "overallScore" = 0) AS "score0",
  count(*) FILTER (WHERE "overallScore" = 1) AS "score1",
  count(*) FILTER (WHERE "overallScore" = 2) AS "score2",
  count(*) FILTER (WHERE "overallScore" = 3) AS "score3",
  count(*) FILTER (WHERE "overallScore" = 4) AS "score4"
FROM l
"""
SNOOZE_SQL = """
SELECT count(*) FILTER (WHERE "snoozedUntil" > now()) AS future,
       count(*) FILTER (WHERE "snoozedUntil" <= now()) AS past
FROM "Lead" WHERE "clientId" = %(client)s
"""
ROLLUP_MISMATCH_SQL = f"""
WITH agg AS (
  SELECT "leadId",
    max("sentAt") FILTER (WHERE direction = 'inbound') AS li,
    max("sentAt") FILTER (WHERE direction = 'outbound') AS lo,
    max("sentAt") FILTER (WHERE direction = 'outbound' AND source = 'zrg') AS lz,
    max("sentAt") AS lm,
    count(*) FILTER (WHERE direction = 'inbound' AND NOT "isRead") AS unread
  FROM "Message" WHERE "clientId" = ANY(%(clients)s) GROUP BY "leadId"
), latest AS (
  SELECT DISTINCT ON ("leadId") "leadId", direction, left(body, {PREVIEW_CHARS}) AS preview
  FROM "Message" WHERE "clientId" = ANY(%(clients)s) ORDER BY "leadId", "sentAt" DESC, id DESC
)
SELECT count(*) AS leads, count(*) FILTER (WHERE NOT (
      l."lastInboundAt" IS NOT DISTINCT FROM a.li
  AND l."lastOutboundAt" IS NOT DISTINCT FROM a.lo
  AND l."lastZrgOutboundAt" IS NOT DISTINCT FROM a.lz
  AND l."lastMessageAt" IS NOT DISTINCT FROM a.lm
  AND l."lastMessageDirection" IS NOT DISTINCT FROM t.direction
  AND l."lastMessagePreview" IS NOT DISTINCT FROM t.preview
  AND l."unreadCount" = coalesce(a.unread, 0)
  AND l."updatedAt" >= coalesce(a.lm, l."createdAt")
  AND l."updatedAt" <= now()
)) AS mismatched
FROM "Lead" l LEFT JOIN agg a ON a."leadId" = l.id LEFT JOIN latest t ON t."leadId" = l.id
WHERE l."clientId" = ANY(%(clients)s)
"""


def owner_conn() -> psycopg.Connection[Any]:
    return psycopg.connect(libpq_url(get_settings().owner_url))


def row_counts() -> dict[str, int]:
    with owner_conn() as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES}


def fetch_dict(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> dict[str, Any]:
    cur = conn.execute(sql, params)
    names = [d.name for d in cur.description or ()]
    row = cur.fetchone()
    assert row is not None
    return dict(zip(names, row, strict=True))


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return seed_demo()


DEMO_IDS = [w.id for w in WORKSPACES]


def test_demo_creates_three_workspaces_with_every_role(demo: dict[str, Any]) -> None:
    assert [w["name"] for w in demo["workspaces"]] == [
        "Acme Outbound",
        "Northwind Sales",
        "Globex Growth",
    ]
    assert demo["password"] == get_settings().demo_password
    with owner_conn() as conn:
        for ws in DEMO_IDS:
            owner = conn.execute('SELECT "ownerUserId" FROM "Client" WHERE id = %s', (ws,))
            assert owner.fetchone()[0] is not None
            roles = dict(
                conn.execute(
                    'SELECT role, count(*) FROM "ClientMember" WHERE "clientId" = %s GROUP BY 1',
                    (ws,),
                ).fetchall()
            )
            assert roles.keys() == {"ADMIN", "INBOX_MANAGER", "SETTER", "CLIENT_PORTAL"}
            assert roles["SETTER"] >= 2
            campaigns = {
                r[0]
                for r in conn.execute(
                    'SELECT channel FROM "Campaign" WHERE "clientId" = %s', (ws,)
                ).fetchall()
            }
            assert campaigns == {"email", "sms", "linkedin"}
            leads = conn.execute('SELECT count(*) FROM "Lead" WHERE "clientId" = %s', (ws,))
            assert leads.fetchone()[0] == 1000
        # Someone holds different roles in two workspaces.
        multi = conn.execute(
            'SELECT count(*) FROM (SELECT "userId" FROM "ClientMember" WHERE "clientId" = ANY(%s)'
            ' GROUP BY "userId" HAVING count(DISTINCT "clientId") > 1'
            " AND count(DISTINCT role) > 1) s",
            (DEMO_IDS,),
        ).fetchone()[0]
        assert multi >= 1
        # Every demo login has the shared password.
        hashes = conn.execute(
            'SELECT "passwordHash" FROM "User" WHERE lower(email) = ANY(%s)',
            ([u["email"] for u in demo["users"]],),
        ).fetchall()
    assert len(hashes) == len(demo["users"])
    from inboxapp.auth.passwords import verify_password

    assert verify_password(hashes[0][0], demo["password"])
    roles_by_ws = [u["roles"] for u in demo["users"] if len(u["roles"]) > 1]
    assert any(len(set(r.values())) > 1 for r in roles_by_ws)


def test_demo_is_idempotent(demo: dict[str, Any]) -> None:
    before = row_counts()
    again = seed_demo()
    assert row_counts() == before
    assert again["created"] == dict.fromkeys(demo["created"], 0)
    assert {k: again[k] for k in ("password", "workspaces", "users")} == {
        k: demo[k] for k in ("password", "workspaces", "users")
    }


@pytest.mark.parametrize("workspace", DEMO_IDS, ids=[w.key for w in WORKSPACES])
def test_demo_covers_every_category(demo: dict[str, Any], workspace: uuid.UUID) -> None:
    with owner_conn() as conn:
        counts = fetch_dict(conn, CATEGORIES_SQL, {"client": workspace})
        snoozed = fetch_dict(conn, SNOOZE_SQL, {"client": workspace})
        ties = conn.execute(
            'SELECT max(n) FROM (SELECT count(*) AS n FROM "Lead" WHERE "clientId" = %s'
            ' GROUP BY "updatedAt") s',
            (workspace,),
        ).fetchone()[0]
        replies = {
            (channel, sent_by): n
            for channel, sent_by, n in conn.execute(
                'SELECT channel, "sentBy", count(*) FROM "Message" WHERE "clientId" = %s'
                " AND source = 'zrg' AND direction = 'outbound' GROUP BY 1, 2",
                (workspace,),
            ).fetchall()
        }
        ai_without_draft = conn.execute(
            'SELECT count(*) FROM "Message" WHERE "clientId" = %s AND "sentBy" = \'ai\''
            ' AND "aiDraftId" IS NULL',
            (workspace,),
        ).fetchone()[0]
    empty = [name for name, n in counts.items() if not n]
    assert not empty, f"categories without leads: {empty} ({counts})"
    assert snoozed["future"] > 0 and snoozed["past"] > 0
    assert ties > 50, "a tie group larger than one page (pagination tie-breaker tests)"
    for channel in ("email", "sms", "linkedin"):
        assert replies.get((channel, "setter")), f"setter replies on {channel}"
        assert replies.get((channel, "ai")), f"AI replies on {channel}"
    assert ai_without_draft == 0


def test_demo_rollups_match_messages(demo: dict[str, Any]) -> None:
    with owner_conn() as conn:
        result = fetch_dict(conn, ROLLUP_MISMATCH_SQL, {"clients": DEMO_IDS})
    assert result == {"leads": 3000, "mismatched": 0}


def test_demo_positive_leads_are_assigned_round_robin_to_setters(demo: dict[str, Any]) -> None:
    with owner_conn() as conn:
        for ws in DEMO_IDS:
            per_setter = conn.execute(
                'SELECT l."assignedToUserId", count(*), bool_and(m.role IS NOT NULL),'
                ' bool_and(l."assignedAt" >= l."positiveAt")'
                ' FROM "Lead" l LEFT JOIN "ClientMember" m ON m."clientId" = l."clientId"'
                ' AND m."userId" = l."assignedToUserId" AND m.role = \'SETTER\''
                ' WHERE l."clientId" = %s AND l."assignedToUserId" IS NOT NULL GROUP BY 1',
                (ws,),
            ).fetchall()
            setters = conn.execute(
                'SELECT count(*) FROM "ClientMember" WHERE "clientId" = %s AND role = \'SETTER\'',
                (ws,),
            ).fetchone()[0]
            assert len(per_setter) == setters
            assert all(is_setter and ordered for _, _, is_setter, ordered in per_setter)
            counts = [n for _, n, _, _ in per_setter]
            assert max(counts) - min(counts) <= 1, counts


def test_scale_seed_creates_exactly_n_leads_with_consistent_rollups() -> None:
    before = row_counts()
    result = seed_scale(2000, workspaces=2, messages_per_lead=5, seed=7)
    ids = [uuid.UUID(w["id"]) for w in result["workspaces"]]
    assert [w["leads"] for w in result["workspaces"]] == [1000, 1000]
    assert result["workspaces"][0]["name"].startswith("Scale 2000 #")
    after = row_counts()
    counts = result["counts"]
    assert after["Lead"] - before["Lead"] == counts["leads"] == 2000
    assert after["Message"] - before["Message"] == counts["messages"]
    assert after["AIDraft"] - before["AIDraft"] == counts["drafts"]
    assert after["User"] - before["User"] == counts["users"]
    assert 4.0 <= counts["messages"] / counts["leads"] <= 6.0
    with owner_conn() as conn:
        assert fetch_dict(conn, ROLLUP_MISMATCH_SQL, {"clients": ids}) == {
            "leads": 2000,
            "mismatched": 0,
        }
        for ws in ids:
            categories = fetch_dict(conn, CATEGORIES_SQL, {"client": ws})
            main = ("allResponses", "requiresAttention", "previouslyRequiredAttention")
            main += ("needsRepair", "aiSent", "aiReview")
            assert all(categories[k] > 0 for k in main), categories
            setters = conn.execute(
                'SELECT count(*) FROM "ClientMember" WHERE "clientId" = %s AND role = \'SETTER\'',
                (ws,),
            ).fetchone()[0]
            assert 5 <= setters <= 10


def _fingerprint(workspace_id: str) -> str:
    with owner_conn() as conn:
        return conn.execute(
            """SELECT md5(string_agg(concat_ws('|', "firstName", "lastName", email, phone, company,
                 status, "sentimentTag", "unreadCount", "overallScore", "lastMessagePreview",
                 extract(epoch FROM "lastMessageAt" - "createdAt")), ',' ORDER BY right(id::text, 12)))
               FROM "Lead" WHERE "clientId" = %s""",
            (workspace_id,),
        ).fetchone()[0]


def test_scale_seed_is_deterministic_and_numbers_runs() -> None:
    first = seed_scale(300, seed=99)
    second = seed_scale(300, seed=99)
    other = seed_scale(300, seed=100)
    a, b, c = (r["workspaces"][0] for r in (first, second, other))
    run_a, run_b = (int(w["name"].rsplit("#", 1)[1]) for w in (a, b))
    assert run_b == run_a + 1
    assert _fingerprint(a["id"]) == _fingerprint(b["id"]) != _fingerprint(c["id"])
    assert first["counts"] == second["counts"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"leads": 0}, "--leads"),
        ({"leads": 10, "workspaces": 11}, "--workspaces"),
        ({"leads": 10, "messages_per_lead": 0}, "--messages-per-lead"),
    ],
)
def test_scale_seed_rejects_bad_parameters(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(SeedError, match=message):
        seed_scale(**kwargs)


def test_derive_rollups_accepts_orm_messages() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    lead_id = uuid.uuid4()

    def msg(minutes: int, direction: str, source: str, body: str, read: bool = True) -> Message:
        return Message(
            leadId=lead_id,
            channel="email",
            source=source,
            direction=direction,
            body=body,
            sentAt=t0 + timedelta(minutes=minutes),
            isRead=read,
        )

    rollups = derive_rollups(
        [
            msg(0, "outbound", "campaign", "hello"),
            msg(5, "inbound", "campaign", "old reply", read=False),
            msg(10, "outbound", "zrg", "our answer"),
            msg(30, "inbound", "zrg", "x" * 500, read=False),
            msg(20, "outbound", "campaign", "follow-up"),
        ]
    )
    assert rollups.lastInboundAt == t0 + timedelta(minutes=30)
    assert rollups.lastOutboundAt == t0 + timedelta(minutes=20)
    assert rollups.lastZrgOutboundAt == t0 + timedelta(minutes=10)
    assert rollups.lastMessageAt == t0 + timedelta(minutes=30)
    assert rollups.lastMessageDirection == "inbound"
    assert rollups.lastMessagePreview == "x" * PREVIEW_CHARS
    assert rollups.unreadCount == 2
    empty = derive_rollups([])
    assert empty.lastMessageAt is None and empty.unreadCount == 0


def test_copy_failure_stops_the_producer_and_keeps_nothing() -> None:
    """A writer error surfaces in the caller (no hang) and the caller's transaction has nothing."""
    from inboxapp.seed.writer import copy_in_background

    bad_block = ("not\ta\tvalid\tlead\trow\n", "", "")
    produced = 0

    def blocks() -> Any:
        nonlocal produced
        for _ in range(50):
            produced += 1
            yield bad_block

    with owner_conn() as a, owner_conn() as b:
        before = a.execute('SELECT count(*) FROM "Lead"').fetchone()[0]
        with pytest.raises(psycopg.errors.DataError):
            copy_in_background([a, b], blocks(), depth=1)
        a.rollback()
        assert a.execute('SELECT count(*) FROM "Lead"').fetchone()[0] == before
    assert produced < 50

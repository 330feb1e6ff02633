"""Realtime against real Postgres: triggers (ids only), the LISTEN feed, the hub's batched RLS
visibility and the subscription API, all running in the test's own event loop.

A control subscriber in the same workspace makes negative checks deterministic: the hub decides
a batch for all of a workspace's subscribers at once, so when the control has its event, every
other subscriber of that workspace has (or will never have) its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from inboxapp.auth.service import AuthError, login, logout
from inboxapp.auth.tokens import issue_access_token
from inboxapp.config import get_settings, libpq_url
from inboxapp.counts.recompute import recompute_workspace
from inboxapp.db.engine import owner_session
from inboxapp.db.models import Client, User
from inboxapp.errors import Forbidden
from inboxapp.inbox import actions
from inboxapp.realtime import RealtimeEvent, Subscription, SubscriptionClosed
from inboxapp.realtime.pg_feed import LEAD_CHANNEL, parse_notification, quick_client_id
from inboxapp.realtime.subscription import process_hub, shutdown, subscribe
from inboxapp.simulate import Simulator, record_inbound, register
from tests.factories import (
    PASSWORD,
    add_member,
    create_lead,
    create_message,
    create_user,
    create_workspace,
    open_session,
)
from tests.support import until

# -- helpers -----------------------------------------------------------------------------------


def run(scenario: Callable[[], Awaitable[None]], timeout: float = 30) -> None:
    """Run ``scenario`` in a fresh event loop; the process hub is shut down afterwards."""

    async def main() -> None:
        try:
            await asyncio.wait_for(scenario(), timeout=timeout)
        finally:
            await shutdown()

    asyncio.run(main())


class MovableClock(asyncio.SelectorEventLoop):
    """An event loop whose clock the test moves forward: a hub timer (batch window, counts
    pace) falls due when the test says so, after what it waits for has happened, never after
    a wall-clock window that a loaded machine can overrun."""

    ahead = 0.0

    def time(self) -> float:
        return super().time() + self.ahead


def run_with_clock(scenario: Callable[[MovableClock], Awaitable[None]]) -> None:
    """Run ``scenario(loop)`` on a :class:`MovableClock` (no loop-timed overall timeout: moving
    the clock would fire it; every wait inside has its own deadline)."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, MovableClock)
        try:
            await scenario(loop)
        finally:
            await shutdown()

    with asyncio.Runner(loop_factory=MovableClock) as runner:
        runner.run(main())


def token(user: User, *, ttl: int = 3600, now: int | None = None) -> str:
    return issue_access_token(
        user_id=str(user.id),
        email=user.email,
        session_id=open_session(user.id),
        secret=get_settings().signing_secret,
        ttl_s=ttl,
        now=now,
    )


def update_lead(lead_id: uuid.UUID, **values: Any) -> None:
    values.setdefault("updatedAt", sa.func.now())
    with owner_session() as s:
        s.execute(sa.update(LEAD).where(LEAD.c.id == lead_id).values(**values))


LEAD: sa.Table = sa.table(  # only the columns these tests write
    "Lead",
    sa.column("id"),
    sa.column("status"),
    sa.column("updatedAt"),
    sa.column("positiveAt"),
    sa.column("assignedToUserId"),
)


async def write(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Blocking database writes run in a thread, so the loop keeps listening."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def next_event(sub: Subscription, timeout: float = 5.0) -> RealtimeEvent:
    event = await sub.next_event(timeout=timeout)
    assert event is not None, "no event within timeout"
    return event


async def ids_until(sub: Subscription, wanted: set[uuid.UUID], timeout: float = 8.0) -> list[Any]:
    """Read events until ``wanted`` lead ids were all seen; returns the events."""
    seen: set[uuid.UUID] = set()
    events: list[RealtimeEvent] = []
    deadline = time.monotonic() + timeout
    while not wanted <= seen:
        event = await next_event(sub, max(0.01, deadline - time.monotonic()))
        events.append(event)
        seen.update(event.lead_ids)
    return events


def nothing_pending(*subs: Subscription) -> bool:
    return not any(s.pending for s in subs)


# -- triggers ----------------------------------------------------------------------------------


def test_lead_triggers_notify_ids_only_chunked_and_skip_messages(database_url: str) -> None:
    owner = create_user()
    ws = create_workspace("Trigger WS", owner=owner)
    setter = create_user()
    add_member(ws, setter, "SETTER")
    lead = create_lead(ws, email="secret-person@example.test")

    def drain(conn: psycopg.Connection[Any]) -> list[str]:
        return [
            n.payload
            for n in conn.notifies(timeout=0.3)
            if n.channel == LEAD_CHANNEL and str(ws.id) in n.payload
        ]

    with psycopg.connect(libpq_url(database_url), autocommit=True) as listener:
        listener.execute(f"LISTEN {LEAD_CHANNEL}")

        # One statement inserting 150 leads: 3 chunks, each well below the 8000-byte limit.
        with owner_session() as s:
            s.execute(
                sa.text(
                    'INSERT INTO "Lead" ("clientId", "firstName", email)'
                    " SELECT :c, 'Zed', 'zed' || g || '@example.test'"
                    " FROM generate_series(1, 150) g"
                ),
                {"c": ws.id},
            )
        payloads = drain(listener)
        assert len(payloads) == 3
        events = [parse_notification(LEAD_CHANNEL, p) for p in payloads]
        assert all(e is not None and e.op == "INSERT" for e in events)
        assert sum(len(e.changes) for e in events if e) == 150
        assert not any("@" in p or "Zed" in p for p in payloads)
        assert {quick_client_id(LEAD_CHANNEL, p) for p in payloads} == {ws.id}

        # Assigning all of them in one UPDATE (the largest entries: three uuids each).
        with owner_session() as s:
            s.execute(
                sa.text('UPDATE "Lead" SET "assignedToUserId" = :u WHERE "clientId" = :c'),
                {"u": setter.id, "c": ws.id},
            )
        payloads = drain(listener)
        assert len(payloads) == 3
        assert max(len(p.encode()) for p in payloads) < 7900
        parsed = [parse_notification(LEAD_CHANNEL, p) for p in payloads]
        changes = [c for e in parsed if e for c in e.changes]
        assert len(changes) == 151
        assert {(c.old_assignee, c.new_assignee) for c in changes} == {(None, setter.id)}

        # An update of a column the inbox does not show notifies nothing.
        update_lead(lead.id, positiveAt=datetime.now(UTC), updatedAt=lead.updatedAt)
        assert drain(listener) == []
        # Message inserts alone notify nothing (no trigger on Message).
        create_message(lead, direction="inbound", body="hi")
        assert drain(listener) == []
        # A rolled-back write notifies nothing.
        with pytest.raises(RuntimeError), owner_session() as s:
            s.execute(sa.update(LEAD).where(LEAD.c.id == lead.id).values(status="qualified"))
            raise RuntimeError("roll back")
        assert drain(listener) == []
        update_lead(lead.id, status="qualified")
        (payload,) = drain(listener)
        event = parse_notification(LEAD_CHANNEL, payload)
        assert event is not None and event.op == "UPDATE"
        assert event.changes[0].lead_id == lead.id


# -- subscriptions -----------------------------------------------------------------------------


def test_workspace_isolation_and_clean_unsubscribe() -> None:
    alice, bob = create_user(), create_user()
    ws_a = create_workspace("Alice WS", owner=alice)
    ws_b = create_workspace("Bob WS", owner=bob)
    lead_a = create_lead(ws_a)

    async def scenario() -> None:
        hub = process_hub()
        # Alice cannot subscribe to Bob's workspace at all.
        with pytest.raises(Forbidden):
            async with subscribe(ws_b.id, token(alice)):
                pass
        with pytest.raises(AuthError):
            async with subscribe(ws_a.id, "not-a-token"):
                pass
        assert hub.subscriber_count() == 0

        async with (
            subscribe(ws_a.id, token(alice)) as sub_a,
            subscribe(ws_b.id, token(bob)) as sub_b,
        ):
            assert hub.subscriber_count() == 2 and sub_a.live
            # Bob's writes: Bob (control) hears them, Alice hears nothing.
            lead_b = await write(create_lead, ws_b)
            await write(update_lead, lead_b.id, status="qualified")
            # The insert and the update may reach Bob in one batch or two: read up to a later
            # marker write, so nothing of them is left pending (a condition, not a window).
            marker_b = await write(create_lead, ws_b)
            await ids_until(sub_b, {lead_b.id, marker_b.id})
            assert hub.version(ws_a.id) == 0 and nothing_pending(sub_a)
            assert await sub_a.next_event(timeout=0.3) is None  # the heartbeat hook: a timeout

            # Alice's own write reaches her, with the lead id only.
            await write(update_lead, lead_a.id, status="qualified")
            event = await next_event(sub_a)
            assert event.as_dict() == {
                "clientId": str(ws_a.id),
                "leadIds": [str(lead_a.id)],
                "op": "UPDATE",
                "version": hub.version(ws_a.id),
            }
            assert nothing_pending(sub_b)

            # A busy reader loses nothing: two batches coalesce into one read.
            # Each batch is waited for by its lead id in the subscription's unread set.
            lead_a2 = await write(create_lead, ws_a)
            await until(lambda: lead_a2.id in sub_a._ids, "the first batch")
            await write(update_lead, lead_a.id, status="new")
            await until(lambda: lead_a.id in sub_a._ids, "the second batch")
            event = await next_event(sub_a)
            assert set(event.lead_ids) == {lead_a.id, lead_a2.id}
            assert event.op == "INSERT" and event.version == hub.version(ws_a.id)

            # One listener per key (e.g. a browser tab): the newer supersedes the older.
            async with (
                subscribe(ws_a.id, token(alice), key="tab-1") as first,
                subscribe(ws_a.id, token(alice), key="tab-1") as second,
            ):
                with pytest.raises(SubscriptionClosed):
                    await first.next_event(timeout=1)
                assert hub.subscriber_count(ws_a.id) == 2  # sub_a + second
                assert not second.closed
        assert hub.subscriber_count() == 0
        assert sub_a.closed and sub_b.closed

    run(scenario)


def test_setter_scope_and_reassignment_away() -> None:
    owner, admin, s1, s2 = (create_user() for _ in range(4))
    ws = create_workspace("Setter WS", owner=owner)
    add_member(ws, admin, "ADMIN")
    add_member(ws, s1, "SETTER")
    add_member(ws, s2, "SETTER")
    l1 = create_lead(ws, assignedToUserId=s1.id)
    l2 = create_lead(ws, assignedToUserId=s2.id)
    l3 = create_lead(ws)

    async def scenario() -> None:
        async with (
            subscribe(ws.id, token(admin)) as sub_admin,
            subscribe(ws.id, token(s1)) as sub_s1,
            subscribe(ws.id, token(s2)) as sub_s2,
        ):
            assert sub_s1.role == "SETTER"
            # s1's lead: s1 and the admin hear it, s2 does not.
            await write(update_lead, l1.id, status="qualified")
            assert (await next_event(sub_admin)).lead_ids == (l1.id,)
            assert (await next_event(sub_s1)).lead_ids == (l1.id,)
            assert nothing_pending(sub_s2)

            # s2's lead and an unassigned lead: s1 hears neither.
            await write(update_lead, l2.id, status="qualified")
            await write(update_lead, l3.id, status="qualified")
            await ids_until(sub_admin, {l2.id, l3.id})
            assert (await next_event(sub_s2)).lead_ids == (l2.id,)
            assert nothing_pending(sub_s1)

            # Reassigned away from s1 (through the service layer): s1 gets exactly one event for
            # it although RLS no longer shows it to s1; s2 gets it as a new lead of theirs.
            await write(actions.assign, owner.id, ws.id, l1.id, s2.id)
            event = await next_event(sub_s1)
            assert (event.lead_ids, event.op) == ((l1.id,), "UPDATE")
            assert (await next_event(sub_s2)).lead_ids == (l1.id,)
            await next_event(sub_admin)
            assert await sub_s1.next_event(timeout=0.4) is None  # exactly one

            # From now on l1 is none of s1's business.
            await write(update_lead, l1.id, status="new")
            assert (await next_event(sub_admin)).lead_ids == (l1.id,)
            assert (await next_event(sub_s2)).lead_ids == (l1.id,)
            assert nothing_pending(sub_s1)

    run(scenario)


def test_expired_revoked_removed_and_disabled_sessions_receive_nothing(unique: str) -> None:
    owner, member, disabled = (create_user() for _ in range(3))
    revoked = create_user(email=f"revoked-{unique}@example.test")
    ws = create_workspace("Session WS", owner=owner)
    for user in (member, disabled, revoked):
        add_member(ws, user, "ADMIN")
    lead = create_lead(ws)
    pair = login(revoked.email, PASSWORD, "127.0.0.9")

    async def scenario() -> None:
        short = token(owner, ttl=3600, now=int(time.time()) - 3600 + 3)  # expires in 2-3 s
        async with (
            subscribe(ws.id, token(owner)) as control,
            subscribe(ws.id, short) as expiring,
            subscribe(ws.id, token(member)) as removed,
            subscribe(ws.id, token(disabled)) as off,
            subscribe(ws.id, pair.access_token) as signed_out,
        ):
            assert signed_out.session_id is not None
            await write(update_lead, lead.id, status="qualified")
            await next_event(control)
            for sub in (expiring, removed, off, signed_out):
                assert (await next_event(sub, 1)).lead_ids == (lead.id,)

            # Expire, remove from the workspace, disable, sign out.
            await asyncio.sleep(max(0.0, expiring.expires_at - time.time()) + 0.05)
            assert expiring.expired

            def revoke_all() -> None:
                with owner_session() as s:
                    s.execute(
                        sa.text('DELETE FROM "ClientMember" WHERE "userId" = :u'),
                        {"u": member.id},
                    )
                    s.execute(
                        sa.text('UPDATE "User" SET "disabledAt" = now() WHERE id = :u'),
                        {"u": disabled.id},
                    )
                logout(pair.refresh_token)

            await write(revoke_all)
            await write(update_lead, lead.id, status="new")
            await next_event(control)
            assert nothing_pending(expiring, removed, off, signed_out)
            assert removed.denied == "not_member" and off.denied == "not_member"
            assert signed_out.denied == "session_revoked"
            assert await expiring.next_event(timeout=0.2) is None

            # A refreshed token resumes the expired subscription with a RESYNC (it missed one).
            with pytest.raises(AuthError):
                await expiring.refresh_token(token(member))  # another user's token
            await expiring.refresh_token(token(owner))
            assert (await next_event(expiring)).op == "RESYNC"
            await write(update_lead, lead.id, status="qualified")
            assert (await next_event(expiring)).lead_ids == (lead.id,)

        with pytest.raises(AuthError):  # a signed-out session cannot subscribe again
            async with subscribe(ws.id, pair.access_token):
                pass

    run(scenario)


def test_message_inserts_alone_produce_no_event() -> None:
    owner = create_user()
    ws = create_workspace("Message WS", owner=owner)
    quiet, loud = create_lead(ws), create_lead(ws)

    async def scenario() -> None:
        async with subscribe(ws.id, token(owner)) as sub:
            hub = process_hub()
            before = hub.stats.feed_events
            await write(create_message, quiet, direction="inbound", body="just a message")
            await write(update_lead, loud.id, status="qualified")
            event = await next_event(sub)
            assert event.lead_ids == (loud.id,)
            assert hub.stats.feed_events == before + 1
            # The inbound write path (message + rollups) does announce the lead.
            await write(record_inbound, ws.id, quiet.id, "Interested, tell me more", "sms")
            assert (await next_event(sub)).lead_ids == (quiet.id,)
            # A counts recompute (pg_notify 'inbox_counts') tells sessions to re-read counts.
            await write(recompute_workspace, ws.id)
            event = await next_event(sub)
            assert (event.op, event.lead_ids) == ("COUNTS", ())

    run(scenario)


def test_dropped_listener_reconnects_and_resyncs(database_url: str) -> None:
    owner = create_user()
    ws = create_workspace("Reconnect WS", owner=owner)
    lead = create_lead(ws)

    async def scenario() -> None:
        async with subscribe(ws.id, token(owner)) as sub:
            feed: Any = process_hub().feed
            pid = feed.backend_pid
            assert pid and feed.connections == 1

            def kill_listener_and_write() -> None:
                with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
                    conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
                update_lead(lead.id, status="qualified")  # likely missed by the listener

            await write(kill_listener_and_write)
            event = await next_event(sub, 10)
            while event.op != "RESYNC":  # the write may still have reached the old backend
                event = await next_event(sub, 10)
            assert feed.connections == 2 and feed.backend_pid != pid and sub.live

            # Live again: the next change arrives normally.
            await write(update_lead, lead.id, status="new")
            assert (await next_event(sub)).lead_ids == (lead.id,)

    run(scenario)


def test_queries_per_batch_bounded_by_scopes_not_subscribers() -> None:
    owner, setter = create_user(), create_user()
    admins = [create_user() for _ in range(8)]
    ws = create_workspace("Busy WS", owner=owner)
    for user in admins:
        add_member(ws, user, "ADMIN")
    add_member(ws, setter, "SETTER")
    mine = [create_lead(ws, assignedToUserId=setter.id) for _ in range(10)]
    others = [create_lead(ws) for _ in range(10)]

    async def scenario(clock: MovableClock) -> None:
        hub = process_hub()
        tokens = [token(u) for u in (owner, *admins) for _ in range(5)]  # 45 global sessions
        tokens += [token(setter) for _ in range(5)]  # 5 sessions of one setter
        async with contextlib.AsyncExitStack() as stack:
            subs = [await stack.enter_async_context(subscribe(ws.id, t)) for t in tokens]
            assert hub.subscriber_count(ws.id) == 50
            # The window stays open until the clock is moved: every commit lands in it.
            hub.batch_window, hub.lead_delay = 3600.0, None
            start = hub.stats.snapshot()

            def burst() -> None:  # 20 transactions in quick succession
                for lead in [*mine, *others]:
                    update_lead(lead.id, status="qualified")

            await write(burst)
            await until(
                lambda: hub.stats.feed_events - start["feed_events"] >= 20,
                "the 20 commits' notifications at the hub",
            )
            assert hub.stats.batches == start["batches"] and nothing_pending(*subs)
            clock.ahead += hub.batch_window  # the window closes
            all_ids = {lead.id for lead in [*mine, *others]}
            mine_ids = {lead.id for lead in mine}
            for sub in subs[:45]:
                await ids_until(sub, all_ids)
            for sub in subs[45:]:
                events = await ids_until(sub, mine_ids)
                assert {i for e in events for i in e.lead_ids} == mine_ids

            stats = hub.stats.snapshot()
            batches = stats["batches"] - start["batches"]
            visibility = stats["visibility_queries"] - start["visibility_queries"]
            access = stats["access_queries"] - start["access_queries"]
            assert batches == 1, stats  # 20 commits coalesced, not 20 batches
            assert access == batches  # one roles/sessions query per workspace batch
            assert visibility <= 2 * batches  # global + the one setter scope, never 50

            # The re-read after an event: once per (workspace, scope, version), fanned out.
            calls: list[str] = []

            def compute(scope: str) -> dict[str, Any]:
                calls.append(scope)
                time.sleep(0.05)
                return {"scope": scope}

            version = hub.version(ws.id)
            results = await asyncio.gather(
                *(
                    hub.fetch_once(
                        ("counts", ws.id, sub.scope, version), partial(compute, sub.scope)
                    )
                    for sub in subs
                )
            )
            assert sorted(calls) == sorted(["global", str(setter.id)])
            assert [r["scope"] for r in results] == [sub.scope for sub in subs]
            assert subs[0].scope == "global" and subs[-1].scope == str(setter.id)

            def broken() -> None:
                raise RuntimeError("db down")

            for _ in range(2):  # a failure is never shared or cached
                with pytest.raises(RuntimeError):
                    await hub.fetch_once(("broken", version), broken)
        assert hub.subscriber_count() == 0

    run_with_clock(scenario)


def test_token_refresher_extends_the_subscription_before_expiry() -> None:
    owner = create_user()
    ws = create_workspace("Refresh WS", owner=owner)
    calls: list[str] = []

    async def refresher() -> str:
        calls.append("refresh")
        return token(owner)

    async def scenario() -> None:
        soon = token(owner, now=int(time.time()) - 3600 + 61)  # within the 60 s margin in ~1 s
        async with subscribe(ws.id, soon, refresh=refresher) as sub:
            first = sub.expires_at
            deadline = time.monotonic() + 5
            while sub.expires_at == first:
                assert time.monotonic() < deadline, "not refreshed"
                await asyncio.sleep(0.05)
            assert calls == ["refresh"] and sub.expires_in > 3000

    run(scenario)


def test_simulator_posts_webhooks_and_writes_through_the_service_layer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from inboxapp.api.app import build_api
    from inboxapp.pipeline.inbound import local_urls
    from tests.inbound_helpers import process_pending

    monkeypatch.setattr(local_urls, "PATH", tmp_path / "webhook-urls.json")
    owner, setter = create_user(), create_user()
    ws = create_workspace("Sim WS", owner=owner)
    add_member(ws, setter, "SETTER")
    leads = [create_lead(ws, email=f"sim{i}@lead.example", phone=None) for i in range(5)]

    async def scenario() -> None:
        async with subscribe(ws.id, token(owner)) as sub:
            http = TestClient(build_api())
            sim = Simulator(ws.id, seed=7, url=str(http.base_url), http=http)
            assert sim.actor == owner.id and sim.setters == [setter.id]
            await write(lambda: ([sim.step() for _ in range(12)], process_pending(ws.id)))
            assert sim.stats.actions + sim.stats.errors == 12 and sim.stats.inbound > 0
            event = await next_event(sub)
            assert set(event.lead_ids) <= {lead.id for lead in leads}

    run(scenario)
    with owner_session() as s:
        inbound = s.execute(
            sa.text(
                'SELECT count(*) FROM "Message" WHERE "clientId" = :c AND direction = \'inbound\''
            ),
            {"c": ws.id},
        ).scalar_one()
        assert inbound > 0
        assert s.get(Client, ws.id) is not None

    # The CLI entry point the lead wires into ``python -m inboxapp``.
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        [
            *["simulate", "--client-id", str(ws.id), "--rate", "40", "--duration", "0.25"],
            *["--json", "--url", "http://127.0.0.1:9"],  # nothing listens: posts are errors
        ]
    )
    capsys.readouterr()
    assert args.func(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["actions"] + summary["errors"] >= 5
    with pytest.raises(SystemExit):
        parser.parse_args(["simulate", "--client-id", str(ws.id), "--rate", "0"])


def test_counts_events_are_paced_for_busy_workspaces_only() -> None:
    """A materialized recompute's ``COUNTS`` event waits ``counts_pace`` (and coalesces) in a
    workspace with ``MANY_SUBSCRIBERS`` subscribers here; a quiet workspace gets it at once.

    The pace is an hour of the loop's clock, which the test moves once every recompute has
    reached the hub: the quiet event arriving at all shows it was not paced, and no commit
    can be slow enough to miss the busy one's pace."""
    from inboxapp.realtime.hub import MANY_SUBSCRIBERS

    busy_owner, quiet_owner = create_user(), create_user()
    busy = create_workspace("Busy counts", owner=busy_owner)
    quiet = create_workspace("Quiet counts", owner=quiet_owner)
    lead = create_lead(busy)

    async def scenario(clock: MovableClock) -> None:
        hub = process_hub()
        assert hub.counts_pace > 0
        hub.counts_pace = 3600.0
        async with contextlib.AsyncExitStack() as stack:
            busy_subs = [
                await stack.enter_async_context(subscribe(busy.id, token(busy_owner)))
                for _ in range(MANY_SUBSCRIBERS)
            ]
            quiet_sub = await stack.enter_async_context(subscribe(quiet.id, token(quiet_owner)))
            start = hub.stats.snapshot()["batches"]
            await write(recompute_workspace, quiet.id)
            assert (await next_event(quiet_sub)).op == "COUNTS"  # not paced

            seen = hub.stats.feed_events
            for _ in range(3):  # three recomputes in a row: one paced event
                await write(recompute_workspace, busy.id)
            await until(lambda: hub.stats.feed_events - seen >= 3, "the busy recomputes")
            # A lead change after them goes out at once, and alone: an unpaced COUNTS would
            # have gone out before it or with it.
            await write(update_lead, lead.id, status="qualified")
            for sub in busy_subs:
                event = await next_event(sub)
                assert (event.op, event.lead_ids) == ("UPDATE", (lead.id,))
            assert nothing_pending(*busy_subs)
            assert hub.stats.snapshot()["batches"] - start == 2  # quiet + the lead change
            clock.ahead += hub.counts_pace  # the pace elapses
            events = [await next_event(sub) for sub in busy_subs]
            assert {(e.op, e.lead_ids) for e in events} == {("COUNTS", ())}
            assert hub.stats.feed_events - seen == 4  # nothing else could start a batch
            assert nothing_pending(*busy_subs)  # coalesced: no second event
            assert hub.stats.snapshot()["batches"] - start == 3  # one batch for three recomputes

    run_with_clock(scenario)

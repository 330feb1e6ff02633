"""Contract test of the hosted Supabase Realtime adapter against a local Phoenix-frame server.

Checks what the hosted server would see (join frame: topic, bindings, filter, access token;
heartbeat; ``access_token`` frames on refresh; leave) and that a change frame becomes an
ids-only event. Authorization itself is RLS, tested against the database elsewhere.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from inboxapp.auth.tokens import issue_access_token
from inboxapp.config import get_settings
from inboxapp.realtime.feed import FeedEvent, LeadChange
from inboxapp.realtime.subscription import subscribe
from inboxapp.realtime.supabase_feed import SupabaseLeadFeed
from tests.conftest import TEST_JWT_SECRET
from tests.factories import create_lead, create_user, create_workspace
from tests.fake_supabase_realtime import FakeRealtimeServer


def run(scenario: Callable[[FakeRealtimeServer], Awaitable[None]]) -> None:
    async def main() -> None:
        async with FakeRealtimeServer() as server:
            await asyncio.wait_for(scenario(server), timeout=20)

    asyncio.run(main())


async def wait_until(check: Callable[[], Any], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


def is_event(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f.get("event") == name


def bindings(cid: uuid.UUID) -> list[dict[str, str]]:
    return [
        {"event": ev, "schema": "public", "table": "Lead", "filter": f"clientId=eq.{cid}"}
        for ev in ("INSERT", "UPDATE")
    ]


def test_join_frame_change_events_and_set_auth() -> None:
    cid, lead, setter, other = (uuid.uuid4() for _ in range(4))

    async def scenario(server: FakeRealtimeServer) -> None:
        events: list[FeedEvent] = []
        feed = SupabaseLeadFeed(server.url, "anon-key", "user-jwt-1")
        await feed.start(events.append)
        await feed.watch(cid)
        assert feed.connected

        # Connection URL: /realtime/v1/websocket?apikey=<anon key>&vsn=1.0.0
        path = urlsplit(server.paths[0])
        assert path.path == "/realtime/v1/websocket"
        assert parse_qs(path.query) == {"apikey": ["anon-key"], "vsn": ["1.0.0"]}

        join = await server.wait_for(is_event("phx_join"))
        assert join["topic"] == f"realtime:inbox-leads:{cid}"
        assert join["ref"] and join["join_ref"] == join["ref"]
        assert join["payload"]["access_token"] == "user-jwt-1"
        assert join["payload"]["config"]["postgres_changes"] == bindings(cid)
        heartbeat = await server.wait_for(is_event("heartbeat"))
        assert heartbeat["topic"] == "phoenix"

        topic = join["topic"]
        row = {
            "id": str(lead),
            "clientId": str(cid),
            "assignedToUserId": str(setter),
            "firstName": "Alice",
            "email": "alice@example.test",
            "status": "new",
        }
        await server.emit_change(topic, "INSERT", row)
        await wait_until(lambda: len(events) == 1)
        assert events[0] == FeedEvent(cid, "INSERT", (LeadChange(lead, None, setter),))
        assert "alice" not in repr(events[0]).lower()

        # UPDATE: old_record holds only the key under the default replica identity.
        await server.emit_change(
            topic, "UPDATE", {**row, "assignedToUserId": None}, {"id": str(lead)}
        )
        await wait_until(lambda: len(events) == 2)
        assert events[1] == FeedEvent(cid, "UPDATE", (LeadChange(lead, None, None),))

        # A frame for another workspace (the client does not filter) is dropped.
        await server.emit_change(topic, "UPDATE", {**row, "clientId": str(other)})
        await server.emit_change(topic, "INSERT", {**row, "id": str(other)})
        await wait_until(lambda: len(events) == 3)
        assert feed.dropped == 1
        assert events[2].lead_ids == (other,)

        await feed.set_auth("user-jwt-2")
        frame = await server.wait_for(is_event("access_token"))
        assert frame["topic"] == topic
        assert frame["payload"] == {"access_token": "user-jwt-2"}

        await feed.close()
        leave = await server.wait_for(is_event("phx_leave"))
        assert leave["topic"] == topic

    run(scenario)


@pytest.fixture
def hosted(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_subscription_uses_hosted_realtime_with_the_users_token(
    hosted: pytest.MonkeyPatch,
) -> None:
    owner = create_user()
    workspace = create_workspace("Hosted", owner=owner)
    lead = create_lead(workspace)
    stranger = create_user()

    async def scenario(server: FakeRealtimeServer) -> None:
        hosted.setenv("SUPABASE_URL", server.url)
        hosted.setenv("SUPABASE_ANON_KEY", "anon-key")
        get_settings.cache_clear()
        issuer = f"{server.url}/auth/v1"

        def token(user_id: uuid.UUID, ttl: int = 3600) -> str:
            return issue_access_token(
                user_id=str(user_id),
                email="x@example.test",
                session_id=str(uuid.uuid4()),
                secret=TEST_JWT_SECRET,
                ttl_s=ttl,
                issuer=issuer,
            )

        from inboxapp.errors import Forbidden

        with pytest.raises(Forbidden):
            async with subscribe(workspace.id, token(stranger.id)):
                pass

        first = token(owner.id)
        async with subscribe(workspace.id, first) as sub:
            join = await server.wait_for(is_event("phx_join"))
            assert join["payload"]["access_token"] == first
            assert join["payload"]["config"]["postgres_changes"] == bindings(workspace.id)
            assert sub.live
            row = {"id": str(lead.id), "clientId": str(workspace.id), "email": "a@b.test"}
            await server.emit_change(join["topic"], "UPDATE", row, {"id": str(lead.id)})
            event = await sub.next_event(timeout=5)
            assert event is not None
            assert event.as_dict() == {
                "clientId": str(workspace.id),
                "leadIds": [str(lead.id)],
                "op": "UPDATE",
                "version": 1,
            }
            second = token(owner.id, ttl=7200)
            await sub.refresh_token(second)
            frame = await server.wait_for(is_event("access_token"))
            assert frame["payload"] == {"access_token": second}
        await server.wait_for(is_event("phx_leave"))

    run(scenario)

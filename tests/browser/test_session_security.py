"""Sessions end when they end, on the real production server (browserless tabs and Chromium).

After logout, disable, member removal and refresh-token reuse detection, an open tab can
neither read nor write (the database proves no row was written) and the HTTP API refuses the
tab's access token; a socket presenting only another tab's client token receives nothing of
that tab's private state; a revoked session's live listener delivers nothing.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from inboxapp import admin
from inboxapp.auth import service as auth_service
from inboxapp.auth.tokens import AuthError, TokenPair
from inboxapp.db.engine import owner_session
from inboxapp.inbox.rollups import RECOMPUTE_LEAD_ROLLUPS
from inboxapp.state.auth import AuthState
from inboxapp.state.inbox import InboxState
from tests import factories
from tests.factories import PASSWORD
from tests.reflex_socket import BOOT_EVENT, Tab, handler, route, run, storage_of

pytestmark = pytest.mark.browser

LIVE = re.compile(r'"live_status_rx_state_"\s*:\s*"live"')
NO_WORKSPACES = re.compile(r'"workspaces_rx_state_"\s*:\s*\[\]')
DEADLINE_S = 20.0
"""How long a test waits for a condition (a bound for a stuck test, not a speed claim)."""


@dataclass
class World:
    ws: Any
    user: Any
    lead: Any
    marker: str
    """Text only this lead's conversation contains (its inbound message)."""


@pytest.fixture
def world() -> World:
    tag = uuid.uuid4().hex[:8]
    owner = factories.create_user(name=f"Owner {tag}")
    user = factories.create_user(name=f"Admin {tag}", email=f"admin-{tag}@example.test")
    ws = factories.create_workspace(name=f"Guarded {tag}", owner=owner)
    factories.add_member(ws, user, "ADMIN")
    marker = f"secret-{tag}"
    lead = factories.create_lead(ws, firstName="Quinn", lastName=tag, sentimentTag="Interested")
    factories.create_message(lead, direction="inbound", source="campaign", body=marker)
    with owner_session() as s:
        s.execute(RECOMPUTE_LEAD_ROLLUPS, {"lead_id": lead.id})
    return World(ws, user, lead, marker)


def sign_in(user: Any) -> TokenPair:
    return auth_service.login(user.email, PASSWORD, f"10.77.{uuid.uuid4().int % 250}.1")


def message_count(lead: Any, body: str) -> int:
    with owner_session() as s:
        return int(
            s.execute(
                sa.text('SELECT count(*) FROM "Message" WHERE "leadId" = :l AND body = :b'),
                {"l": lead.id, "b": body},
            ).scalar_one()
        )


def inbox_page(world: World) -> dict[str, Any]:
    return route("/", {"clientId": str(world.ws.id)})


def wait_until(condition: Callable[[], bool], timeout: float = DEADLINE_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def api_status(app_url: str, token: str, world: World) -> int:
    response = httpx.get(
        f"{app_url}/api/inbox/counts",
        params={"clientId": str(world.ws.id)},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return response.status_code


def flag(name: str) -> re.Pattern[str]:
    return re.compile(rf'"{name}_rx_state_"\s*:\s*true')


SETTLED = [flag("list_loaded"), flag("counts_loaded"), LIVE]


async def settle(tab: Tab, *also: re.Pattern[str]) -> None:
    """Wait until the tab's first loads landed (list, counts, the live listener) and ``also``."""
    wanted = [*SETTLED, *also]
    assert await tab.wait_for(lambda t: all(p.search(t) for p in wanted)), tab.text()[-2000:]


async def open_conversation(tab: Tab, world: World) -> None:
    """Sign the tab in (the stored tokens), let it settle, then open the lead's conversation."""
    await settle(tab)
    await tab.send(handler(InboxState, "select_lead"), {"lead_id": str(world.lead.id)})
    await settle(tab, flag("conversation_loaded"))


# ---------------------------------------------------------------------------------- ends


def _logout(world: World, pair: TokenPair) -> None:
    auth_service.logout(pair.refresh_token)


def _disable(world: World, pair: TokenPair) -> None:
    admin.set_user_disabled(world.user.email, True)


def _remove(world: World, pair: TokenPair) -> None:
    admin.remove_member(world.ws.id, world.user.email)


def _reuse(world: World, pair: TokenPair) -> None:
    auth_service.refresh(pair.refresh_token)  # a rotation somewhere (e.g. a thief's copy) ...
    with pytest.raises(AuthError):
        auth_service.refresh(pair.refresh_token)  # ... then the old token again: reuse


ENDS: dict[str, tuple[Callable[[World, TokenPair], None], int]] = {
    "logout": (_logout, 401),
    "disable": (_disable, 401),
    "reuse": (_reuse, 401),
    "removed": (_remove, 403),
}


@pytest.mark.parametrize("end", list(ENDS))
def test_an_open_tab_can_neither_read_nor_write_after_the_session_ends(
    app_url: str, world: World, end: str
) -> None:
    ending, api_refusal = ENDS[end]
    pair = sign_in(world.user)
    assert api_status(app_url, pair.access_token, world) == 200
    reply = f"reply-after-{end}-{uuid.uuid4().hex[:6]}"

    async def scenario() -> str:
        tab = Tab(app_url, str(uuid.uuid4()))
        await tab.connect(storage_of(pair.access_token, pair.refresh_token), inbox_page(world))
        try:
            await open_conversation(tab, world)
            await asyncio.to_thread(ending, world, pair)
            before = len(tab.frames)
            # Within the guard's window the API and the tab refuse; a condition, not a sleep.
            assert await asyncio.to_thread(
                wait_until, lambda: api_status(app_url, pair.access_token, world) == api_refusal
            )
            await tab.send(handler(InboxState, "send_reply"), {"form_data": {"body": reply}})
            await tab.send(handler(InboxState, "load_conversation"))
            if end == "removed":  # still signed in, no member: the workspace list is reloaded
                assert await tab.wait_for(
                    lambda _t: NO_WORKSPACES.search("\n".join(tab.frames[before:])) is not None
                ), tab.text()[-1500:]
            else:
                assert await tab.wait_for(lambda t: "You were signed out" in t), tab.text()[-1500:]
            return "\n".join(tab.frames[before:])
        finally:
            await tab.close()

    after = run(scenario)
    assert message_count(world.lead, reply) == 0  # nothing was written
    assert world.marker not in after  # nothing more of the conversation was read


async def _after_close(base: str, token: str, connect: Callable[[Tab], Any]) -> Tab:
    """Connect a new socket with ``token`` once the server has let go of the closed one (while
    it still holds the token, a new socket gets a fresh token instead: no attack at all)."""
    for _attempt in range(50):
        tab = Tab(base, token)
        await connect(tab)
        await tab.wait_for(lambda t: '"new_token"' in t or "_rx_state_" in t, timeout=5)
        if not tab.renamed:
            return tab
        await tab.close()
    raise AssertionError("the server never released the closed tab's token")


async def _signed_in_tab(app_url: str, world: World, pair: TokenPair) -> str:
    token = str(uuid.uuid4())
    victim = Tab(app_url, token)
    await victim.connect(storage_of(pair.access_token, pair.refresh_token), inbox_page(world))
    await open_conversation(victim, world)
    await victim.close()  # a closed tab: its token is what a log thief would have
    return token


async def _attack(tab: Tab, world: World, reply: str) -> str:
    await tab.send(handler(InboxState, "select_lead"), {"lead_id": str(world.lead.id)})
    await tab.send(handler(InboxState, "send_reply"), {"form_data": {"body": reply}})
    await tab.send(handler(AuthState, "check_session"))
    # An unbound socket is sent nothing at all; a hydrate without tokens binds it to the (by
    # now fresh) state, so the marker below can come back. Events of a tab run in order.
    await tab.send(BOOT_EVENT, {"vars": {}})
    done = f"sync-{uuid.uuid4().hex[:6]}"
    await tab.send(handler(InboxState, "set_search"), {"value": done})
    assert await tab.wait_for(lambda t: done in t), tab.text()[-1500:]
    await tab.close()
    return tab.text()


def test_a_stolen_client_token_gets_a_fresh_signed_out_state(app_url: str, world: World) -> None:
    pair = sign_in(world.user)
    reply = f"thief-{uuid.uuid4().hex[:6]}"

    async def scenario() -> list[str]:
        seen = []
        # 1. A socket that connects like a browser but presents no (or other) auth storage.
        token = await _signed_in_tab(app_url, world, pair)
        thief = await _after_close(app_url, token, lambda t: t.connect({}, inbox_page(world)))
        seen.append(await _attack(thief, world, reply))
        # 2. A socket that skips the boot event and sends events straight away.
        token = await _signed_in_tab(app_url, world, pair)
        raw = await _after_close(
            app_url, token, lambda t: t.connect_without_boot(inbox_page(world))
        )
        seen.append(await _attack(raw, world, reply))
        return seen

    for text in run(scenario):
        assert "_rx_state_" in text  # the socket was served ...
        assert world.user.email not in text  # ... but nothing of the tab's owner
        assert world.marker not in text
        assert world.ws.name not in text
    assert message_count(world.lead, reply) == 0


def test_a_revoked_session_s_live_listener_delivers_nothing(app_url: str, world: World) -> None:
    pair = sign_in(world.user)
    fresh = f"fresh-{uuid.uuid4().hex[:6]}"

    async def scenario() -> str:
        tab = Tab(app_url, str(uuid.uuid4()))
        await tab.connect(storage_of(pair.access_token, pair.refresh_token), inbox_page(world))
        try:
            await settle(tab)
            await asyncio.to_thread(auth_service.logout, pair.refresh_token)
            before = len(tab.frames)
            with owner_session() as s:  # a change the tab would have shown
                s.execute(
                    sa.text(
                        'UPDATE "Lead" SET "lastMessagePreview" = :p, "updatedAt" = now()'
                        " WHERE id = :id"
                    ),
                    {"p": fresh, "id": world.lead.id},
                )
            # The heartbeat (INBOXAPP_LIVE_HEARTBEAT_S on the test server) refreshes at the
            # latest a few seconds later: it signs the tab out instead of reading.
            assert await tab.wait_for(lambda t: "You were signed out" in t), tab.text()[-1500:]
            return "\n".join(tab.frames[before:])
        finally:
            await tab.close()

    after = run(scenario)
    assert fresh not in after, after[-3000:]
    assert world.marker not in after, after[-3000:]


# ---------------------------------------------------------------------------------- Chromium


def _sign_in_page(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-password").press("Enter")
    expect(page.get_by_test_id("inbox-container")).to_be_visible()


@pytest.fixture
def stored_pair(page: Page) -> Iterator[Callable[[], TokenPair]]:
    def read() -> TokenPair:
        refresh = page.evaluate("() => localStorage.getItem('inbox_refresh_token')")
        access = page.evaluate("() => localStorage.getItem('inbox_access_token')")
        return TokenPair(
            access_token=access, refresh_token=refresh, expires_in=3600, user_id="", email=""
        )

    yield read


def test_browser_tab_is_signed_out_when_its_session_is_revoked_elsewhere(
    page: Page, app_url: str, world: World, stored_pair: Callable[[], TokenPair]
) -> None:
    _sign_in_page(page, world.user.email)
    page.goto(f"/?clientId={world.ws.id}")
    row = page.locator(f'[data-testid="inbox-row"][data-lead-id="{world.lead.id}"]')
    row.click()
    expect(page.get_by_test_id("conversation-view")).to_contain_text(world.marker)

    pair = stored_pair()
    auth_service.logout(pair.refresh_token)  # e.g. "sign out everywhere" from another device
    assert wait_until(lambda: api_status(app_url, pair.access_token, world) == 401)

    reply = f"browser-after-logout-{uuid.uuid4().hex[:6]}"
    page.get_by_test_id("reply-input").fill(reply)
    page.get_by_test_id("reply-send").click()
    expect(page).to_have_url(f"{app_url}/login")
    expect(page.get_by_test_id("signed-out-notice")).to_contain_text("You were signed out")
    expect(page.get_by_text(world.marker)).to_have_count(0)
    assert message_count(world.lead, reply) == 0
    # The browser's stored tokens are gone: a reload stays signed out.
    page.reload()
    expect(page.get_by_test_id("login-email")).to_be_visible()
    assert page.evaluate("() => localStorage.getItem('inbox_refresh_token') || ''") == ""

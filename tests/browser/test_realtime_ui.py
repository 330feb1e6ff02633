"""Live inbox updates in a real browser (production build): three signed-in browser contexts,
writes from a third session (the service layer, in this test process), no page reloads.

* An admin and a setter of one workspace see a new reply within seconds: the admin for every
  lead, the setter only for a lead assigned to them (RLS decides, in the server's hub).
* A user of another workspace sees nothing change.
* One listener per tab: the server's ``inboxapp_realtime_subscribers`` gauge stays at one per
  open inbox tab through websocket reconnects (``on_load`` runs again) and workspace switches,
  and drops when a tab closes.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from inboxapp.counts.recompute import recompute_workspace
from inboxapp.simulate import record_inbound
from tests.browser.support import sign_in
from tests.browser.test_inbox import (
    SCREENSHOTS,
    _attention_lead,
    _count,
    _plain_lead,
    _row_ids,
    _settled,
    _user,
    _workspace,
)
from tests.conftest import SCRAPE_HEADERS

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 10_000
"""A change must show up this fast (it usually takes well under a second)."""

# Keeps the page's WebSockets reachable, so a test can drop the connection (socket.io then
# reconnects by itself and Reflex hydrates and runs on_load again, as after a network blip).
SOCKET_SPY = """(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
})()"""


@contextmanager
def _tab(chromium: Browser, app_url: str, errors: list[str], who: str) -> Iterator[Page]:
    """A browser context of its own (own localStorage: a separate session)."""
    context = chromium.new_context(base_url=app_url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    context.add_init_script(SOCKET_SPY)
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{who} console: {message.text} @ {message.location}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"{who} pageerror: {exc}"))
    try:
        yield page
    finally:
        context.close()


def _live(page: Page) -> None:
    expect(page.get_by_test_id("live-indicator")).to_have_attribute(
        "data-state", "live", timeout=LIVE_TIMEOUT_MS
    )


def _mark_no_reload(page: Page) -> None:
    """A marker that a reload or navigation would wipe."""
    page.evaluate("() => { window.__noReload = 'still here'; }")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("() => window.__noReload === 'still here'"))


def _baseline(app_url: str) -> int:
    """The subscriber count once the listeners of earlier tests' (closed) tabs have ended: a
    count read while one of them is still closing would make every later comparison wrong."""
    _eventually(lambda: _subscribers(app_url) == 0, "the listeners of earlier tabs to end")
    return 0


def _subscribers(app_url: str) -> int:
    """Realtime subscriptions registered in the server process (its /api/metrics gauge)."""
    text = httpx.get(f"{app_url}/api/metrics", headers=SCRAPE_HEADERS, timeout=10).text
    match = re.search(r"^inboxapp_realtime_subscribers\s+([0-9.]+)", text, re.M)
    assert match, "no inboxapp_realtime_subscribers gauge"
    return int(float(match.group(1)))


def _sockets(page: Page) -> int:
    return int(page.evaluate("() => window.__sockets.length"))


def _reconnected(page: Page, opened: int) -> bool:
    return _sockets(page) > opened


def _eventually(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _row(page: Page, lead: Any) -> Any:
    return page.locator(f'[data-testid="inbox-row"][data-lead-id="{lead.id}"]')


def _reply(ws: Any, lead: Any, text: str) -> None:
    """An inbound reply arriving from a campaign tool (the system write path), then the
    materialized counts recompute a worker would run (it notifies ``inbox_counts``)."""
    record_inbound(ws.id, lead.id, text, "email")
    recompute_workspace(ws.id)


def test_a_write_elsewhere_updates_admin_and_setter_live_and_no_other_workspace(
    chromium: Browser, app_url: str
) -> None:
    admin = _user("Avery Live")
    setter = _user("Sasha Live")
    stranger = _user("Olga Elsewhere")
    ws = _workspace("Live Co", (admin, "ADMIN"), (setter, "SETTER"))
    other_ws = _workspace("Elsewhere", (stranger, "ADMIN"))
    # Already waiting: one lead of the setter's, one unassigned.
    _attention_lead(ws, "Mia", assignedToUserId=setter.id)
    _attention_lead(ws, "Noor")
    # Quiet leads that the writes below bring into "Requires attention".
    setters_lead = _plain_lead(ws, "Sam", sentimentTag="Interested", assignedToUserId=setter.id)
    open_lead = _plain_lead(ws, "Uma", sentimentTag="Interested")
    elsewhere = _attention_lead(other_ws, "Otto")
    errors: list[str] = []
    before = _baseline(app_url)

    with (
        _tab(chromium, app_url, errors, "admin") as admin_page,
        _tab(chromium, app_url, errors, "setter") as setter_page,
        _tab(chromium, app_url, errors, "stranger") as stranger_page,
    ):
        for page, user in (
            (admin_page, admin),
            (setter_page, setter),
            (stranger_page, stranger),
        ):
            sign_in(page, user.email)
            _settled(page)
            _live(page)
            _mark_no_reload(page)
        expect(_count(admin_page, "requiresAttention")).to_have_text("2")
        expect(_count(setter_page, "requiresAttention")).to_have_text("1")
        expect(_count(stranger_page, "requiresAttention")).to_have_text("1")
        stranger_rows = _row_ids(stranger_page)
        assert stranger_rows == [str(elsewhere.id)]
        _eventually(lambda: _subscribers(app_url) == before + 3, "one listener per tab")

        # 1. A reply on an unassigned lead: the admin sees it, the setter does not.
        _reply(ws, open_lead, f"Yes, let's talk next week ({uuid.uuid4().hex[:6]})")
        expect(_row(admin_page, open_lead)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(_count(admin_page, "requiresAttention")).to_have_text("3", timeout=LIVE_TIMEOUT_MS)
        expect(_row(admin_page, open_lead).get_by_test_id("row-preview")).to_contain_text(
            "next week"
        )

        # 2. A reply on the setter's lead: both see it.
        _reply(ws, setters_lead, "Interested, send me the deck please")
        for page, total in ((admin_page, "4"), (setter_page, "2")):
            expect(_row(page, setters_lead)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
            expect(_count(page, "requiresAttention")).to_have_text(total, timeout=LIVE_TIMEOUT_MS)
        # The setter's inbox never showed the unassigned lead (its count moved by one, once).
        expect(_row(setter_page, open_lead)).to_have_count(0)
        expect(_count(setter_page, "requiresAttention")).to_have_text("2")
        expect(setter_page.get_by_test_id("inbox-row")).to_have_count(2)

        # 3. The other workspace saw nothing: same counts, same rows.
        expect(_count(stranger_page, "requiresAttention")).to_have_text("1")
        assert _row_ids(stranger_page) == stranger_rows
        for page in (admin_page, setter_page, stranger_page):
            assert _not_reloaded(page), "the page reloaded"
            expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-state", "live")
        admin_page.screenshot(path=SCREENSHOTS / "inbox-live-admin.png")
        assert _subscribers(app_url) == before + 3

    # Closing the tabs ends their listeners.
    _eventually(lambda: _subscribers(app_url) == before, "listeners to end with their tabs")
    assert errors == [], "browser console errors:\n" + "\n".join(errors)


def test_one_listener_per_tab_through_reconnects_and_workspace_switches(
    chromium: Browser, app_url: str
) -> None:
    admin = _user("Robin Reconnect")
    first = _workspace("First Live", (admin, "ADMIN"))
    second = _workspace("Second Live", (admin, "ADMIN"))
    quiet_first = _plain_lead(first, "Ada", sentimentTag="Interested")
    quiet_second = _plain_lead(second, "Ben", sentimentTag="Interested")
    _attention_lead(second, "Cy")
    errors: list[str] = []
    before = _baseline(app_url)

    with _tab(chromium, app_url, errors, "admin") as page:
        sign_in(page, admin.email)
        _settled(page)
        _live(page)
        _eventually(lambda: _subscribers(app_url) == before + 1, "the tab's listener")

        # Websocket reconnects (on_load runs again each time): still ONE listener.
        _mark_no_reload(page)
        for n in range(3):
            opened = _sockets(page)
            page.evaluate("() => window.__sockets.forEach((s) => s.close())")
            _eventually(partial(_reconnected, page, opened), f"reconnect {n + 1}")
            _settled(page)
            _live(page)
        _eventually(lambda: _subscribers(app_url) == before + 1, "one listener after reconnects")
        assert _not_reloaded(page)
        # ... and it is live: a write shows up.
        _reply(first, quiet_first, "Back online? Happy to chat.")
        expect(_row(page, quiet_first)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)

        # Switch workspace: the listener moves to the other workspace.
        page.get_by_test_id("workspace-switcher").select_option(str(second.id))
        expect(page).to_have_url(re.compile(rf"clientId={second.id}"))
        _settled(page)
        _live(page)
        expect(_count(page, "requiresAttention")).to_have_text("1")
        _eventually(lambda: _subscribers(app_url) == before + 1, "one listener after a switch")
        _mark_no_reload(page)
        _reply(first, quiet_first, "Another reply in the first workspace")
        _reply(second, quiet_second, "Yes please, tell me more")
        expect(_row(page, quiet_second)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(_count(page, "requiresAttention")).to_have_text("2", timeout=LIVE_TIMEOUT_MS)
        expect(_row(page, quiet_first)).to_have_count(0)
        assert _not_reloaded(page)
    _eventually(lambda: _subscribers(app_url) == before, "the listener to end with its tab")
    assert errors == [], "browser console errors:\n" + "\n".join(errors)

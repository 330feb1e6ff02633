"""Sign-in, session persistence, workspace selection and sign-out in a real browser."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.support import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", tempfile.gettempdir()))


def _sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    sign_in(page, email, password=password, lands_on=None)


def _client_id(page: Page) -> str:
    values = parse_qs(urlsplit(page.url).query).get("clientId", [""])
    return values[0]


def _workspace_url(client_id: object) -> re.Pattern[str]:
    return re.compile(rf"/\?clientId={re.escape(str(client_id))}$")


def _member(role: str = "ADMIN", workspaces: int = 1) -> tuple[factories.User, list]:
    tag = uuid.uuid4().hex[:6]
    user = factories.create_user(name=f"Dana Reyes {tag}")
    spaces = []
    for i in range(workspaces):
        ws = factories.create_workspace(name=f"{chr(65 + i)} Acme {tag}")
        factories.add_member(ws, user, role)
        spaces.append(ws)
    return user, spaces


def test_sign_in_lands_on_the_workspace_page(page: Page) -> None:
    user, (ws,) = _member("ADMIN")
    _sign_in(page, user.email)
    expect(page).to_have_url(_workspace_url(ws.id))
    workspace = page.get_by_test_id("workspace-page")
    expect(workspace).to_be_visible()
    expect(page.get_by_test_id("workspace-name")).to_have_text(ws.name)
    expect(page.get_by_test_id("workspace-role")).to_have_text("Admin")
    expect(workspace.get_by_test_id("inbox-container")).to_be_visible()
    expect(page.get_by_test_id("loading-spinner")).to_have_count(0)
    expect(page.get_by_test_id("workspace-switcher")).to_have_value(str(ws.id))
    expect(page.get_by_test_id("workspace-notice")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "home.png", full_page=True)


def test_wrong_password_shows_an_inline_error(page: Page) -> None:
    user, _ = _member()
    _sign_in(page, user.email, "not the password")
    error = page.get_by_test_id("login-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("don't match")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    expect(page.get_by_test_id("login-submit")).to_be_enabled()
    page.screenshot(path=SCREENSHOTS / "login-error.png")
    # A corrected attempt from the same form works.
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("workspace-page")).to_be_visible()


def test_too_many_attempts_shows_a_rate_limit_message(page: Page) -> None:
    from inboxapp.auth.ratelimit import login_limiter
    from inboxapp.config import get_settings

    user, _ = _member()
    for _ in range(get_settings().login_max_failures):
        login_limiter.record_failure(user.email, "127.0.0.1")  # the browser's address
    _sign_in(page, user.email)  # even the right password is refused now
    error = page.get_by_test_id("login-error")
    expect(error).to_contain_text("Too many sign-in attempts")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    expect(page.get_by_test_id("login-submit")).to_be_enabled()


def test_reload_keeps_the_session(page: Page) -> None:
    user, (ws,) = _member("SETTER")
    _sign_in(page, user.email)
    expect(page).to_have_url(_workspace_url(ws.id))
    page.reload()
    expect(page.get_by_test_id("workspace-name")).to_have_text(ws.name)
    expect(page.get_by_test_id("workspace-role")).to_have_text("Setter")
    expect(page).to_have_url(_workspace_url(ws.id))
    # The sign-in page sends a signed-in user back to the workspace.
    page.goto("/login")
    expect(page).to_have_url(_workspace_url(ws.id))


def _stored(page: Page, key: str) -> str:
    return str(page.evaluate("(k) => window.localStorage.getItem(k) || ''", key))


def test_expired_access_token_is_refreshed_and_rotated(page: Page) -> None:
    user, (ws,) = _member()
    _sign_in(page, user.email)
    expect(page.get_by_test_id("workspace-name")).to_have_text(ws.name)
    first_refresh = _stored(page, "inbox_refresh_token")
    assert first_refresh and _stored(page, "inbox_access_token")
    # Simulate an expired access token: the stored pair must be rotated on the next load.
    page.evaluate(
        """() => {
            localStorage.setItem('inbox_access_token', 'expired.token.value');
            localStorage.setItem('inbox_expires_at', '1');
        }"""
    )
    page.reload()
    expect(page.get_by_test_id("workspace-name")).to_have_text(ws.name)
    expect(page).to_have_url(_workspace_url(ws.id))
    page.wait_for_function(
        "(old) => (localStorage.getItem('inbox_refresh_token') || old) !== old", arg=first_refresh
    )
    # (The new access token may equal the first one when both were signed in the same second.)
    assert _stored(page, "inbox_access_token") not in ("", "expired.token.value")
    assert _stored(page, "inbox_expires_at") != "1"


def test_foreign_workspace_falls_back_to_own(page: Page) -> None:
    user, (own,) = _member("INBOX_MANAGER")
    foreign = factories.create_workspace(name="Someone Else's")
    _sign_in(page, user.email)
    expect(page).to_have_url(_workspace_url(own.id))
    page.goto(f"/?clientId={foreign.id}")
    notice = page.get_by_test_id("workspace-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("don't have access")
    expect(page).to_have_url(_workspace_url(own.id))
    expect(page.get_by_test_id("workspace-name")).to_have_text(own.name)
    expect(page.get_by_test_id("workspace-page")).not_to_contain_text("Someone Else's")
    page.screenshot(path=SCREENSHOTS / "fallback.png")
    # Not a UUID at all: same fallback.
    page.goto("/?clientId=not-a-uuid")
    expect(page).to_have_url(_workspace_url(own.id))
    expect(page.get_by_test_id("workspace-notice")).to_be_visible()


def test_switching_workspace_updates_the_url(page: Page) -> None:
    user, (first, second, third) = _member("ADMIN", workspaces=3)
    _sign_in(page, user.email)
    expect(page).to_have_url(_workspace_url(first.id))
    switcher = page.get_by_test_id("workspace-switcher")
    expect(switcher.locator("option")).to_have_count(3)
    # Two quick switches: the page ends on the last one (a late load is dropped).
    switcher.select_option(str(third.id))
    switcher.select_option(str(second.id))
    expect(page).to_have_url(_workspace_url(second.id))
    expect(page.get_by_test_id("workspace-name")).to_have_text(second.name)
    expect(switcher).to_have_value(str(second.id))
    expect(page.get_by_test_id("loading-spinner")).to_have_count(0)
    page.go_back()
    expect(page).to_have_url(_workspace_url(third.id))
    expect(page.get_by_test_id("workspace-name")).to_have_text(third.name)
    assert _client_id(page) == str(third.id)


def test_user_without_workspaces_sees_the_empty_state(page: Page) -> None:
    user = factories.create_user()
    _sign_in(page, user.email)
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    expect(page.get_by_test_id("workspace-page")).to_have_count(0)
    expect(page.get_by_test_id("loading-spinner")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "empty.png")


def test_logout_returns_to_sign_in_and_stays_signed_out(page: Page) -> None:
    user, (ws,) = _member()
    _sign_in(page, user.email)
    expect(page).to_have_url(_workspace_url(ws.id))
    assert _stored(page, "inbox_refresh_token") != ""
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    expect(page.get_by_test_id("login-email")).to_be_visible()
    page.reload()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto(f"/?clientId={ws.id}")
    # the sign-in page, remembering the deep link for after the sign-in (issue 18)
    expect(page).to_have_url(re.compile(r"/login\?next=%2F%3FclientId%3D[0-9a-f-]+$"))
    assert _stored(page, "inbox_refresh_token") == ""
    assert _stored(page, "inbox_access_token") == ""

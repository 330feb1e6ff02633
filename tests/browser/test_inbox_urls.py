"""Views are URLs (issue 18 item 3): the tab, the search and the open conversation live in the
address bar; a reload restores them; Back and Forward step between conversations; a deep link
opened while signed out survives the sign-in; a bad parameter is ignored with a notice."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import sign_in
from tests.browser.test_inbox import SCREENSHOTS, _attention_lead, _settled, _user, _workspace

pytestmark = pytest.mark.browser


def query(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def open_row(page: Page, lead: Any) -> None:
    page.locator(f'[data-testid="inbox-row"][data-lead-id="{lead.id}"]').click()
    expect(page.get_by_test_id("lead-name")).to_contain_text(lead.firstName)


def test_the_view_is_the_url(page: Page, chromium: Browser, app_url: str) -> None:
    owner = _user("Url Owner")
    ws = _workspace("Urls", (owner, "ADMIN"))
    ann, ben, cal = (_attention_lead(ws, name, minutes_ago=m) for name, m in
                     (("Annika", 30), ("Benedikt", 20), ("Caspar", 10)))  # fmt: skip
    sign_in(page, owner.email)
    _settled(page)

    expect(page).to_have_title("(3) Inbox · Inbox")  # the Requires attention count
    page.get_by_test_id("filter-tab-total").click()
    # Oldest waiting first (nothing opened yet, so nothing's activity moves), kept in the URL.
    rows = page.get_by_test_id("inbox-row")
    expect(rows.first).to_have_attribute("data-lead-id", str(cal.id))
    page.get_by_test_id("order-select").select_option("oldest")
    expect(page).to_have_url(re.compile(r"order=oldest"))
    expect(rows.first).to_have_attribute("data-lead-id", str(ann.id))
    page.reload()
    _settled(page)
    expect(page.get_by_test_id("order-select")).to_have_value("oldest")
    expect(rows.first).to_have_attribute("data-lead-id", str(ann.id))
    expect(rows.last).to_have_attribute("data-lead-id", str(cal.id))
    page.get_by_test_id("order-select").select_option("")  # newest activity again
    expect(rows.first).to_have_attribute("data-lead-id", str(cal.id))
    assert "order" not in query(page)

    page.get_by_test_id("inbox-search").fill("Benedikt")
    expect(page.get_by_test_id("inbox-row")).to_have_count(1)
    open_row(page, ben)
    expect(page).to_have_url(re.compile(r"q=Benedikt.*leadId=|leadId=.*q=Benedikt"))
    assert query(page)["filter"] == "total"

    page.reload()
    _settled(page)
    expect(page.get_by_test_id("filter-tab-total")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("inbox-search")).to_have_value("Benedikt")
    expect(page.get_by_test_id("inbox-row")).to_have_count(1)
    expect(page.get_by_test_id("lead-name")).to_contain_text("Benedikt")

    # Back and Forward step between conversations.
    page.get_by_test_id("inbox-search").fill("")
    expect(page.get_by_test_id("inbox-row")).to_have_count(3)
    open_row(page, ann)
    open_row(page, cal)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=SCREENSHOTS / "inbox-desktop.png")
    page.go_back()
    expect(page.get_by_test_id("lead-name")).to_contain_text("Annika")
    page.go_back()
    expect(page.get_by_test_id("lead-name")).to_contain_text("Benedikt")
    page.go_forward()
    expect(page.get_by_test_id("lead-name")).to_contain_text("Annika")

    # A deep link opened signed out comes back after the sign-in.
    link = f"{app_url}/?clientId={ws.id}&leadId={cal.id}&filter=total"
    context = chromium.new_context(base_url=app_url)  # its own storage: signed out
    context.set_default_timeout(20_000)
    other = context.new_page()
    try:
        other.goto(link)
        expect(other).to_have_url(re.compile(r"/login\?next="))
        other.get_by_test_id("login-email").fill(owner.email)
        other.get_by_test_id("login-password").fill("correct horse battery staple")
        other.get_by_test_id("login-password").press("Enter")
        expect(other.get_by_test_id("lead-name")).to_contain_text("Caspar")
        assert query(other)["leadId"] == str(cal.id)
    finally:
        context.close()

    # A bad parameter is ignored, and the page says so.
    page.goto(f"/?clientId={ws.id}&filter=bogus&sentiment=Nope")
    _settled(page)
    expect(page.get_by_test_id("url-notice")).to_be_visible()
    expect(page.get_by_test_id("inbox-row")).to_have_count(3)

"""The phone layout (issue 18 item 5) at 390x844: nothing wider than the screen, one pane at a
time (the list, then the conversation as its own screen with Back), a menu that reaches
Analytics and Jobs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import sign_in
from tests.browser.test_inbox import SCREENSHOTS, _attention_lead, _settled, _user, _workspace

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium: Browser, app_url: str) -> Iterator[Page]:
    context = chromium.new_context(base_url=app_url, viewport=PHONE, has_touch=True)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def fits(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide"


SMALL_TARGETS = """() => [...document.querySelectorAll(
  'button, a[href], input:not([type=hidden]), select, [role=tab], [role=combobox],'
  + ' [role=checkbox], [role=switch], [role=menuitem]')]
  .filter(e => e.checkVisibility() && !e.closest('.skip-link, [aria-hidden=true]'))
  .filter(e => e.getBoundingClientRect().width > 1)  // visually hidden (a select's native twin)
  // a Radix checkbox's native twin is aria-hidden above; a native checkbox's target is its label
  .map(e => e.matches('[role=checkbox], [role=switch], input[type=checkbox]') && e.closest('label') || e)
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.height < 43.5 || (e.matches('button, [role=tab]') && r.width < 43.5))
  .map(([e, r]) => `${e.tagName} ${e.getAttribute('data-testid') || e.textContent.trim()
                    .slice(0, 24)} ${Math.round(r.width)}x${Math.round(r.height)}`)"""
"""Visible controls under 44 px high, buttons and tabs under 44 px wide (a checkbox: its
label)."""


def touch_targets(page: Page) -> None:
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], f"touch targets under 44 px: {small}"


def on_screen(page: Page, test_id: str) -> None:
    box = page.get_by_test_id(test_id).bounding_box()
    assert box is not None and box["y"] < PHONE["height"] and box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"] + 1


def test_the_inbox_on_a_phone(phone: Page) -> None:
    owner = _user("Phone Owner")
    ws = _workspace("Phone", (owner, "ADMIN"))
    lead = _attention_lead(ws, "Penelope")
    sign_in(phone, owner.email)
    _settled(phone)
    fits(phone)
    touch_targets(phone)
    expect(phone.get_by_test_id("conversation-pane")).to_be_hidden()
    phone.screenshot(path=SCREENSHOTS / "inbox-phone.png")

    phone.locator(f'[data-testid="inbox-row"][data-lead-id="{lead.id}"]').click()
    expect(phone.get_by_test_id("lead-name")).to_contain_text("Penelope")
    expect(phone.get_by_test_id("conversation-list")).to_be_hidden()
    on_screen(phone, "lead-name")
    on_screen(phone, "reply-input")
    fits(phone)
    touch_targets(phone)
    phone.screenshot(path=SCREENSHOTS / "inbox-phone-conversation.png")
    phone.get_by_test_id("conversation-close").click()
    expect(phone.get_by_test_id("conversation-list")).to_be_visible()

    phone.get_by_test_id("nav-menu").click()
    phone.get_by_test_id("menu-analytics").click()
    expect(phone).to_have_url(re.compile(r"/analytics\?"))
    expect(phone.get_by_test_id("analytics-page")).to_be_visible()
    fits(phone)
    touch_targets(phone)
    phone.get_by_test_id("nav-menu").click()
    expect(phone.get_by_test_id("menu-jobs")).to_be_visible()
    phone.get_by_test_id("menu-jobs").click()
    expect(phone.get_by_test_id("jobs-page")).to_be_visible()
    fits(phone)
    touch_targets(phone)

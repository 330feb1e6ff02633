"""Bulk actions (issue 18 item 2): check rows with a click and a shift-click (a range) or `x`,
mark them read from the bulk bar, Undo puts them back; axe finds nothing serious meanwhile."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import sign_in
from tests.browser.test_accessibility import violations
from tests.browser.test_inbox import _attention_lead, _settled, _user, _workspace

pytestmark = pytest.mark.browser


def test_check_a_range_mark_it_read_and_undo(page: Page) -> None:
    owner = _user("Bulk Owner")
    ws = _workspace("Bulk", (owner, "ADMIN"))
    for i, name in enumerate(("Ada", "Bo", "Cy", "Di")):
        _attention_lead(ws, name, minutes_ago=10 * (i + 1))
    sign_in(page, owner.email)
    _settled(page)
    page.get_by_test_id("filter-tab-total").click()
    rows = page.get_by_test_id("inbox-row")
    expect(rows).to_have_count(4)
    expect(rows.and_(page.locator('[data-unread="true"]'))).to_have_count(4)

    rows.nth(0).get_by_test_id("row-check").click()
    rows.nth(2).get_by_test_id("row-check").click(modifiers=["Shift"])
    expect(page.get_by_test_id("bulk-count")).to_have_text("3 selected")
    for i, checked in enumerate(("true", "true", "true", "false")):
        expect(rows.nth(i)).to_have_attribute("aria-checked", checked)
    expect(page.get_by_test_id("conversation-view")).to_have_count(0)  # a check opens nothing
    assert violations(page) == []

    page.get_by_test_id("bulk-read").click()
    expect(page.get_by_test_id("bulk-undo-label")).to_have_text("3 conversations marked read")
    expect(rows.and_(page.locator('[data-unread="false"]'))).to_have_count(3)
    expect(page.get_by_test_id("bulk-count")).to_have_count(0)  # the selection is done
    page.get_by_test_id("bulk-undo").click()
    expect(rows.and_(page.locator('[data-unread="true"]'))).to_have_count(4)
    expect(page.get_by_test_id("bulk-undo-bar")).to_have_count(0)

    # The keyboard: x on the focused row checks it, and again unchecks it.
    rows.nth(3).focus()
    page.keyboard.press("x")
    expect(page.get_by_test_id("bulk-count")).to_have_text("1 selected")
    expect(rows.nth(3)).to_have_attribute("aria-checked", "true")
    page.keyboard.press("x")
    expect(page.get_by_test_id("bulk-count")).to_have_count(0)

"""Triage at speed (issue 18 item 2): opening a conversation marks it read after a short dwell
(the row's ``data-unread`` follows), ``u`` marks it unread again and it stays unread while open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import sign_in
from tests.browser.test_inbox import _attention_lead, _settled, _user, _workspace
from tests.inbound_helpers import rows

pytestmark = pytest.mark.browser


def unread_of(lead_id: object) -> int:
    [row] = rows('SELECT "unreadCount" FROM "Lead" WHERE id = :l', l=lead_id)
    return int(row.unreadCount or 0)


def test_opening_marks_read_and_u_marks_unread(page: Page) -> None:
    owner = _user("Triage Owner")
    ws = _workspace("Triage", (owner, "ADMIN"))
    lead = _attention_lead(ws, "Ottilie")
    sign_in(page, owner.email)
    _settled(page)
    row = page.locator(f'[data-testid="inbox-row"][data-lead-id="{lead.id}"]')
    expect(row).to_have_attribute("data-unread", "true")
    row.click()
    expect(page.get_by_test_id("mark-unread")).to_be_visible()  # read once it stayed open
    expect(row).to_have_attribute("data-unread", "false")
    assert unread_of(lead.id) == 0

    page.get_by_test_id("thread").click()  # focus outside any text field
    page.keyboard.press("u")
    expect(page.get_by_test_id("mark-read")).to_be_visible()
    expect(row).to_have_attribute("data-unread", "true")
    assert unread_of(lead.id) == 1
    # it stays unread while it stays open (the opening marked it read once)
    page.get_by_test_id("inbox-search").fill("Ottilie")
    expect(page.get_by_test_id("inbox-row")).to_have_count(1)
    expect(page.get_by_test_id("mark-read")).to_be_visible()
    assert unread_of(lead.id) == 1


def test_the_shortcut_sheet_and_the_counts_note(page: Page) -> None:
    owner = _user("Sheet Owner")
    ws = _workspace("Sheet", (owner, "ADMIN"))
    _attention_lead(ws, "Quentin")
    sign_in(page, owner.email)
    _settled(page)
    page.get_by_test_id("conversation-list").click()
    page.keyboard.press("?")
    expect(page.get_by_test_id("shortcuts-sheet")).to_be_visible()
    expect(page.get_by_test_id("shortcuts-sheet")).to_contain_text("Mark the open conversation")
    page.get_by_test_id("shortcuts-close").click()
    expect(page.get_by_test_id("counts-filter-note")).to_have_count(0)
    page.get_by_test_id("inbox-search").fill("Quentin")
    expect(page.get_by_test_id("counts-filter-note")).to_be_visible()


def test_assignee_views_and_the_snoozed_view(page: Page) -> None:
    owner = _user("Views Owner")
    setter = _user("Views Setter")
    ws = _workspace("Views", (owner, "ADMIN"), (setter, "SETTER"))
    theirs = _attention_lead(ws, "Theresa", assignedToUserId=setter.id)
    loose = _attention_lead(ws, "Ludwig")
    sleepy = _attention_lead(ws, "Selma", snoozedUntil=datetime.now(UTC) + timedelta(days=2))
    sign_in(page, owner.email)
    _settled(page)
    rows = page.get_by_test_id("inbox-row")
    expect(rows).to_have_count(2)  # the snoozed lead is hidden
    page.get_by_test_id("assignee-filter").select_option("none")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-lead-id", str(loose.id))
    page.get_by_test_id("assignee-filter").select_option(str(setter.id))
    expect(rows.first).to_have_attribute("data-lead-id", str(theirs.id))
    expect(rows).to_have_count(1)
    assert f"assignee={setter.id}" in page.url
    page.get_by_test_id("clear-filters").click()
    expect(rows).to_have_count(2)
    page.get_by_test_id("snoozed-view").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-lead-id", str(sleepy.id))
    assert "snoozed=1" in page.url


def test_snooze_until_a_picked_date_and_time(page: Page) -> None:
    owner = _user("Pick Owner")
    ws = _workspace("Pick", (owner, "ADMIN"))
    lead = _attention_lead(ws, "Pia")
    sign_in(page, owner.email)
    _settled(page)
    page.locator(f'[data-testid="inbox-row"][data-lead-id="{lead.id}"]').click()
    expect(page.get_by_test_id("lead-name")).to_contain_text("Pia")
    page.get_by_test_id("snooze-custom").click()
    when = datetime.now(UTC) + timedelta(days=30)
    page.get_by_test_id("snooze-until-input").fill(when.strftime("%Y-%m-%dT09:30"))
    page.get_by_test_id("snooze-until").click()
    expect(page.get_by_test_id("undo-label")).to_have_text("Snoozed")
    [row] = rows('SELECT "snoozedUntil" FROM "Lead" WHERE id = :l', l=lead.id)
    assert row.snoozedUntil is not None and row.snoozedUntil.date() >= when.date() - timedelta(1)
    expect(page.get_by_test_id("lead-snoozed")).to_be_visible()

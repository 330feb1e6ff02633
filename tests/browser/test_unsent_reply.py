"""Never lose work (issue 18 item 1): an unsent reply survives a switch to another
conversation, a reload and a reassignment (the setter keeps their text to copy); Undo brings a
rejected draft back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from inboxapp.db.engine import owner_session
from tests.browser.support import sign_in
from tests.browser.test_inbox import _attention_lead, _settled, _user, _workspace
from tests.factories import create_draft
from tests.inbound_helpers import rows
from tests.jobs.test_jobs import wait_for

pytestmark = pytest.mark.browser


def open_row(page: Page, lead: object) -> None:
    page.locator(f'[data-testid="inbox-row"][data-lead-id="{lead.id}"]').click()  # type: ignore[attr-defined]
    expect(page.get_by_test_id("lead-name")).to_contain_text(lead.firstName)  # type: ignore[attr-defined]


def test_an_unsent_reply_survives_switch_reload_and_reassignment(page: Page) -> None:
    owner = _user("Unsent Owner")
    setter = _user("Unsent Setter")
    other = _user("Other Setter")
    ws = _workspace("Unsent", (owner, "ADMIN"), (setter, "SETTER"), (other, "SETTER"))
    mine = _attention_lead(ws, "Rosalind", assignedToUserId=setter.id)
    second = _attention_lead(ws, "Theodor", assignedToUserId=setter.id)
    sign_in(page, setter.email)
    _settled(page)
    open_row(page, mine)
    text = "Hi Rosalind, about your question on pricing: "
    page.get_by_test_id("reply-input").fill(text)
    wait_for(lambda: saved(setter.id) == text, 20, "the unsent reply is kept on the server")
    open_row(page, second)
    expect(page.get_by_test_id("reply-input")).to_have_value("")
    open_row(page, mine)
    expect(page.get_by_test_id("reply-input")).to_have_value(text)
    page.reload()
    _settled(page)
    expect(page.get_by_test_id("lead-name")).to_contain_text("Rosalind")
    expect(page.get_by_test_id("reply-input")).to_have_value(text)

    with owner_session() as s:  # a manager reassigns the lead to another setter
        s.execute(sa.text('UPDATE "Lead" SET "assignedToUserId" = :u, "updatedAt" = now()'
                          ' WHERE id = :l'), {"u": other.id, "l": mine.id})  # fmt: skip
    page.reload()
    expect(page.get_by_test_id("conversation-error")).to_be_visible()
    expect(page.get_by_test_id("orphan-reply")).to_have_value(text)
    expect(page.get_by_test_id("orphan-assignee")).to_contain_text("Reassigned to Other Setter")
    assert saved(setter.id) == text


def saved(user_id: object) -> str | None:
    found = rows('SELECT body FROM "ReplyDraft" WHERE "userId" = :u', u=user_id)
    return str(found[0].body) if found else None


def test_undo_restores_a_rejected_draft(page: Page) -> None:
    owner = _user("Undo Owner")
    ws = _workspace("Undo", (owner, "ADMIN"))
    lead = _attention_lead(ws, "Ulrike")
    draft = create_draft(lead, body="Hi Ulrike, happy to share details.")
    sign_in(page, owner.email)
    _settled(page)
    open_row(page, lead)
    expect(page.get_by_test_id("draft-card")).to_contain_text("Hi Ulrike")
    page.get_by_test_id("draft-reject").click()
    expect(page.get_by_test_id("draft-card")).to_have_count(0)
    expect(page.get_by_test_id("undo-label")).to_have_text("Draft rejected")
    page.get_by_test_id("undo").click()
    expect(page.get_by_test_id("draft-card")).to_contain_text("Hi Ulrike")
    [row] = rows('SELECT status FROM "AIDraft" WHERE id = :d', d=draft.id)
    assert row.status == "pending"


def test_next_after_send_opens_the_following_conversation(page: Page) -> None:
    owner = _user("Next Owner")
    ws = _workspace("Next", (owner, "ADMIN"))
    first = _attention_lead(ws, "Frieda", minutes_ago=10)
    second = _attention_lead(ws, "Gustav", minutes_ago=20)
    sign_in(page, owner.email)
    _settled(page)
    open_row(page, first)
    page.get_by_test_id("auto-advance").click()
    page.get_by_test_id("reply-input").fill("Thanks Frieda, here is my calendar.")
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id("lead-name")).to_contain_text("Gustav")
    expect(page.get_by_test_id("conversation-view")).to_have_attribute(
        "data-lead-id", str(second.id)
    )

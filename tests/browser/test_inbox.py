"""The inbox in a real browser (production build): keyset pages, fast workspace switching,
role scoping, replying, and the legacy read path with the read API flag off.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from inboxapp.db.engine import owner_session
from inboxapp.flags import INBOX_READ_API
from inboxapp.inbox.rollups import RECOMPUTE_LEAD_ROLLUPS
from tests import factories
from tests.browser.support import flag_off, sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", tempfile.gettempdir()))
REACT_FAILURES = ("Minified React error", "Too many re-renders", "Maximum update depth")


# ---------------------------------------------------------------------------------- data


def _tag() -> str:
    return uuid.uuid4().hex[:6]


def _user(name: str = "Dana Reyes") -> factories.User:
    return factories.create_user(name=f"{name} {_tag()}")


def _workspace(name: str, *members: tuple[factories.User, str]) -> Any:
    ws = factories.create_workspace(name=f"{name} {_tag()}")
    for user, role in members:
        factories.add_member(ws, user, role)
    return ws


def _attention_lead(ws: Any, first: str, minutes_ago: int = 30, **fields: Any) -> Any:
    """A lead whose last message is an unanswered positive reply (requiresAttention)."""
    inbound_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    values: dict[str, Any] = {
        "firstName": first,
        "lastName": _tag(),
        "sentimentTag": "Interested",
        "status": "new",
    }
    values.update(fields)
    lead = factories.create_lead(ws, **values)
    factories.create_message(
        lead,
        direction="outbound",
        source="campaign",
        body="Hi, quick question about your outbound pipeline.",
        sentAt=inbound_at - timedelta(days=1),
    )
    factories.create_message(
        lead,
        direction="inbound",
        source="campaign",
        body=f"Sounds interesting, {first} here. Can you send details?",
        sentAt=inbound_at,
        isRead=False,
    )
    _recompute(lead)
    return lead


def _plain_lead(ws: Any, first: str, **fields: Any) -> Any:
    """A lead we reached out to who has not replied (not in any attention category)."""
    lead = factories.create_lead(ws, firstName=first, lastName=_tag(), **fields)
    factories.create_message(lead, direction="outbound", source="campaign", body="Hello!")
    _recompute(lead)
    return lead


def _recompute(lead: Any) -> None:
    with owner_session() as s:
        s.execute(RECOMPUTE_LEAD_ROLLUPS, {"lead_id": lead.id})


# ---------------------------------------------------------------------------------- page


def _client_id(page: Page) -> str:
    return parse_qs(urlsplit(page.url).query).get("clientId", [""])[0]


def _settled(page: Page) -> None:
    """No load in flight, and exactly one inbox on the page."""
    expect(page.get_by_test_id("loading-spinner")).to_have_count(0)
    expect(page.get_by_test_id("inbox-container")).to_have_count(1)


def _count(page: Page, key: str) -> Any:
    return page.get_by_test_id(f"count-{key}")


def _row_ids(page: Page) -> list[str]:
    rows = page.get_by_test_id("inbox-row")
    return [str(v) for v in rows.evaluate_all("els => els.map(e => e.dataset.leadId)")]


def _open_tab(page: Page, key: str) -> None:
    page.get_by_test_id(f"filter-tab-{key}").click()
    expect(page.get_by_test_id(f"filter-tab-{key}")).to_have_attribute("aria-selected", "true")
    _settled(page)


def _react_failures(errors: list[str]) -> list[str]:
    return [e for e in errors if any(marker in e for marker in REACT_FAILURES)]


# ---------------------------------------------------------------------------------- tests


def test_load_more_collects_every_lead_once_with_equal_updated_at(page: Page) -> None:
    user = _user()
    ws = _workspace("Paging", (user, "ADMIN"))
    same = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
    created = {
        str(
            factories.create_lead(
                ws, firstName=f"P{i:03d}", lastInboundAt=same, lastMessageAt=same, updatedAt=same
            ).id
        )
        for i in range(120)
    }
    for i in range(5):  # outside the filter: never replied
        factories.create_lead(ws, firstName=f"N{i}", updatedAt=same)
    sign_in(page, user.email)
    _settled(page)
    expect(_count(page, "allResponses")).to_have_text("120")
    expect(_count(page, "total")).to_have_text("125")
    _open_tab(page, "allResponses")
    rows = page.get_by_test_id("inbox-row")
    expect(rows).to_have_count(50)
    # Infinite scroll: scrolling to the end of the list loads the next pages until none is left
    # (how many pages one scroll loads depends on the layout, so only the end state is checked).
    page.wait_for_function(
        """() => {
          const list = document.getElementById('inbox-list');
          if (list) list.scrollTop = list.scrollHeight;
          return document.querySelectorAll('[data-testid="inbox-row"]').length >= 120
            && !document.querySelector('[data-testid="load-more"]');
        }""",
        polling=250,
    )
    expect(rows).to_have_count(120)
    _settled(page)
    expect(page.get_by_test_id("load-more")).to_have_count(0)
    ids = _row_ids(page)
    assert len(ids) == len(set(ids)) == 120, "a lead repeated across pages"
    assert set(ids) == created


def test_fifty_fast_workspace_switches_end_on_the_last_one(
    page: Page, console_errors: list[str]
) -> None:
    user = _user("Sam Switcher")
    spaces = [_workspace(f"{c} Switch", (user, "ADMIN")) for c in "ABC"]
    expected: dict[str, set[str]] = {}
    totals: dict[str, int] = {}
    for n, ws in enumerate(spaces):
        attention = {str(_attention_lead(ws, f"W{n}L{i}").id) for i in range(2 + 2 * n)}
        for i in range(n + 1):
            _plain_lead(ws, f"W{n}P{i}")
        expected[str(ws.id)] = attention
        totals[str(ws.id)] = len(attention) + n + 1
    sign_in(page, user.email)
    _settled(page)
    switcher = page.get_by_test_id("workspace-switcher")
    expect(switcher.locator("option")).to_have_count(3)
    order = [str(ws.id) for ws in spaces]
    last = ""
    for i in range(50):
        last = order[(i + 1) % 3]
        switcher.select_option(last)
    expect(page).to_have_url(re.compile(rf"clientId={last}"))
    expect(switcher).to_have_value(last)
    assert _client_id(page) == last
    expect(page.get_by_test_id("workspace-name")).to_have_text(
        next(ws.name for ws in spaces if str(ws.id) == last)
    )
    expect(_count(page, "requiresAttention")).to_have_text(str(len(expected[last])))
    expect(_count(page, "total")).to_have_text(str(totals[last]))
    expect(page.get_by_test_id("inbox-row")).to_have_count(len(expected[last]))
    _settled(page)
    assert set(_row_ids(page)) == expected[last]
    assert _client_id(page) == switcher.input_value() == last
    expect(page.get_by_test_id("inbox-container")).to_have_count(1)
    expect(page.get_by_test_id("loading-spinner")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "inbox-after-switching.png")
    assert _react_failures(console_errors) == []
    assert console_errors == []


def _conversation_workspace() -> tuple[factories.User, Any, dict[str, Any]]:
    """A realistic workspace: an admin, two setters, a client-portal user, a few leads."""
    admin = _user("Avery Admin")
    setter = _user("Sasha Setter")
    other = _user("Omar Setter")
    portal = _user("Casey Client")
    ws = _workspace(
        "Northwind",
        (admin, "ADMIN"),
        (setter, "SETTER"),
        (other, "SETTER"),
        (portal, "CLIENT_PORTAL"),
    )
    campaign = factories.create_campaign(ws, name="Q3 founders outreach")
    maya = _attention_lead(
        ws,
        "Maya",
        minutes_ago=12,
        lastName="Chen",
        email=f"maya.chen.{_tag()}@lumen.example",
        phone="+1 415 555 0142",
        company="Lumen Labs",
        overallScore=4,
        campaignId=campaign.id,
        assignedToUserId=setter.id,
    )
    factories.create_draft(
        maya,
        body="Hi Maya, thanks for getting back to me! Here is a one-pager and two times "
        "that work this week: Tue 10:00 or Thu 15:30. Which suits you?",
    )
    jonas = _attention_lead(
        ws, "Jonas", minutes_ago=95, company="Fjord AS", assignedToUserId=other.id
    )
    priya = _attention_lead(
        ws,
        "Priya",
        minutes_ago=60 * 26,
        sentimentTag="Meeting Requested",
        company="Acme Robotics",
        assignedToUserId=setter.id,
    )
    quiet = _plain_lead(ws, "Leo", company="Quiet Co")
    return (
        admin,
        ws,
        {
            "setter": setter,
            "other": other,
            "portal": portal,
            "maya": maya,
            "jonas": jonas,
            "priya": priya,
            "quiet": quiet,
        },
    )


def test_setter_sees_only_assigned_leads_and_cannot_assign(page: Page) -> None:
    _, _, people = _conversation_workspace()
    sign_in(page, people["setter"].email)
    _settled(page)
    mine = {str(people["maya"].id), str(people["priya"].id)}
    expect(page.get_by_test_id("setter-scope")).to_be_visible()
    expect(_count(page, "requiresAttention")).to_have_text("2")
    expect(_count(page, "total")).to_have_text("2")
    expect(page.get_by_test_id("inbox-row")).to_have_count(2)
    assert set(_row_ids(page)) == mine
    _open_tab(page, "total")
    ids = _row_ids(page)
    assert set(ids) == mine
    # Keyboard: j/k move through the list and open the conversation, Escape closes it.
    view = page.get_by_test_id("conversation-view")
    page.keyboard.press("j")
    expect(view).to_have_attribute("data-lead-id", ids[0])
    page.keyboard.press("j")
    expect(view).to_have_attribute("data-lead-id", ids[1])
    page.keyboard.press("k")
    expect(view).to_have_attribute("data-lead-id", ids[0])
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("conversation-placeholder")).to_be_visible()
    page.locator(f'[data-lead-id="{people["maya"].id}"]').first.click()
    view = page.get_by_test_id("conversation-view")
    expect(view).to_be_visible()
    expect(page.get_by_test_id("reply-input")).to_be_visible()
    expect(page.get_by_test_id("assign-select")).to_have_count(0)
    expect(page.get_by_test_id("draft-approve")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "inbox-setter.png")


def test_client_portal_is_read_only(page: Page) -> None:
    _, _, people = _conversation_workspace()
    sign_in(page, people["portal"].email)
    _settled(page)
    expect(page.get_by_test_id("inbox-row")).to_have_count(3)
    page.locator(f'[data-lead-id="{people["maya"].id}"]').first.click()
    expect(page.get_by_test_id("conversation-view")).to_be_visible()
    expect(page.get_by_test_id("thread-message")).to_have_count(2)
    expect(page.get_by_test_id("read-only-note")).to_be_visible()
    for control in (
        "reply-input",
        "reply-send",
        "assign-select",
        "draft-approve",
        "draft-edit",
        "draft-reject",
        "mark-read",
        "mark-unread",
        "snooze-select",
        "sentiment-select",
        "status-select",
    ):
        expect(page.get_by_test_id(control)).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "inbox-portal.png")
    # A deep link opens the conversation it names.
    jonas = people["jonas"]
    page.goto(f"/?clientId={jonas.clientId}&leadId={jonas.id}")
    expect(page.get_by_test_id("conversation-view")).to_have_attribute(
        "data-lead-id", str(jonas.id)
    )
    expect(page.get_by_test_id("lead-name")).to_contain_text("Jonas")
    _settled(page)


def test_reply_from_the_ui_writes_a_message_and_leaves_attention(page: Page) -> None:
    admin, _ws, people = _conversation_workspace()
    maya = people["maya"]
    sign_in(page, admin.email)
    _settled(page)
    expect(_count(page, "requiresAttention")).to_have_text("3")
    expect(page.get_by_test_id("inbox-row")).to_have_count(3)
    page.locator(f'[data-lead-id="{maya.id}"]').first.click()
    view = page.get_by_test_id("conversation-view")
    expect(view).to_have_attribute("data-lead-id", str(maya.id))
    expect(page.get_by_test_id("draft-card")).to_be_visible()
    expect(page.get_by_test_id("assign-select")).to_have_value(str(people["setter"].id))
    expect(page).to_have_url(re.compile(rf"leadId={maya.id}"))
    page.screenshot(path=SCREENSHOTS / "inbox.png")

    body = f"Thanks Maya! Sending the deck now. ({_tag()})"
    page.get_by_test_id("reply-input").fill(body)
    page.get_by_test_id("reply-input").press("Control+Enter")  # keyboard send
    outbound = page.get_by_test_id("thread-message").filter(has_text=body)
    expect(outbound).to_have_count(1)
    expect(outbound).to_have_attribute("data-direction", "outbound")
    expect(page.get_by_test_id("reply-input")).to_have_value("")
    expect(_count(page, "requiresAttention")).to_have_text("2")
    expect(page.locator(f'[data-testid="inbox-row"][data-lead-id="{maya.id}"]')).to_have_count(0)
    expect(page.get_by_test_id("action-error")).to_have_count(0)
    _settled(page)
    with owner_session() as s:
        row = s.execute(
            sa.text(
                'SELECT direction, "sentBy", "sentByUserId" FROM "Message"'
                ' WHERE "leadId" = :l AND body = :b'
            ),
            {"l": maya.id, "b": body},
        ).one()
    assert (row.direction, row.sentBy, row.sentByUserId) == ("outbound", "setter", admin.id)

    # Other actions refresh the view in place; service errors show inline.
    page.get_by_test_id("sentiment-select").select_option("Meeting Booked")
    expect(page.get_by_test_id("lead-sentiment")).to_have_text("Meeting Booked")
    page.get_by_test_id("assign-select").select_option(str(people["other"].id))
    expect(page.get_by_test_id("assign-select")).to_have_value(str(people["other"].id))
    page.get_by_test_id("draft-reject").click()
    expect(page.get_by_test_id("draft-card")).to_have_count(0)
    page.get_by_test_id("snooze-select").select_option("1h")
    expect(page.get_by_test_id("lead-snoozed")).to_be_visible()
    expect(_count(page, "total")).to_have_text("3")
    expect(page.get_by_test_id("action-error")).to_have_count(0)
    _settled(page)
    with owner_session() as s:
        lead = s.execute(
            sa.text(
                'SELECT "sentimentTag", "assignedToUserId", "snoozedUntil" FROM "Lead"'
                " WHERE id = :l"
            ),
            {"l": maya.id},
        ).one()
    assert lead.sentimentTag == "Meeting Booked"
    assert lead.assignedToUserId == people["other"].id
    assert lead.snoozedUntil is not None


@pytest.fixture
def read_api_off() -> Iterator[None]:
    """Switch the read API off through its Redis override (read per request, cached 1 s).

    The override is global to the Redis database: keep the window short.
    """
    with flag_off(INBOX_READ_API):
        yield


def test_inbox_works_on_the_legacy_path_when_the_read_api_is_off(
    page: Page, app_url: str, read_api_off: None
) -> None:
    admin, ws, people = _conversation_workspace()
    sign_in(page, admin.email)
    _settled(page)
    token = page.evaluate("() => localStorage.getItem('inbox_access_token')")
    answer = httpx.get(
        f"{app_url}/api/inbox/counts",
        params={"clientId": str(ws.id)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 503, answer.text  # the server sees the flag off
    expect(_count(page, "requiresAttention")).to_have_text("3")
    expect(_count(page, "total")).to_have_text("4")
    expected = {str(people[k].id) for k in ("maya", "jonas", "priya")}
    expect(page.get_by_test_id("inbox-row")).to_have_count(3)
    assert set(_row_ids(page)) == expected
    page.locator(f'[data-lead-id="{people["jonas"].id}"]').first.click()
    expect(page.get_by_test_id("conversation-view")).to_be_visible()
    expect(page.get_by_test_id("thread-message")).to_have_count(2)
    # Opening it marks it read (after a short dwell): the button turns into "Mark unread".
    expect(page.get_by_test_id("mark-unread")).to_be_visible()
    _settled(page)

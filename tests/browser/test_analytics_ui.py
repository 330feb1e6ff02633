"""Analytics in a real browser (production build): the overview is progressive (KPI cards before
the charts), the session cache is bounded, keyed per user and cleared at sign-out, a saved view
renders at once and is then refreshed, fast tab/window switching stays clean, bad custom ranges
are explained inline, setters see only their leads, and the legacy path works with the
analytics read API flag off.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from inboxapp.analytics import rollup
from inboxapp.flags import ANALYTICS_READ_API
from inboxapp.state.browser import STORAGE_KEY
from tests import factories
from tests.browser.support import flag_off, sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", tempfile.gettempdir()))

# Records which of the overview's blocks are on the page after every DOM change:
# K = kpi-cards, S = breakdowns-skeleton, B = breakdowns (charts).
PROGRESS_OBSERVER = """
(() => {
  window.__overviewStates = [];
  const q = (id) => !!document.querySelector(`[data-testid="${id}"]`);
  const check = () => {
    const s = (q('kpi-cards') ? 'K' : '') + (q('breakdowns-skeleton') ? 'S' : '')
      + (q('breakdowns') ? 'B' : '');
    const all = window.__overviewStates;
    if (s && all[all.length - 1] !== s) all.push(s);
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();
"""

# Records every text the "Total leads" card shows, and whether the "saved" badge appeared.
KPI_TEXT_OBSERVER = """
(() => {
  window.__totalLeadsTexts = [];
  window.__cacheBadgeSeen = false;
  new MutationObserver(() => {
    const el = document.querySelector('[data-testid="kpi-value-totalLeads"]');
    const all = window.__totalLeadsTexts;
    if (el && all[all.length - 1] !== el.textContent) all.push(el.textContent);
    if (document.querySelector('[data-testid="cache-badge"]')) window.__cacheBadgeSeen = true;
  }).observe(document, { childList: true, subtree: true, characterData: true });
})();
"""

READ_BOX = f"() => JSON.parse(sessionStorage.getItem({json.dumps(STORAGE_KEY)}) || 'null')"


# ---------------------------------------------------------------------------------- data


def _tag() -> str:
    return uuid.uuid4().hex[:6]


@dataclass
class Seeded:
    workspace: Any
    admin: Any
    setters: list[Any]
    leads_30d: int
    leads_7d: int
    setter_leads_30d: int


# Days ago each lead was created; index drives campaign, assignee, sentiment, status, replies.
# Kept two days off every window edge (7, 14, 30, 90): "now" is moved 90 minutes back.
DAYS_AGO = (0, 1, 2, 3, 4, 5, 9, 12, 16, 20, 25, 40, 60, 80)
SENTIMENTS = ("Interested", "Meeting Requested", "Not Interested", "Meeting Booked", None,
              "Objection", "Information Requested")  # fmt: skip
STATUSES = ("new", "qualified", "meeting-booked", "unqualified")
POSITIVE = ("Interested", "Meeting Requested", "Meeting Booked", "Information Requested")


def _seed(name: str = "Acme Analytics") -> Seeded:
    """A workspace with two campaigns, an admin and two setters, and 14 leads over 80 days with
    campaign outreach, replies, setter and AI answers; rolled up like the job does."""
    admin = factories.create_user(name=f"Avery Admin {_tag()}")
    setters = [factories.create_user(name=f"{n} Setter {_tag()}") for n in ("Sasha", "Omar")]
    ws = factories.create_workspace(name=f"{name} {_tag()}")
    factories.add_member(ws, admin, "ADMIN")
    for s in setters:
        factories.add_member(ws, s, "SETTER")
    campaigns = [
        factories.create_campaign(ws, name="Q3 founders outreach"),
        factories.create_campaign(ws, name="Agencies EU"),
    ]
    now = datetime.now(UTC) - timedelta(minutes=90)
    setter_leads_30d = 0
    for i, days in enumerate(DAYS_AGO):
        created = now - timedelta(days=days)
        sentiment = SENTIMENTS[i % len(SENTIMENTS)]
        assignee = setters[i % 3] if i % 3 < 2 else None
        if assignee is setters[0] and days < 30:
            setter_leads_30d += 1
        lead = factories.create_lead(
            ws,
            firstName=f"Lead{i:02d}",
            lastName=_tag(),
            email=f"lead{i}.{_tag()}@example.test",
            company=f"Company {i}",
            campaignId=campaigns[i % 2].id,
            assignedToUserId=assignee.id if assignee else None,
            assignedAt=created if assignee else None,
            sentimentTag=sentiment,
            status=STATUSES[i % len(STATUSES)],
            positiveAt=created + timedelta(minutes=40) if sentiment in POSITIVE else None,
            appointmentBookedAt=(
                created + timedelta(hours=1) if sentiment == "Meeting Booked" else None
            ),
            createdAt=created,
            updatedAt=created,
        )
        factories.create_message(lead, direction="outbound", source="campaign", sentAt=created)
        if i % 2 == 0:
            inbound = created + timedelta(minutes=20)
            factories.create_message(
                lead, direction="inbound", source="campaign", body="Tell me more", sentAt=inbound
            )
            if i % 4 == 0 and assignee is not None:
                factories.create_message(
                    lead,
                    direction="outbound",
                    source="zrg",
                    sentBy="setter",
                    sentByUserId=assignee.id,
                    body="Happy to! Here are the details.",
                    sentAt=inbound + timedelta(minutes=12 + i),
                )
            else:
                factories.create_message(
                    lead,
                    direction="outbound",
                    source="zrg",
                    sentBy="ai",
                    body="Thanks for your reply!",
                    sentAt=inbound + timedelta(seconds=40 + i),
                )
    rollup.rebuild_workspace(ws.id)
    return Seeded(
        workspace=ws,
        admin=admin,
        setters=setters,
        leads_30d=sum(1 for d in DAYS_AGO if d < 30),
        leads_7d=sum(1 for d in DAYS_AGO if d < 7),
        setter_leads_30d=setter_leads_30d,
    )


# ---------------------------------------------------------------------------------- page


def _open_analytics(page: Page, client_id: str) -> None:
    """From the inbox through the sidebar link (a client-side navigation)."""
    link = page.get_by_test_id("nav-analytics")
    expect(link).to_have_attribute("href", re.compile(rf"/analytics\?clientId={client_id}"))
    link.click()
    expect(page).to_have_url(re.compile(r"/analytics"))
    expect(page.get_by_test_id("analytics-page")).to_be_visible()


CONTENT = {
    "overview": "breakdowns",
    "campaigns": "campaigns-panel",
    "setters": "setters-panel",
    "timing": "timing-setter",
    "crm": "crm-panel",
}


def _settled(page: Page, tab: str) -> None:
    """The fresh data of ``tab`` is shown: no load in flight, nothing served from the cache."""
    expect(page.get_by_test_id(CONTENT[tab])).to_be_visible()
    expect(page.get_by_test_id("analytics-loading")).to_have_count(0)
    expect(page.get_by_test_id("cache-badge")).to_have_count(0)
    expect(page.get_by_test_id("analytics-error")).to_have_count(0)


def _tab(page: Page, tab: str) -> None:
    page.get_by_test_id(f"analytics-tab-{tab}").click()
    expect(page.get_by_test_id(f"analytics-tab-{tab}")).to_have_attribute("aria-selected", "true")
    _settled(page, tab)


def _window(page: Page, key: str, tab: str) -> None:
    page.get_by_test_id(f"window-{key}").click()
    expect(page.get_by_test_id("analytics-page")).to_have_attribute("data-window", key)
    _settled(page, tab)


def _custom(page: Page, start: str, end: str) -> None:
    if page.get_by_test_id("custom-range").count() == 0:
        page.get_by_test_id("window-custom").click()
    page.get_by_test_id("custom-from").fill(start)
    page.get_by_test_id("custom-to").fill(end)
    page.get_by_test_id("custom-apply").click()


def _box(page: Page) -> Any:
    return page.evaluate(READ_BOX)


def _key(user: Any, ws: Any, tab: str, window: str, parts: str) -> str:
    return f"{user.id}|{ws.id}|{tab}|{window}|{parts}"


# ---------------------------------------------------------------------------------- tests


def test_overview_shows_kpi_cards_before_the_charts(page: Page) -> None:
    data = _seed()
    ws = data.workspace
    page.add_init_script(PROGRESS_OBSERVER)
    sign_in(page, data.admin.email)
    _open_analytics(page, str(ws.id))
    expect(page.get_by_test_id("kpi-cards")).to_be_visible()
    _settled(page, "overview")
    states: list[str] = page.evaluate("() => window.__overviewStates")
    assert "KS" in states, f"KPI cards never shown while the charts were loading: {states}"
    first_charts = next(i for i, s in enumerate(states) if "B" in s)
    assert states.index("KS") < first_charts, states
    assert all("K" in s for s in states[first_charts:]), states

    for key in ("totalLeads", "leadsContacted", "responses", "responseRate", "meetingsBooked",
                "setterMedianResponse", "aiMedianResponse"):  # fmt: skip
        expect(page.get_by_test_id(f"kpi-{key}")).to_be_visible()
    expect(page.get_by_test_id("kpi-value-totalLeads")).to_have_text(str(data.leads_30d))
    expect(page.get_by_test_id("kpi-value-leadsContacted")).to_have_text(str(data.leads_30d))
    expect(page.get_by_test_id("analytics-period")).to_contain_text("30 days · UTC")
    for chart in ("chart-sentiment", "chart-weekly", "chart-status", "chart-setter-timing"):
        expect(page.get_by_test_id(chart).locator("svg.recharts-surface").first).to_be_visible()
    expect(page.get_by_test_id("setter-timing-row")).not_to_have_count(0)
    expect(page.get_by_test_id("nav-analytics")).to_have_attribute("aria-current", "page")
    page.screenshot(path=SCREENSHOTS / "analytics-overview.png", full_page=True)

    _window(page, "7d", "overview")
    expect(page.get_by_test_id("kpi-value-totalLeads")).to_have_text(str(data.leads_7d))
    expect(page).to_have_url(re.compile(r"window=7d"))
    rows = {"campaigns": ("campaign-row", 2), "setters": ("setter-row", 2),
            "crm": ("crm-row", data.leads_7d)}  # fmt: skip
    for tab in ("campaigns", "setters", "timing", "crm"):
        _tab(page, tab)
        if tab in rows:
            expect(page.get_by_test_id(rows[tab][0])).to_have_count(rows[tab][1])
        page.screenshot(path=SCREENSHOTS / f"analytics-{tab}.png", full_page=True)


def test_stale_numbers_refresh_by_themselves_once_the_rollup_ran(page: Page) -> None:
    data = _seed("Stale Analytics")
    ws = data.workspace
    factories.create_lead(ws)  # a new lead today: its day is marked dirty, no rollup runs yet
    sign_in(page, data.admin.email)
    _open_analytics(page, str(ws.id))
    expect(page.get_by_test_id("analytics-freshness")).to_be_visible()
    total = page.get_by_test_id("kpi-value-totalLeads")
    expect(total).to_have_text(str(data.leads_30d))
    rollup.rollup_workspace(ws.id)  # what the queued job does (no worker in browser tests)
    # No click, no reload: the page loads the stale view again until it is fresh.
    expect(page.get_by_test_id("analytics-freshness")).to_be_hidden(timeout=15_000)
    expect(total).to_have_text(str(data.leads_30d + 1))


def test_session_cache_is_bounded_keyed_per_user_and_cleared_at_logout(page: Page) -> None:
    data = _seed("Cache Co")
    ws, first = data.workspace, data.admin
    second = factories.create_user(name=f"Blair Second {_tag()}")
    factories.add_member(ws, second, "ADMIN")
    sign_in(page, first.email)
    _open_analytics(page, str(ws.id))
    _settled(page, "overview")

    # 25 cache entries (22 views, the overviews have two parts each) through 21 switches.
    switches = 0
    for tab in ("campaigns", "setters", "timing", "crm"):
        _tab(page, tab)
        switches += 1
    _window(page, "7d", "crm")
    switches += 1
    for tab in ("overview", "campaigns", "setters", "timing"):
        _tab(page, tab)
        switches += 1
    _window(page, "90d", "timing")
    switches += 1
    for tab in ("crm", "overview", "campaigns", "setters"):
        _tab(page, tab)
        switches += 1
    ranges = [("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28"),
              ("2025-11-01", "2025-12-15"), ("2025-09-01", "2025-09-30"),
              ("2025-08-01", "2025-08-31"), ("2025-07-01", "2025-07-31"),
              ("2025-10-01", "2025-10-31")]  # fmt: skip
    for start, end in ranges:
        _custom(page, start, end)
        expect(page).to_have_url(re.compile(rf"from={start}&to={end}"))
        _settled(page, "setters")
        switches += 1
    assert switches > 20

    page.wait_for_function(f"() => ({READ_BOX})()?.order?.length === 20")
    box = _box(page)
    keys = box["order"]
    assert len(keys) == len(box["entries"]) == 20
    assert box["user"] == str(first.id)
    assert all(k.startswith(f"{first.id}|{ws.id}|") for k in keys), keys
    # Least recently used first out: the first five entries (30 days: both overview parts,
    # campaigns, setters, timing) are gone; the 30-day CRM page, written next, is the oldest.
    for tab, part in (("overview", "core"), ("overview", "breakdowns"), ("campaigns", "all"),
                      ("setters", "all"), ("timing", "all")):  # fmt: skip
        assert _key(first, ws, tab, "30d", part) not in keys
    assert keys[0] == _key(first, ws, "crm", "30d", "rows:-updatedAt:*")
    assert keys[-1] == _key(first, ws, "setters", "custom:2025-10-01:2025-10-31", "all")
    assert _key(first, ws, "overview", "90d", "core") in keys
    entry = box["entries"][keys[-1]]
    assert entry["t"] == "setters" and entry["data"]["clientId"] == str(ws.id)
    stored = json.dumps(box)
    for secret in ("inbox_access_token", "inbox_refresh_token"):
        value = page.evaluate(f"() => localStorage.getItem('{secret}')")
        assert value and value not in stored  # payloads only, never the session
    leftover = page.evaluate(f"() => sessionStorage.getItem({json.dumps(STORAGE_KEY)})")

    # Sign-out removes the cache.
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login"))
    assert _box(page) is None

    # Even a box left behind (e.g. a session that expired) is never shown to the next user:
    # it is dropped unread at their first analytics read.
    page.evaluate(
        "([k, v]) => sessionStorage.setItem(k, v)", [STORAGE_KEY, leftover]
    )  # the first user's box, put back
    sign_in(page, second.email)
    _open_analytics(page, str(ws.id))
    _settled(page, "overview")
    expect(page.get_by_test_id("cache-badge")).to_have_count(0)
    page.wait_for_function(f"() => ({READ_BOX})()?.order?.length >= 2")
    box = _box(page)
    assert box["user"] == str(second.id)
    assert all(k.startswith(f"{second.id}|") for k in box["order"]), box["order"]
    assert str(first.id) not in json.dumps(box)


def test_a_saved_view_renders_at_once_and_is_then_refreshed(page: Page) -> None:
    data = _seed("Stale Then Fresh")
    ws, user = data.workspace, data.admin
    page.add_init_script(KPI_TEXT_OBSERVER)
    sign_in(page, user.email)
    _open_analytics(page, str(ws.id))
    _settled(page, "overview")
    _window(page, "7d", "overview")
    core = _key(user, ws, "overview", "30d", "core")
    page.wait_for_function(f"() => !!({READ_BOX})()?.entries?.[{json.dumps(core)}]")
    # Mark the saved 30-day payload so that showing it is visible.
    page.evaluate(
        """([k, key]) => {
          const box = JSON.parse(sessionStorage.getItem(k));
          box.entries[key].data.core.totalLeads = 424242;
          sessionStorage.setItem(k, JSON.stringify(box));
          window.__totalLeadsTexts = [];
          window.__cacheBadgeSeen = false;
        }""",
        [STORAGE_KEY, core],
    )
    page.get_by_test_id("window-30d").click()
    expect(page.get_by_test_id("kpi-value-totalLeads")).to_have_text(str(data.leads_30d))
    _settled(page, "overview")
    texts: list[str] = page.evaluate("() => window.__totalLeadsTexts")
    assert "424,242" in texts, f"the saved view was never shown: {texts}"
    assert texts[-1] == str(data.leads_30d)
    assert texts.index("424,242") < len(texts) - 1
    assert page.evaluate("() => window.__cacheBadgeSeen") is True
    # The refresh wrote the fresh payload back.
    page.wait_for_function(
        f"() => ({READ_BOX})()?.entries?.[{json.dumps(core)}]?.data?.core?.totalLeads"
        f" === {data.leads_30d}"
    )


def test_fast_tab_and_window_switching_stays_clean(page: Page, console_errors: list[str]) -> None:
    data = _seed("Switch Fast")
    sign_in(page, data.admin.email)
    _open_analytics(page, str(data.workspace.id))
    _settled(page, "overview")
    tabs = ("campaigns", "setters", "timing", "crm", "overview")
    windows = ("7d", "90d", "30d")
    for i in range(30):
        page.get_by_test_id(f"analytics-tab-{tabs[i % len(tabs)]}").click()
        if i % 2:
            page.get_by_test_id(f"window-{windows[i % len(windows)]}").click()
    last_tab, last_window = tabs[29 % len(tabs)], windows[29 % len(windows)]
    container = page.get_by_test_id("analytics-page")
    expect(container).to_have_attribute("data-tab", last_tab)
    expect(container).to_have_attribute("data-window", last_window)
    _settled(page, last_tab)
    expect(page.get_by_test_id("kpi-value-totalLeads")).to_have_text(str(data.leads_30d))
    expect(page).to_have_url(re.compile(rf"tab={last_tab}&window={last_window}"))
    expect(page.get_by_test_id(f"analytics-tab-{last_tab}")).to_have_attribute(
        "aria-selected", "true"
    )
    # A reload comes back to the same view (from the URL), served from the session cache first.
    page.reload()
    _settled(page, last_tab)
    expect(container).to_have_attribute("data-window", last_window)
    assert console_errors == []


def test_bad_custom_ranges_are_explained_inline(page: Page) -> None:
    data = _seed("Ranges")
    sign_in(page, data.admin.email)
    _open_analytics(page, str(data.workspace.id))
    _settled(page, "overview")
    _custom(page, "2026-03-10", "2026-03-01")
    error = page.get_by_test_id("window-error")
    expect(error).to_have_text("From must be on or before to.")
    expect(page.get_by_test_id("analytics-page")).to_have_attribute("data-window", "30d")
    _custom(page, "2025-01-01", "2025-12-31")
    expect(error).to_have_text("A custom window covers at most 180 days (this one has 365).")
    page.screenshot(path=SCREENSHOTS / "analytics-window-error.png")
    today = datetime.now(UTC).date()
    start = today - timedelta(days=13)
    _custom(page, start.isoformat(), today.isoformat())
    expect(error).to_have_count(0)
    expect(page.get_by_test_id("analytics-page")).to_have_attribute("data-window", "custom")
    _settled(page, "overview")
    expect(page.get_by_test_id("analytics-period")).to_contain_text("14 days")
    expect(page.get_by_test_id("kpi-value-totalLeads")).to_have_text(
        str(sum(1 for d in DAYS_AGO if d < 14))
    )


def test_a_setter_sees_only_their_leads(page: Page) -> None:
    data = _seed("Scoped")
    setter = data.setters[0]
    sign_in(page, setter.email)
    _open_analytics(page, str(data.workspace.id))
    _settled(page, "overview")
    expect(page.get_by_test_id("setter-scope")).to_be_visible()
    expect(page.get_by_test_id("kpi-value-totalLeads")).to_have_text(str(data.setter_leads_30d))
    _tab(page, "setters")
    expect(page.get_by_test_id("setter-row")).to_have_count(1)
    expect(page.get_by_test_id("setter-row")).to_contain_text(setter.displayName)
    _tab(page, "crm")
    expect(page.get_by_test_id("crm-row")).to_have_count(data.setter_leads_30d)


@pytest.fixture
def analytics_api_off() -> Iterator[None]:
    """Switch the analytics read API off through its Redis override (read per request)."""
    with flag_off(ANALYTICS_READ_API):
        yield


def test_analytics_work_on_the_legacy_path_when_the_read_api_is_off(
    page: Page, app_url: str, analytics_api_off: None
) -> None:
    data = _seed("Legacy")
    ws = data.workspace
    sign_in(page, data.admin.email)
    token = page.evaluate("() => localStorage.getItem('inbox_access_token')")
    answer = httpx.get(
        f"{app_url}/api/analytics/overview",
        params={"clientId": str(ws.id), "parts": "core"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 503, answer.text  # the server sees the flag off
    _open_analytics(page, str(ws.id))
    _settled(page, "overview")
    expect(page.get_by_test_id("kpi-value-totalLeads")).to_have_text(str(data.leads_30d))
    _tab(page, "campaigns")
    expect(page.get_by_test_id("campaign-row")).to_have_count(2)


def test_kpis_name_their_cohort_and_crm_rows_open_the_conversation(page: Page) -> None:
    data = _seed("Cohort Co")
    ws = data.workspace
    sign_in(page, data.admin.email)
    _open_analytics(page, str(ws.id))
    _settled(page, "overview")
    expect(page.get_by_test_id("kpi-cohort-totalLeads")).to_have_text("Leads created in the window")
    expect(page.get_by_test_id("kpi-cohort-leadsContacted")).to_have_text(
        "Of the leads created in the window: contacted so far"
    )
    expect(page.get_by_test_id("kpi-cohort-responseRate")).to_contain_text("Responses / leads")
    _tab(page, "campaigns")
    expect(page.get_by_test_id("campaign-cohorts")).to_contain_text("Contacted: Of those leads")
    _tab(page, "setters")
    expect(page.get_by_test_id("setter-cohorts")).to_contain_text("Assigned: Leads assigned")
    _tab(page, "crm")
    first = page.get_by_test_id("crm-open").first
    href = first.get_attribute("href") or ""
    lead_id = re.search(r"leadId=([0-9a-f-]{36})", href)
    assert lead_id and f"clientId={ws.id}" in href, href
    first.click()
    expect(page).to_have_url(re.compile(rf"leadId={lead_id.group(1)}"))
    expect(page.get_by_test_id("conversation-view")).to_have_attribute(
        "data-lead-id", lead_id.group(1)
    )

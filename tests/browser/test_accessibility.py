"""axe-core (npm ``axe-core``, installed by the Makefile) on every screen, desktop and phone:
no serious or critical violation (issue 18 item 6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from inboxapp.config import PROJECT_ROOT
from tests.browser.support import sign_in
from tests.browser.test_inbox import _attention_lead, _settled, _user, _workspace

pytestmark = pytest.mark.browser
AXE = PROJECT_ROOT / ".tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


def violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations']});
          return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                        targets: v.nodes.slice(0, 4).map(n => n.target.join(' ')),
                        html: v.nodes.slice(0, 4).map(n => n.html.slice(0, 120)),
                        data: v.nodes.slice(0, 4).map(n => (n.any[0] || {}).data || null)}));
        }"""
    )
    return list(found)


@pytest.fixture(params=list(SIZES))
def screen(request: pytest.FixtureRequest, chromium: Browser, app_url: str) -> Iterator[Page]:
    context = chromium.new_context(base_url=app_url, viewport=SIZES[request.param])
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def test_every_screen_passes_axe(screen: Page) -> None:
    assert AXE.exists(), "make setup installs axe-core"
    owner = _user("Axe Owner")
    ws = _workspace("Axe", (owner, "ADMIN"))
    lead = _attention_lead(ws, "Aurelia")
    found: dict[str, list[dict[str, Any]]] = {}

    screen.goto("/login")
    expect(screen.get_by_test_id("login-email")).to_be_visible()
    found["login"] = violations(screen)
    sign_in(screen, owner.email)
    _settled(screen)
    found["inbox"] = violations(screen)
    screen.locator(f'[data-testid="inbox-row"][data-lead-id="{lead.id}"]').click()
    expect(screen.get_by_test_id("lead-name")).to_contain_text("Aurelia")
    found["conversation"] = violations(screen)
    screen.goto(f"/analytics?clientId={ws.id}")
    expect(screen.get_by_test_id("analytics-page")).to_be_visible()
    expect(screen.get_by_test_id("loading-spinner")).to_have_count(0)
    found["analytics"] = violations(screen)
    screen.goto(f"/jobs?clientId={ws.id}")
    expect(screen.get_by_test_id("jobs-page")).to_be_visible()
    found["jobs"] = violations(screen)
    width = (screen.viewport_size or {}).get("width")
    (PROJECT_ROOT / ".artifacts").mkdir(exist_ok=True)
    (PROJECT_ROOT / ".artifacts" / f"axe-{width}.json").write_text(json.dumps(found, indent=1))
    assert {k: v for k, v in found.items() if v} == {}


def test_the_list_is_one_tab_stop_and_a_skip_link_comes_first(page: Page) -> None:
    owner = _user("Keys Owner")
    ws = _workspace("Keys", (owner, "ADMIN"))
    for name, minutes in (("Ida", 30), ("Jon", 20)):
        _attention_lead(ws, name, minutes_ago=minutes)
    sign_in(page, owner.email)
    _settled(page)
    rows = page.get_by_test_id("inbox-row")
    expect(rows).to_have_count(2)
    assert rows.evaluate_all("els => els.filter(e => e.tabIndex === 0).length") == 0
    page.locator("#inbox-listbox").focus()
    page.keyboard.press("ArrowDown")  # into the list: the first row opens
    expect(page.get_by_test_id("lead-name")).to_be_visible()
    assert rows.evaluate_all("els => els.filter(e => e.tabIndex === 0).length") == 1
    page.goto(f"/?clientId={ws.id}")
    _settled(page)
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("skip-link")).to_be_focused()

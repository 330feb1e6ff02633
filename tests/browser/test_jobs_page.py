"""The /jobs admin page in a real browser (production build): live status for owners,
"admins only" for everyone else, and the live poller ending when the tab leaves or closes.

The app server runs in its own process against the same database and Redis as this test
process, so enqueueing a job or writing a status here is what a worker would do.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from inboxapp.jobs.status import now_iso, write_status
from inboxapp.jobs.tasks import enqueue_recompute
from tests import factories
from tests.browser.conftest import LOG_PATH
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", tempfile.gettempdir()))
KIND = "recompute_inbox_counts"


def _sign_in(page: Page, email: str) -> None:
    sign_in(page, email, lands_on="workspace-page")


def _member(role: str) -> tuple[factories.User, Any]:
    """A user and a workspace where they are ``role`` (OWNER: the workspace's owner)."""
    tag = uuid.uuid4().hex[:6]
    user = factories.create_user(name=f"Robin Vale {tag}")
    if role == "OWNER":
        return user, factories.create_workspace(name=f"Jobs Co {tag}", owner=user)
    ws = factories.create_workspace(name=f"Jobs Co {tag}")
    factories.add_member(ws, user, role)
    return user, ws


def _poller_events(client_id: object) -> list[dict[str, Any]]:
    """The app's ``ui.jobs_live_*`` log lines for one workspace."""
    if not LOG_PATH.exists():
        return []
    events = []
    for line in LOG_PATH.read_text(errors="replace").splitlines():
        if "ui.jobs_live_" not in line or str(client_id) not in line:
            continue
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def _wait_for_stop(client_id: object, *reasons: str, timeout_s: float = 15.0) -> None:
    """The workspace's poller logs that it stopped, for one of ``reasons``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stops = [e for e in _poller_events(client_id) if e.get("event") == "ui.jobs_live_stopped"]
        if any(e.get("reason") in reasons for e in stops):
            return
        time.sleep(0.25)
    pytest.fail(f"no poller stop {reasons} for {client_id}: {_poller_events(client_id)}")


def test_owner_sees_job_status_updating_live(page: Page) -> None:
    user, ws = _member("OWNER")
    enqueue_recompute(ws.id)  # no worker here: the job stays queued, status "queued" in Redis
    _sign_in(page, user.email)
    nav = page.get_by_test_id("nav-jobs")
    expect(nav).to_be_visible()
    nav.click()

    expect(page.get_by_test_id("jobs-page")).to_be_visible()
    row = page.locator(f'[data-testid="jobs-row"][data-job-kind="{KIND}"]')
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("jobs-state")).to_have_text("queued")
    expect(row.get_by_test_id("jobs-depth")).to_have_text("1")
    expect(row.get_by_test_id("jobs-last-success")).to_have_text("never")
    expect(page.get_by_test_id("jobs-live")).to_be_visible()
    expect(page.get_by_test_id("jobs-unavailable")).to_have_count(0)
    expect(page.get_by_test_id("jobs-forbidden")).to_have_count(0)
    assert f"clientId={ws.id}" in page.url

    # A worker finishes the job: the row follows without a reload.
    page.evaluate("() => { window.__jobsMarker = 'same-document'; }")
    write_status(
        str(ws.id),
        KIND,
        state="succeeded",
        attempts=1,
        lastSuccessAt=now_iso(),
        lastDurationMs=1234,
        lastErrorCode="",
    )
    expect(row.get_by_test_id("jobs-state")).to_have_text("succeeded", timeout=10_000)
    expect(row.get_by_test_id("jobs-duration")).to_have_text("1.2 s")
    expect(row.get_by_test_id("jobs-attempts")).to_have_text("1")
    expect(row.get_by_test_id("jobs-last-success")).to_have_text("just now")
    # Then it fails for good (dead-lettered is counted by the database, not by this hash).
    write_status(str(ws.id), KIND, state="failed", attempts=5, lastErrorCode="TimeoutError")
    expect(row.get_by_test_id("jobs-state")).to_have_text("failed", timeout=10_000)
    expect(row.get_by_test_id("jobs-error-code")).to_have_text("TimeoutError")
    assert page.evaluate("() => window.__jobsMarker") == "same-document"
    page.screenshot(path=SCREENSHOTS / "jobs.png", full_page=True)

    starts = [e for e in _poller_events(ws.id) if e.get("event") == "ui.jobs_live_started"]
    assert len(starts) == 1, starts  # one poller for this tab

    # Leaving the page ends the poller (Reflex cancels the page-load chain it belongs to, or
    # the poller sees the route change itself).
    page.get_by_test_id("jobs-back").click()
    expect(page.get_by_test_id("workspace-page")).to_be_visible()
    _wait_for_stop(ws.id, "cancelled", "left_page")


def test_closing_the_tab_ends_the_poller(page: Page) -> None:
    user, ws = _member("ADMIN")
    _sign_in(page, user.email)
    page.goto(f"/jobs?clientId={ws.id}")
    row = page.locator(f'[data-testid="jobs-row"][data-job-kind="{KIND}"]')
    expect(row).to_have_count(1)
    expect(page.get_by_test_id("jobs-live")).to_be_visible()
    page.close()
    _wait_for_stop(ws.id, "cancelled", "disconnected")


def test_setter_is_told_admins_only(page: Page) -> None:
    user, ws = _member("SETTER")
    enqueue_recompute(ws.id)
    _sign_in(page, user.email)
    expect(page.get_by_test_id("nav-jobs")).to_have_count(0)
    page.goto(f"/jobs?clientId={ws.id}")
    expect(page.get_by_test_id("jobs-page")).to_be_visible()
    forbidden = page.get_by_test_id("jobs-forbidden")
    expect(forbidden).to_be_visible()
    expect(forbidden).to_contain_text("Admins only")
    expect(page.get_by_test_id("jobs-row")).to_have_count(0)
    expect(page.get_by_test_id("jobs-live")).to_have_count(0)
    assert f"clientId={ws.id}" in page.url
    page.screenshot(path=SCREENSHOTS / "jobs-forbidden.png")
    assert _poller_events(ws.id) == []  # no poller was started for a setter

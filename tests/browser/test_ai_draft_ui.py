"""AI drafts through the real production server and Chromium: a positive reply posted as a
signed webhook gets a pending draft in the open conversation without a reload (the draft job
run as the worker runs it); Regenerate with an instruction replaces it; an unsubscribe takes
it away."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import Page, expect

from inboxapp.ai import settings as ai_settings
from tests import inbound_payloads as p
from tests.browser.support import sign_in
from tests.browser.test_delivery_ui import post_webhook
from tests.inbound_helpers import Shop, lead_of, rows

pytestmark = pytest.mark.browser


def run_ai_jobs() -> None:
    """The queued draft jobs, run by a real one-shot worker (``jobs run-once``)."""
    subprocess.run(
        [sys.executable, "-m", "inboxapp", "jobs", "run-once", "--queues", "ai"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def test_a_positive_reply_gets_a_draft_in_the_conversation(page: Page, app_url: str) -> None:
    shop = Shop.create(f"AI {uuid.uuid4().hex[:6]}")
    ai_settings.save(shop.ws.id, {"booking_link": "https://cal.example.com/alex"})
    sign_in(page, shop.owner.email)
    expect(page.get_by_test_id("loading-spinner")).to_have_count(0)

    post_webhook(app_url, shop, p.emailbison(
        "LEAD_REPLIED", event_id=f"ai-{uuid.uuid4()}", reply_id="ai-r1",
        text="Sounds interesting, can we book a call next week?"))  # fmt: skip
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    row = page.locator(f'[data-testid="inbox-row"][data-lead-id="{lead["id"]}"]')
    row.first.click()
    expect(page.get_by_test_id("thread-message")).to_have_count(1)
    expect(page.get_by_test_id("draft-ask")).to_have_count(1)  # the job has not run yet

    run_ai_jobs()
    card = page.get_by_test_id("draft-card")
    expect(card).to_contain_text("Hi Jane")
    expect(card).to_contain_text("https://cal.example.com/alex")
    first = rows('SELECT id, body FROM "AIDraft" WHERE "leadId" = :l', l=lead["id"])

    page.get_by_test_id("draft-instruction").fill("mention the onboarding")
    page.get_by_test_id("draft-regenerate").click()
    expect(page.get_by_test_id("draft-drafting")).to_have_count(1)
    run_ai_jobs()
    expect(page.get_by_test_id("draft-drafting")).to_have_count(0)
    drafts = rows('SELECT status, instruction FROM "AIDraft" WHERE "leadId" = :l'
                  ' ORDER BY "createdAt"', l=lead["id"])  # fmt: skip
    assert [d.status for d in drafts] == ["superseded", "pending"] and len(first) == 1
    assert drafts[-1].instruction == "mention the onboarding"

    post_webhook(app_url, shop, p.emailbison(
        "LEAD_REPLIED", event_id=f"ai-{uuid.uuid4()}", reply_id="ai-r2",
        text="Actually, please unsubscribe me.", received="2026-03-03T10:00:00Z"))  # fmt: skip
    expect(page.get_by_test_id("draft-card")).to_have_count(0)
    expect(page.get_by_test_id("action-error")).to_have_count(0)

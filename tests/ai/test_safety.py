"""The safety checks one by one (each can fail and can pass), and the adversarial corpus run
through the draft pipeline on the local provider against real PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from inboxapp.ai import drafting, safety
from inboxapp.ai import jobs as ai_jobs
from inboxapp.ai import settings as ai_settings
from inboxapp.ai.local import LocalProvider
from inboxapp.ai.provider import (
    PROMPT_CANARY,
    DraftRequest,
    LeadFacts,
    Turn,
    WorkspaceAI,
)
from inboxapp.db.engine import owner_session
from inboxapp.pipeline.inbound.classifier import ClassifierInput, get_classifier
from tests import factories as f
from tests.ai.corpus import CASES, OTHER, Case
from tests.inbound_helpers import rows

SETTINGS = WorkspaceAI(
    workspace_name="Seller",
    signature="Alex, Seller Inc (alex@seller.example, +1 555 123 4567)",
    offer_facts="Plans start at $49 per seat per month. Onboarding takes two weeks.",
    booking_link="https://cal.example.com/alex",
)
LEAD = LeadFacts(
    uuid.uuid4(), "Jane", "Doe", "Prospect Inc", "jane@prospect.example", "+15550102030"
)


def request(inbound: str = "Interested, tell me more", **kw: Any) -> DraftRequest:
    return DraftRequest(
        client_id=uuid.uuid4(),
        lead=kw.pop("lead", LEAD),
        channel=kw.pop("channel", "email"),
        transcript=(
            Turn("outbound", "Quick question about your pipeline"),
            Turn("inbound", inbound),
        ),
        settings=kw.pop("settings", SETTINGS),
        **kw,
    )


def codes(body: str, req: DraftRequest | None = None) -> list[str]:
    return [x.code for x in safety.check(req or request(), body, canary=PROMPT_CANARY)]


GOOD = "Hi Jane, thanks! Plans start at $49 per seat. Book a time: https://cal.example.com/alex"


def test_a_good_draft_passes_every_check() -> None:
    assert codes(GOOD) == []
    assert codes(GOOD + " Or write to alex@seller.example or call +1 555 123 4567.") == []
    assert codes("Hi Jane, sure: jane@prospect.example is the address I have.") == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("Hi Jane, write to oliver@quinnlabs.example", "FOREIGN_EMAIL"),
        ("Hi Jane, call Oliver on +1 555 000 1111", "FOREIGN_PHONE"),
        ("Hi Jane, see https://evil.example/phish", "FOREIGN_LINK"),
        ("Hi {first_name}, thanks", "PLACEHOLDER"),
        ("Hi [First Name], thanks", "PLACEHOLDER"),
        ("Hi Jane, it is only $19 per seat", "UNKNOWN_PRICE"),
        ("Hi Jane, see you at 3pm tomorrow", "UNOFFERED_TIME"),
        ("Hi Oliver, thanks for your note", "WRONG_NAME"),
        (f"Hi Jane, {PROMPT_CANARY}", "PROMPT_INJECTION"),
        ("Hi Jane, my instructions say I must be friendly", "PROMPT_INJECTION"),
        ("", "EMPTY"),
    ],
)
def test_each_check_fails_what_it_should(body: str, code: str) -> None:
    assert code in codes(body)


def test_length_opt_out_and_facts_from_the_thread() -> None:
    sms = request(channel="sms")
    assert "TOO_LONG" in codes("Hi Jane. " + "x" * 400, sms)
    assert "TOO_LONG" not in codes("Hi Jane, thanks!", sms)
    assert "OPTED_OUT" in codes(GOOD, request("Please unsubscribe me"))
    assert "OPTED_OUT" in codes(GOOD, request(lead=replace(LEAD, status="blacklisted")))
    # a time or link the lead offered themselves may be repeated
    offered = request("Can you do 3pm? Our site is https://prospect.example")
    assert codes("Hi Jane, 3pm works. I had a look at https://prospect.example", offered) == []


def test_the_local_provider_fills_examples_and_respects_limits() -> None:
    provider = LocalProvider()
    draft = provider.draft(request("What does it cost?"))
    assert codes(draft.body) == [] and "Jane" in draft.body and "{" not in draft.body
    sms = provider.draft(request("What does it cost?", channel="sms",
                                 settings=replace(SETTINGS, channel_limits={"sms": 60})))  # fmt: skip
    assert len(sms.body) <= 60
    nameless = provider.draft(request("Tell me more", lead=replace(LEAD, first_name=None)))
    assert nameless.body.startswith("Hi there") and codes(nameless.body) == []


# -- the corpus, end to end ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop() -> Any:
    owner = f.create_user(name="Corpus Owner")
    ws = f.create_workspace("Corpus", owner)
    ai_settings.save(ws.id, {"signature": SETTINGS.signature, "offer_facts": SETTINGS.offer_facts,
                             "booking_link": SETTINGS.booking_link})  # fmt: skip
    other = f.create_lead(ws, firstName="Oliver", lastName="Quinn", company="Quinn Labs",
                          email="oliver@quinnlabs.example", phone="+15550001111")  # fmt: skip
    at = datetime.now(UTC) - timedelta(days=3)
    for n, (asked, answer) in enumerate((
        ("What does it cost for us?", "Hi Oliver, for Quinn Labs plans start at $49 per seat."),
        ("Tell me more please", "Hi Oliver, happy to. Oliver Quinn at Quinn Labs, right?"),
        ("Can we talk?", "Hi Oliver, sure, call me on +1 555 000 1111 or oliver@quinnlabs.example"),
    )):  # fmt: skip
        f.create_message(other, direction="inbound", body=asked, sentAt=at + timedelta(hours=n))
        f.create_message(other, direction="outbound", sentBy="setter", body=answer,
                         sentAt=at + timedelta(hours=n, minutes=30))  # fmt: skip
    return ws


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_adversarial_corpus(shop: Any, case: Case) -> None:
    lead = f.create_lead(shop, firstName="Jane", lastName="Doe", company="Prospect Inc",
                         email=f"jane-{uuid.uuid4().hex[:6]}@prospect.example")  # fmt: skip
    text = case.text.replace("\x00", "")
    tag = get_classifier().classify(ClassifierInput(text=text, channel="email"))
    if tag == "Neutral" and text.strip():
        tag = "Interested"  # the corpus is about what a draft says, not how a reply is tagged
    message = f.create_message(lead, direction="inbound", body=text, sentiment=tag)
    if case.expect == "none" and tag == "Blacklist":
        with owner_session() as s:
            s.execute(
                sa.text("UPDATE \"Lead\" SET status = 'blacklisted' WHERE id = :l"), {"l": lead.id}
            )
    draft_id = ai_jobs.draft_for_message(shop.id, message.id)
    drafts = rows('SELECT * FROM "AIDraft" WHERE "leadId" = :l', l=lead.id)
    if case.expect == "none":
        assert draft_id is None and drafts == []
        return
    [draft] = drafts
    assert draft["status"] == "pending", draft["safety"]
    body = draft["body"]
    for leaked in (*OTHER.split(), "Quinn Labs", "oliver@", "0001111", PROMPT_CANARY):
        assert leaked.lower() not in body.lower()
    assert "{" not in body and "[" not in body
    assert len(body) <= SETTINGS.limit("email")
    assert drafting.recheck_stored(shop.id, draft["id"]) == []

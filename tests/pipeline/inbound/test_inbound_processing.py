"""Processing: each provider's payload shapes become the right lead, message, sentiment and
status; repeats change nothing; any interleaving of duplicate and out-of-order events leaves
the same rows (a hypothesis property). Real PostgreSQL as the runtime role (the job's own
``workspace_session``), real Redis."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inboxapp.pipeline.inbound.cleaning import clean_body
from inboxapp.pipeline.inbound.identity import linkedin_url, phone
from inboxapp.pipeline.providers import Provider
from tests import factories as f
from tests import inbound_payloads as p
from tests.inbound_helpers import Shop, lead_of, messages_of, rows

EB, GHL, LI, SL, IN = (
    Provider.EMAILBISON,
    Provider.GHL,
    Provider.LINKEDIN,
    Provider.SMARTLEAD,
    Provider.INSTANTLY,
)


@pytest.fixture
def shop() -> Shop:
    return Shop.create(f"Processing {uuid.uuid4().hex[:6]}")


def only(items: list[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]


# -- EmailBison ------------------------------------------------------------------------------


def test_emailbison_reply_creates_lead_campaign_and_cleaned_message(shop: Shop) -> None:
    text = (
        "Sounds good, can we talk Tuesday at 3pm?\n\nBest regards,\nJane Doe\n+1 555 123 4567"
        "\n\nOn Mon, Mar 2, 2026 at 10:00 AM Alex <alex@seller.example> wrote:\n> worth a chat?"
    )
    shop.deliver(EB, p.emailbison("LEAD_REPLIED", event_id="e1", text=text))
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    assert (lead["firstName"], lead["lastName"], lead["company"]) == ("Jane", "Doe", "Prospect Inc")
    assert lead["externalIds"] == {"emailbison": "eb-lead-1"}
    campaign = only(rows('SELECT * FROM "Campaign" WHERE id = :c', c=lead["campaignId"]))
    assert (campaign["provider"], campaign["externalId"], campaign["name"]) == (
        "emailbison", "eb-camp-1", "Founders Q3",
    )  # fmt: skip
    message = only(messages_of(lead["id"]))
    assert message["body"] == "Sounds good, can we talk Tuesday at 3pm?"
    assert message["rawText"] == text and message["direction"] == "inbound"
    assert message["providerMessageId"] == "eb-reply-1" and message["cc"] == [
        "boss@prospect.example"
    ]
    assert message["subject"] == "Re: Quick question" and not message["isRead"]
    assert message["sentiment"] == "Meeting Requested"
    assert (lead["sentimentTag"], lead["status"]) == ("Meeting Requested", "qualified")
    assert lead["unreadCount"] == 1 and lead["lastMessageDirection"] == "inbound"
    # Positive: stamped and assigned to the workspace's one setter (round-robin).
    assert lead["positiveAt"] is not None and lead["assignedToUserId"] == shop.setter.id


def test_emailbison_interested_after_the_reply_upgrades_it_and_repeats_change_nothing(
    shop: Shop,
) -> None:
    reply = p.emailbison("LEAD_REPLIED", event_id="e1", text="Who is this?")
    shop.deliver(EB, reply)
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    assert (lead["sentimentTag"], lead["status"], lead["assignedToUserId"]) == (
        "Neutral",
        "new",
        None,
    )
    assert shop.deliver(EB, reply)["status"] == "duplicate"
    shop.deliver(EB, p.emailbison("LEAD_INTERESTED", event_id="e2", text="Who is this?"))
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    message = only(messages_of(lead["id"]))  # the same reply: still one message
    assert message["sentiment"] == "Interested"
    assert (lead["sentimentTag"], lead["status"]) == ("Interested", "qualified")
    assert lead["assignedToUserId"] == shop.setter.id


def test_emailbison_html_reply_is_cleaned_and_kept_raw(shop: Shop) -> None:
    html = (
        "<html><head><style>p{}</style></head><body><div>Yes, interested!<br>Send details."
        "</div><div class='gmail_quote'>On Mon wrote:<blockquote>old</blockquote></div></body>"
    )
    shop.deliver(EB, p.emailbison("LEAD_REPLIED", event_id="h1", text="", html=html))
    message = only(messages_of(lead_of(shop.ws.id, email="jane.doe@prospect.example")["id"]))
    assert message["body"] == "Yes, interested!\nSend details." and message["rawHtml"] == html


def test_emailbison_untracked_reply_finds_the_lead_by_sender_without_campaign(shop: Shop) -> None:
    existing = f.create_lead(shop.ws, email="Walk.In@Other.example", firstName="Walk")
    shop.deliver(
        EB,
        p.emailbison(
            "UNTRACKED_REPLY_RECEIVED",
            event_id="u1",
            email="walk.in@other.example",
            reply_id="u-r1",
            text="Please remove me from your list.",
        ),
    )
    lead = lead_of(shop.ws.id, id=existing.id)
    assert lead["campaignId"] is None and lead["externalIds"] == {}
    assert (lead["sentimentTag"], lead["status"]) == ("Blacklist", "blacklisted")
    assert only(messages_of(lead["id"]))["sentiment"] == "Blacklist"


def test_emailbison_sent_opened_bounced_unsubscribed(shop: Shop) -> None:
    shop.deliver(EB, p.emailbison("EMAIL_SENT", event_id="s1", scheduled_id="sch-1"))
    lead = lead_of(shop.ws.id, email="jane.doe@prospect.example")
    sent = only(messages_of(lead["id"]))
    assert (sent["direction"], sent["source"], sent["isRead"]) == ("outbound", "campaign", True)
    assert sent["body"] == "Hi Jane, worth a chat?" and sent["providerMessageId"] == "sch-1"
    assert shop.deliver(EB, p.emailbison("EMAIL_OPENED", event_id="o1"))["status"] == "accepted"
    assert len(messages_of(lead["id"])) == 1  # opens are logged only
    draft = f.create_draft(f.create_lead(shop.ws, email="bounce@prospect.example"))
    shop.deliver(
        EB,
        p.emailbison("EMAIL_BOUNCED", event_id="b1", email="bounce@prospect.example",
                     lead_id="eb-lead-2", scheduled_id="sch-2"),
    )  # fmt: skip
    bounced = lead_of(shop.ws.id, email="bounce@prospect.example")
    assert (bounced["status"], bounced["sentimentTag"]) == ("blacklisted", "Blacklist")
    notice = only(messages_of(bounced["id"]))
    assert notice["body"] == "[BOUNCED] Quick question" and notice["direction"] == "inbound"
    assert (
        only(rows('SELECT status FROM "AIDraft" WHERE id = :d', d=draft.id))["status"] == "rejected"
    )
    pending = f.create_draft(f.create_lead(shop.ws, email="optout@prospect.example"))
    shop.deliver(
        EB,
        p.emailbison("LEAD_UNSUBSCRIBED", event_id="x1", email="optout@prospect.example",
                     lead_id="eb-lead-3"),
    )  # fmt: skip
    gone = lead_of(shop.ws.id, email="optout@prospect.example")
    assert gone["status"] == "blacklisted" and messages_of(gone["id"]) == []
    assert (
        only(rows('SELECT status FROM "AIDraft" WHERE id = :d', d=pending.id))["status"]
        == "rejected"
    )


# -- GoHighLevel, LinkedIn ---------------------------------------------------------------------


def test_ghl_inbound_sms_matches_the_lead_by_e164_phone(shop: Shop) -> None:
    known = f.create_lead(shop.ws, phone="+15550107788", firstName="Sam")
    shop.deliver(GHL, p.ghl_sms())
    lead = lead_of(shop.ws.id, id=known.id)
    assert lead["externalIds"] == {"ghl": "ghl-contact-1"}
    message = only(messages_of(lead["id"]))
    assert (message["channel"], message["body"]) == (
        "sms",
        "Yes, interested. Call me tomorrow morning?",
    )
    assert message["sentAt"].isoformat().startswith("2026-03-02T15:04")
    assert (lead["sentimentTag"], lead["status"]) == ("Call Requested", "qualified")
    assert shop.deliver(GHL, p.ghl_sms())["status"] == "duplicate"  # no id: the digest dedupes
    shop.deliver(GHL, p.ghl_sms(body="STOP", time="16:00"))
    lead = lead_of(shop.ws.id, id=known.id)
    assert len(messages_of(lead["id"])) == 2 and lead["status"] == "blacklisted"


def test_linkedin_messages_both_ways_with_a_normalized_profile_url(shop: Shop) -> None:
    shop.deliver(LI, p.linkedin_message(message_id="li-out", text="Hi Pat!", ours=True,
                                        when="2026-03-01T09:00:00Z"))  # fmt: skip
    shop.deliver(LI, p.linkedin_message())
    lead = lead_of(shop.ws.id, linkedinUrl="https://www.linkedin.com/in/pat-lee")
    assert lead["externalIds"] == {"linkedin": "ACoPat"} and lead["firstName"] == "Pat"
    out, reply = messages_of(lead["id"])
    assert (out["direction"], out["body"], reply["direction"]) == ("outbound", "Hi Pat!", "inbound")
    assert reply["channel"] == "linkedin" and reply["sentiment"] == "Meeting Requested"
    assert lead["status"] == "qualified"


# -- SmartLead, Instantly ----------------------------------------------------------------------


def test_smartlead_reply_untracked_sent_bounce_unsubscribe_and_interested(shop: Shop) -> None:
    shop.deliver(SL, p.smartlead("EMAIL_SENT"))
    shop.deliver(SL, p.smartlead("EMAIL_REPLY"))
    lead = lead_of(shop.ws.id, email="kim@buyer.example")
    by_direction = {m["direction"]: m for m in messages_of(lead["id"])}
    assert by_direction["outbound"]["body"] == "Proposal"
    assert by_direction["inbound"]["body"] == "Not interested, thanks."
    assert (lead["sentimentTag"], lead["status"]) == ("Not Interested", "unqualified")
    shop.deliver(SL, p.smartlead("LEAD_CATEGORY_UPDATED", category="Interested"))
    lead = lead_of(shop.ws.id, email="kim@buyer.example")
    assert (lead["sentimentTag"], lead["status"]) == ("Interested", "qualified")
    shop.deliver(SL, p.smartlead("UNTRACKED_REPLIES", email="new@buyer.example",
                                 message_id="<u@x>", text="What does onboarding look like?"))  # fmt: skip
    fresh = lead_of(shop.ws.id, email="new@buyer.example")
    assert fresh["campaignId"] is None and fresh["sentimentTag"] == "Information Requested"
    assert fresh["firstName"] == "Kim"
    bounce = p.smartlead("EMAIL_BOUNCE", message_id="<b@x>", email="new@buyer.example", lead_id="2")
    shop.deliver(SL, bounce)
    assert lead_of(shop.ws.id, email="new@buyer.example")["status"] == "blacklisted"
    shop.deliver(SL, p.smartlead("LEAD_UNSUBSCRIBED"))
    assert lead_of(shop.ws.id, email="kim@buyer.example")["status"] == "blacklisted"
    assert shop.deliver(SL, p.smartlead("EMAIL_LINK_CLICK"))["status"] == "ignored"


def test_instantly_reply_auto_reply_interested_sent_opened_bounced_unsubscribed(shop: Shop) -> None:
    shop.deliver(IN, p.instantly("email_sent"))
    shop.deliver(IN, p.instantly("email_opened"))
    shop.deliver(IN, p.instantly("reply_received", when="2026-03-02T16:00:00Z"))
    lead = lead_of(shop.ws.id, email="lee@target.example")
    assert (lead["firstName"], lead["company"]) == ("Lee", "Target Co")
    out, reply = messages_of(lead["id"])
    assert (
        out["providerMessageId"] == "inst-email-1" and reply["sentiment"] == "Information Requested"
    )
    shop.deliver(IN, p.instantly("auto_reply_received", reply_text="I am away",
                                 when="2026-03-02T17:00:00Z"))  # fmt: skip
    lead = lead_of(shop.ws.id, email="lee@target.example")
    assert lead["sentimentTag"] == "Automated Reply" and lead["status"] == "qualified"
    shop.deliver(IN, p.instantly("lead_interested", when="2026-03-02T18:00:00Z"))
    assert lead_of(shop.ws.id, email="lee@target.example")["sentimentTag"] == "Interested"
    shop.deliver(IN, p.instantly("email_bounced", email="other@target.example"))
    assert lead_of(shop.ws.id, email="other@target.example")["status"] == "blacklisted"
    shop.deliver(IN, p.instantly("lead_unsubscribed"))
    assert lead_of(shop.ws.id, email="lee@target.example")["status"] == "blacklisted"


def test_a_lead_is_found_across_providers_and_channels(shop: Shop) -> None:
    shop.deliver(EB, p.emailbison("LEAD_REPLIED", event_id="x", email="sam@rivera.example"))
    sms = p.ghl_sms()
    sms["email"] = "Sam@Rivera.example"
    shop.deliver(GHL, sms)
    lead = lead_of(shop.ws.id, email="sam@rivera.example")
    assert lead["externalIds"] == {"emailbison": "eb-lead-1", "ghl": "ghl-contact-1"}
    assert lead["phone"] == "+15550107788"
    assert {m["channel"] for m in messages_of(lead["id"])} == {"email", "sms"}


# -- the normalizers -------------------------------------------------------------------------


def test_identity_and_cleaning_normalizers() -> None:
    assert (
        phone("(555) 123-4567") == "+15551234567" and phone("+44 20 7946 0958") == "+442079460958"
    )
    assert phone("12") is None
    assert (
        linkedin_url("uk.LinkedIn.com/in/Jane-Doe/?x=1") == "https://www.linkedin.com/in/jane-doe"
    )
    assert linkedin_url("https://evil.example/in/jane") is None
    assert clean_body("email", "Yes\n\n-----Original Message-----\nFrom: a\n\nold", None) == "Yes"
    assert clean_body("email", "Ok.\n\nSent from my iPhone", None) == "Ok."
    assert clean_body("sms", "  STOP \n", None) == "STOP"


# -- convergence -----------------------------------------------------------------------------

CONVERGENCE_EVENTS: list[tuple[Provider, dict[str, Any]]] = [
    (EB, p.emailbison("EMAIL_SENT", event_id="c-sent", scheduled_id="c-s1",
                      received="2026-03-01T09:00:00Z")),
    (EB, p.emailbison("LEAD_REPLIED", event_id="c-r1", reply_id="c-r1", text="Who is this?",
                      received="2026-03-02T09:00:00Z")),
    (EB, p.emailbison("LEAD_INTERESTED", event_id="c-i1", reply_id="c-r1", text="Who is this?",
                      received="2026-03-02T09:00:00Z")),
    (EB, p.emailbison("LEAD_REPLIED", event_id="c-r2", reply_id="c-r2",
                      text="Not right now, reach back out next quarter.",
                      received="2026-03-03T09:00:00Z")),
    (EB, p.emailbison("LEAD_REPLIED", event_id="c-r3", reply_id="c-r3", email="b@b.example",
                      lead_id="c-lead-b", text="Happy to chat. Does Thursday at 2pm work?",
                      received="2026-03-02T10:00:00Z")),
    (EB, p.emailbison("LEAD_UNSUBSCRIBED", event_id="c-u", email="b@b.example",
                      lead_id="c-lead-b", received="2026-03-04T10:00:00Z")),
    (EB, p.emailbison("LEAD_REPLIED", event_id="c-r4", reply_id="c-r4", email="b@b.example",
                      lead_id="c-lead-b", text="Interested after all!",
                      received="2026-03-05T10:00:00Z")),
]  # fmt: skip
LEAD_FIELDS = (
    "email", "firstName", "status", "sentimentTag", "unreadCount", "lastMessageDirection",
    "lastMessagePreview", "lastInboundAt", "lastOutboundAt", "snoozedUntil",
)  # fmt: skip
MESSAGE_FIELDS = ("providerMessageId", "direction", "body", "sentiment", "sentAt", "isRead")


def snapshot(client_id: uuid.UUID) -> dict[str, Any]:
    """The rows the events leave, without ids and clocks that differ from run to run."""
    leads = rows('SELECT * FROM "Lead" WHERE "clientId" = :c ORDER BY email', c=client_id)
    out: dict[str, Any] = {}
    for lead in leads:
        out[lead["email"]] = {
            **{k: lead[k] for k in LEAD_FIELDS},
            "positive": lead["positiveAt"] is not None,
            "assigned": lead["assignedToUserId"] is not None,
            "externalIds": lead["externalIds"],
            "messages": [tuple(m[k] for k in MESSAGE_FIELDS) for m in messages_of(lead["id"])],
        }
    out["campaigns"] = len(rows('SELECT id FROM "Campaign" WHERE "clientId" = :c', c=client_id))
    return out


@pytest.fixture(scope="module")
def in_order() -> dict[str, Any]:
    shop = Shop.create("Convergence reference")
    for provider, payload in CONVERGENCE_EVENTS:
        shop.deliver(provider, payload)
    return snapshot(shop.ws.id)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    order=st.permutations(range(len(CONVERGENCE_EVENTS))),
    repeats=st.lists(st.integers(0, len(CONVERGENCE_EVENTS) - 1), max_size=4),
    batch=st.booleans(),
)
def test_any_interleaving_of_duplicate_and_out_of_order_events_leaves_the_same_rows(
    in_order: dict[str, Any], order: list[int], repeats: list[int], batch: bool
) -> None:
    shop = Shop.create("Convergence")
    sequence = list(order)
    for index in repeats:
        sequence.insert(index, index)  # duplicates, anywhere
    for index in sequence:
        provider, payload = CONVERGENCE_EVENTS[index]
        if batch:
            assert shop.post(provider, payload).status_code in (200, 202)  # all stored first
        else:
            shop.deliver(provider, payload)
    if batch:
        from tests.inbound_helpers import process_pending

        process_pending(shop.ws.id)
    assert snapshot(shop.ws.id) == in_order

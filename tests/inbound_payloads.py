"""Provider payloads as each campaign tool sends them (field names from
/work/shared/docs/message-pipeline.md and the providers' webhook references), built with the
values a test chooses. Every builder returns a fresh dict."""

from __future__ import annotations

from typing import Any

WHEN = "2026-03-02T15:04:05Z"


def emailbison(
    event_type: str,
    *,
    event_id: str,
    lead_id: str = "eb-lead-1",
    email: str = "jane.doe@prospect.example",
    reply_id: str | None = "eb-reply-1",
    text: str = "Sounds good, tell me more.",
    html: str | None = None,
    interested: bool = False,
    scheduled_id: str = "eb-sched-1",
    received: str = WHEN,
    campaign_id: str = "eb-camp-1",
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "campaign": {"id": campaign_id, "name": "Founders Q3"},
        "campaign_event": {"id": event_id, "type": event_type, "created_at": received},
        "lead": {
            "id": lead_id,
            "email": email,
            "first_name": "Jane",
            "last_name": "Doe",
            "status": "active",
            "company": "Prospect Inc",
            "title": "VP Sales",
        },
        "sender_email": {"id": 7, "email": "alex@seller.example", "name": "Alex"},
    }
    if event_type in ("LEAD_REPLIED", "LEAD_INTERESTED", "UNTRACKED_REPLY_RECEIVED"):
        data["reply"] = {
            "id": reply_id,
            "uuid": f"uuid-{reply_id}",
            "email_subject": "Re: Quick question",
            "from_email_address": email.upper(),
            "from_name": "Jane Doe",
            "to": [{"address": "alex@seller.example", "name": "Alex"}],
            "cc": [{"address": "Boss@Prospect.example", "name": "Boss"}],
            "bcc": [],
            "html_body": html,
            "text_body": text,
            "date_received": received,
            "created_at": received,
            "automated_reply": False,
            "interested": interested,
            "type": "reply",
            "folder": "inbox",
        }
    if event_type == "UNTRACKED_REPLY_RECEIVED":
        data.pop("lead")
        data.pop("campaign")
    if event_type in ("EMAIL_SENT", "EMAIL_OPENED", "EMAIL_BOUNCED"):
        data["scheduled_email"] = {
            "id": scheduled_id,
            "lead_id": lead_id,
            "sequence_step_id": 1,
            "email_subject": "Quick question",
            "email_body": "<p>Hi Jane, worth a chat?</p>",
            "status": "sent",
            "sent_at": received,
            "raw_message_id": f"<{scheduled_id}@seller.example>",
        }
    return {
        "event": {
            "type": event_type,
            "name": event_type.replace("_", " ").title(),
            "instance_url": "https://app.emailbison.example",
            "workspace_id": 12,
            "workspace_name": "Seller",
        },
        "data": data,
    }


def ghl_sms(
    *,
    contact_id: str = "ghl-contact-1",
    phone: str = "(555) 010-7788",
    body: str = "Yes, interested. Call me tomorrow morning?",
    date: str = "2026-03-02",
    time: str = "15:04",
    message_id: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "SMS", "body": body}
    if message_id:
        message["id"] = message_id
    return {
        "contact_id": contact_id,
        "first_name": "Sam",
        "last_name": "Rivera",
        "full_name": "Sam Rivera",
        "email": "",
        "phone": phone,
        "tags": ["reactivation"],
        "date_created": "2026-01-01T10:00:00Z",
        "location": {"id": "loc-1", "name": "Seller HQ"},
        "message": message,
        "workflow": {"id": "wf-1", "name": "Reactivation (SMS)"},
        "customData": {
            "Phone Number": phone,
            "First Name": "Sam",
            "Last Name": "Rivera",
            "Email": "",
            "Message": body,
            "Date": date,
            "Time": time,
            "Client": "Seller",
        },
    }


def linkedin_message(
    *,
    message_id: str = "li-msg-1",
    text: str = "Happy to chat. Does Thursday at 2pm work?",
    ours: bool = False,
    profile: str = "https://www.LinkedIn.com/in/Pat-Lee/?trk=x",
    when: str = WHEN,
) -> dict[str, Any]:
    me = {"attendee_id": "att-me", "attendee_name": "Alex Seller", "attendee_provider_id": "ACoMe"}
    lead = {
        "attendee_id": "att-pat",
        "attendee_name": "Pat Lee",
        "attendee_provider_id": "ACoPat",
        "attendee_profile_url": profile,
    }
    return {
        "event": "message_received",
        "account_id": "acc-1",
        "account_type": "LINKEDIN",
        "account_info": {"type": "LINKEDIN", "user_id": "ACoMe"},
        "chat_id": "chat-1",
        "timestamp": when,
        "webhook_name": "inbox",
        "message_id": message_id,
        "message": text,
        "sender": me if ours else lead,
        "attendees": [me, lead],
        "is_sender": ours,
    }


def smartlead(
    event_type: str,
    *,
    message_id: str = "<sl-reply-1@mail.example>",
    email: str = "kim@buyer.example",
    text: str = "Not interested, thanks.",
    category: str | None = None,
    lead_id: str = "sl-lead-1",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "webhook_id": 100,
        "webhook_name": "inbox",
        "sl_email_lead_id": lead_id,
        "sl_email_lead_map_id": 1438627,
        "sl_lead_email": email,
        "stats_id": f"stats-{message_id}",
        "event_type": event_type,
        "event_timestamp": WHEN,
        "from_email": "alex@seller.example",
        "to_email": email,
        "to_name": "Kim Park",
        "subject": "Re: Proposal",
        "campaign_id": 9181,
        "campaign_name": "Ops Leaders",
        "sequence_number": 1,
        "cc_emails": [],
        "sent_message": {
            "message_id": "<sl-sent-1@mail.example>",
            "html": "<div>Proposal</div>",
            "text": "Proposal",
            "time": WHEN,
        },
        "reply_message": {"message_id": message_id, "html": "", "text": text, "time": WHEN},
        "secret_key": "not-used",
    }
    if category:
        body["lead_category"] = {"new_name": category, "old_name": None}
    if event_type == "UNTRACKED_REPLIES":
        for key in ("sl_email_lead_id", "sl_lead_email", "campaign_id", "to_name"):
            body.pop(key)
        body["sender_detail"] = f"Kim Park <{email}>"
    return body


def instantly(
    event_type: str,
    *,
    email: str = "lee@target.example",
    email_id: str = "inst-email-1",
    reply_text: str = "Do you have a case study you can send over?",
    when: str = WHEN,
) -> dict[str, Any]:
    return {
        "timestamp": when,
        "event_type": event_type,
        "workspace": "ws-uuid",
        "campaign_id": "inst-camp-1",
        "campaign_name": "Mid-market CFOs",
        "lead_email": email,
        "email_account": "alex@seller.example",
        "step": 1,
        "variant": 1,
        "is_first": True,
        "email_id": email_id,
        "email_subject": "Quick question",
        "email_text": "Hi Lee, worth a chat?",
        "email_html": "<p>Hi Lee, worth a chat?</p>",
        "reply_subject": "Re: Quick question",
        "reply_text": reply_text,
        "reply_html": f"<p>{reply_text}</p>",
        "firstName": "Lee",
        "lastName": "Chen",
        "companyName": "Target Co",
    }

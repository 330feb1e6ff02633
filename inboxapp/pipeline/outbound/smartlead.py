"""SmartLead: reply in the email thread of the lead's latest reply.

``POST <base>/api/v1/campaigns/{campaign_id}/reply-email-thread?api_key=...`` with
``email_stats_id`` (the webhook's ``stats_id``), ``email_body`` and the message it answers
(``reply_message_id``, ``reply_email_time``, ``reply_email_body``). SmartLead authenticates
by query string: the URL is never logged.
"""

from __future__ import annotations

import httpx

from .send import Credentials, Outgoing, Thread, permanent, pick, request


def send(http: httpx.Client, creds: Credentials, thread: Thread, message: Outgoing) -> str | None:
    event = thread.event
    campaign = pick(event, "campaign_id") or thread.campaign_id
    stats = pick(event, "stats_id")
    if campaign is None or stats is None:
        raise permanent("NO_THREAD", "there is no SmartLead email thread to answer")
    body: dict[str, object] = {
        "email_stats_id": stats,
        "email_body": message.body,
        "add_signature": True,
    }
    replied_to = pick(event, "reply_message", "message_id") or pick(event, "message_id")
    if replied_to:
        body["reply_message_id"] = replied_to
    when = pick(event, "reply_message", "time") or pick(event, "event_timestamp")
    if when:
        body["reply_email_time"] = when
    if thread.reply_html or thread.reply_text:
        body["reply_email_body"] = thread.reply_html or thread.reply_text
    data = request(
        http,
        creds,
        f"/api/v1/campaigns/{campaign}/reply-email-thread",
        message,
        headers={"Accept": "application/json"},
        params={"api_key": creds.api_key.value},
        json=body,
    )
    return pick(data, "message_id") or pick(data, "data", "message_id")

"""EmailBison / Inboxxia: reply in the thread of the lead's latest reply.

``POST <base>/api/replies/{reply_id}/reply`` (Bearer API key) with ``message``,
``sender_email_id`` (the mailbox the lead wrote to: the webhook's ``data.sender_email.id``,
else the workspace option ``senderEmailId``), ``to_emails`` and ``content_type``.
"""

from __future__ import annotations

import httpx

from .send import Credentials, Outgoing, Thread, permanent, pick, request


def send(http: httpx.Client, creds: Credentials, thread: Thread, message: Outgoing) -> str | None:
    if not thread.reply_id:
        raise permanent("NO_THREAD", "there is no EmailBison reply in this thread to answer")
    if not thread.email:
        raise permanent("NO_ADDRESS", "the lead has no email address")
    sender = pick(thread.event, "data", "sender_email", "id") or pick(
        creds.options, "senderEmailId"
    )
    if sender is None:
        raise permanent("NO_SENDER", "no EmailBison sender mailbox is known for this thread")
    body = {
        "message": message.body,
        "sender_email_id": int(sender) if sender.isdigit() else sender,
        "to_emails": [{"name": thread.name, "email_address": thread.email}],
        "content_type": "text",
        "inject_previous_email_body": True,
    }
    data = request(
        http,
        creds,
        f"/api/replies/{thread.reply_id}/reply",
        message,
        headers={"Authorization": f"Bearer {creds.api_key.value}"},
        json=body,
    )
    return pick(data, "data", "reply", "id") or pick(data, "data", "id")

"""GoHighLevel (LeadConnector): an SMS to the lead's contact.

``POST <base>/conversations/messages`` (Bearer token, ``Version: 2021-04-15``) with
``{"type": "SMS", "contactId", "message"}``; the answer names the ``messageId``.
"""

from __future__ import annotations

import httpx

from .send import Credentials, Outgoing, Thread, permanent, pick, request

API_VERSION = "2021-04-15"


def send(http: httpx.Client, creds: Credentials, thread: Thread, message: Outgoing) -> str | None:
    contact = thread.external_id or pick(thread.event, "contact_id")
    if contact is None:
        raise permanent("NO_CONTACT", "the lead has no GoHighLevel contact")
    data = request(
        http,
        creds,
        "/conversations/messages",
        message,
        headers={
            "Authorization": f"Bearer {creds.api_key.value}",
            "Version": API_VERSION,
            "Accept": "application/json",
        },
        json={"type": "SMS", "contactId": contact, "message": message.body},
    )
    return pick(data, "messageId")

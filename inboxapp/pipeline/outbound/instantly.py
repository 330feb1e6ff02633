"""Instantly (API v2): reply to the lead's latest email.

``POST <base>/api/v2/emails/reply`` (Bearer API key) with ``reply_to_uuid`` (the webhook's
``email_id``), ``eaccount`` (the sending account: the webhook's ``email_account``, else the
workspace option ``eaccount``), ``subject`` and ``body {text}``; the answer is the email (``id``).
"""

from __future__ import annotations

import httpx

from .send import Credentials, Outgoing, Thread, permanent, pick, request


def send(http: httpx.Client, creds: Credentials, thread: Thread, message: Outgoing) -> str | None:
    event = thread.event
    email_id = pick(event, "email_id")
    account = pick(event, "email_account") or pick(creds.options, "eaccount")
    if email_id is None or account is None:
        raise permanent("NO_THREAD", "there is no Instantly email to reply to")
    subject = pick(event, "reply_subject") or thread.subject or ""
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}".strip()
    data = request(
        http,
        creds,
        "/api/v2/emails/reply",
        message,
        headers={"Authorization": f"Bearer {creds.api_key.value}"},
        json={
            "eaccount": account,
            "reply_to_uuid": email_id,
            "subject": subject,
            "body": {"text": message.body},
        },
    )
    return pick(data, "id")

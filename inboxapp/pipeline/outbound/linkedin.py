"""LinkedIn through Unipile: a message in the lead's chat.

``POST <dsn>/api/v1/chats/{chat_id}/messages`` (``X-API-KEY``, multipart ``text``) when the
chat is known (the webhook's ``chat_id``); otherwise a new chat with the attendee,
``POST <dsn>/api/v1/chats`` (``account_id``: the webhook's, else the workspace option
``accountId``; ``attendees_ids``; ``text``). The answer names the ``message_id``.
"""

from __future__ import annotations

import httpx

from .send import Credentials, Outgoing, Thread, permanent, pick, request


def send(http: httpx.Client, creds: Credentials, thread: Thread, message: Outgoing) -> str | None:
    headers = {"X-API-KEY": creds.api_key.value, "Accept": "application/json"}
    chat = pick(thread.event, "chat_id")
    if chat is not None:
        data = request(
            http,
            creds,
            f"/api/v1/chats/{chat}/messages",
            message,
            headers=headers,
            files={"text": (None, message.body)},
        )
        return pick(data, "message_id")
    account = pick(thread.event, "account_id") or pick(creds.options, "accountId")
    if thread.external_id is None or account is None:
        raise permanent("NO_CHAT", "no Unipile chat or LinkedIn account is known for this lead")
    data = request(
        http,
        creds,
        "/api/v1/chats",
        message,
        headers=headers,
        files={
            "account_id": (None, account),
            "attendees_ids": (None, thread.external_id),
            "text": (None, message.body),
        },
    )
    return pick(data, "message_id")

"""The sender of each provider (one module per provider, one ``send`` function each)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from inboxapp.pipeline.providers import Provider

from . import emailbison, ghl, instantly, linkedin, smartlead
from .send import Credentials, Outgoing, Thread

Sender = Callable[[httpx.Client, Credentials, Thread, Outgoing], str | None]
SENDERS: dict[Provider, Sender] = {
    Provider.EMAILBISON: emailbison.send,
    Provider.GHL: ghl.send,
    Provider.LINKEDIN: linkedin.send,
    Provider.SMARTLEAD: smartlead.send,
    Provider.INSTANTLY: instantly.send,
}


def send(http: httpx.Client, creds: Credentials, thread: Thread, message: Outgoing) -> str | None:
    """Send through ``creds.provider``; the provider's message id (None when it names none)."""
    return SENDERS[creds.provider](http, creds, thread, message)

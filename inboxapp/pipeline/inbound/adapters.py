"""Provider -> its adapter's ``parse`` (one module per provider)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from inboxapp.pipeline.providers import Provider

from . import emailbison, ghl, instantly, linkedin, smartlead
from .event import Parsed

Parser = Callable[[Mapping[str, Any]], Parsed]
PARSERS: dict[Provider, Parser] = {
    Provider.EMAILBISON: emailbison.parse,
    Provider.GHL: ghl.parse,
    Provider.LINKEDIN: linkedin.parse,
    Provider.SMARTLEAD: smartlead.parse,
    Provider.INSTANTLY: instantly.parse,
}


def parse(provider: Provider, payload: Mapping[str, Any]) -> Parsed:
    """The internal event (or :class:`~.event.Ignored`); raises ``PayloadError``."""
    return PARSERS[provider](payload)

"""The campaign tools the inbox talks to: their names and the channel each one carries."""

from __future__ import annotations

import enum


class Provider(enum.StrEnum):
    EMAILBISON = "emailbison"
    """Email (EmailBison / Inboxxia)."""
    GHL = "ghl"
    """SMS through GoHighLevel."""
    LINKEDIN = "linkedin"
    """LinkedIn messages through Unipile."""
    SMARTLEAD = "smartlead"
    """Email."""
    INSTANTLY = "instantly"
    """Email."""


CHANNEL: dict[Provider, str] = {
    Provider.EMAILBISON: "email",
    Provider.GHL: "sms",
    Provider.LINKEDIN: "linkedin",
    Provider.SMARTLEAD: "email",
    Provider.INSTANTLY: "email",
}
LABELS: dict[Provider, str] = {
    Provider.EMAILBISON: "EmailBison",
    Provider.GHL: "GoHighLevel",
    Provider.LINKEDIN: "LinkedIn (Unipile)",
    Provider.SMARTLEAD: "SmartLead",
    Provider.INSTANTLY: "Instantly",
}


def parse(value: object) -> Provider | None:
    try:
        return Provider(str(value))
    except ValueError:
        return None

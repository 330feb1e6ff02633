"""Lead identity, normalized once: emails lower-cased, phones E.164 (``phonenumbers``),
LinkedIn profile URLs in one canonical form. Lead matching compares only these forms."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import phonenumbers

DEFAULT_REGION = "US"
"""Region assumed for a phone number written without a country code."""
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_LINKEDIN_PATH = re.compile(r"^/(in|pub|company|sales/lead|sales/people)/([^/?#]+)", re.I)


def email(value: str | None) -> str | None:
    """``Jane.Doe@Example.COM`` -> ``jane.doe@example.com``; ``Name <a@b.c>`` -> ``a@b.c``."""
    if not value:
        return None
    found = _EMAIL.search(value.strip())
    return found.group(0).lower() if found else None


def phone(value: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 (``+15551234567``), or None when it is not a possible phone number."""
    if not value or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def linkedin_url(value: str | None) -> str | None:
    """``http://LinkedIn.com/in/Jane-Doe/?utm=x`` -> ``https://www.linkedin.com/in/jane-doe``.

    Any host under linkedin.com, any scheme, trailing slash, query and fragment are the same
    profile; the handle is percent-decoded and lower-cased (LinkedIn handles are
    case-insensitive). Anything that is not a LinkedIn profile or company URL is None.
    """
    if not value or not value.strip():
        return None
    raw = value.strip()
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    host = (parts.hostname or "").lower()
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        return None
    found = _LINKEDIN_PATH.match(parts.path)
    if found is None:
        return None
    kind, handle = found.group(1).lower(), unquote(found.group(2)).strip().lower()
    if not handle:
        return None
    return f"https://www.linkedin.com/{kind}/{handle}"

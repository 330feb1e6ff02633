"""Reading a provider's payload: typed field access that raises :class:`PayloadError`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

MAX_ID_CHARS = 500
MAX_TEXT_CHARS = 200_000


class PayloadError(ValueError):
    """A body that is not what the provider sends for its event type (a 400, never stored)."""


def obj(payload: Mapping[str, Any], key: str, *, required: bool = False) -> Mapping[str, Any]:
    """``payload[key]`` as an object (``{}`` when absent and not required)."""
    value = payload.get(key)
    if value is None:
        if required:
            raise PayloadError(f"{key} is missing")
        return {}
    if not isinstance(value, Mapping):
        raise PayloadError(f"{key} must be an object")
    return value


def text(payload: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    """A string (or number, as text) field, stripped; None when absent or empty."""
    value = payload.get(key)
    if isinstance(value, bool) or (value is not None and not isinstance(value, str | int | float)):
        raise PayloadError(f"{key} must be a string")
    out = None if value is None else str(value).strip() or None
    if out is None and required:
        raise PayloadError(f"{key} is missing")
    if out is not None and len(out) > MAX_TEXT_CHARS:
        raise PayloadError(f"{key} is too long")
    return out


def ident(payload: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    """An id field (string or integer) as text."""
    out = text(payload, key, required=required)
    if out is not None and len(out) > MAX_ID_CHARS:
        raise PayloadError(f"{key} is too long")
    return out


def flag(payload: Mapping[str, Any], key: str) -> bool:
    value = payload.get(key)
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1"))


def addresses(value: object) -> tuple[str, ...]:
    """Email addresses from ``[{"address": ...}]``, ``["a@x"]`` or ``"a@x, b@y"``."""
    items: Sequence[Any]
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, Sequence):
        items = value
    else:
        raise PayloadError("an address list must be a list or a string")
    out: list[str] = []
    for item in items:
        raw = item.get("address") or item.get("email") if isinstance(item, Mapping) else item
        if isinstance(raw, str) and "@" in raw:
            out.append(raw.strip().lower()[:MAX_ID_CHARS])
    return tuple(dict.fromkeys(out))


def timestamp(value: object) -> datetime | None:
    """ISO-8601 text or unix seconds/milliseconds; None when absent or unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    raw = value.strip().replace("Z", "+00:00").replace(" ", "T", 1)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def digest(*parts: str) -> str:
    """A stable id from the parts of a message a provider sends no id for (one per line)."""
    return "sha256:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def split_name(full: str | None) -> tuple[str | None, str | None]:
    """``"Jane van Doe"`` -> ``("Jane", "van Doe")``."""
    if not full:
        return None, None
    first, _, last = full.strip().partition(" ")
    return first or None, last.strip() or None

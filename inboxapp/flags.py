"""Feature flags for the read APIs; the Redis override is read per request (cached 1 s), so a
rollback needs no restart.

Precedence: Redis override key ``flags:v1:<NAME>`` ("on"/"off") > the server variable ``NAME``
> its ``NEXT_PUBLIC_NAME`` alias > on. The variables are settings (``Settings.inbox_read_api_v1``
...), validated when the process starts. An override that is not one of the known words (or not
text at all) counts as absent: it is reported once and deleted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from inboxapp.cache.invalid import report_invalid
from inboxapp.cache.store import Cache, WrongType, get_cache
from inboxapp.config import get_settings

INBOX_READ_API = "INBOX_READ_API_V1"
ANALYTICS_READ_API = "ANALYTICS_READ_API_V1"
_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"0", "false", "off", "no"}
_OVERRIDE_TTL_S = 1.0
_MAX_OVERRIDE_BYTES = 16
FAMILY = "flags"
_overrides: dict[str, tuple[float, str | None]] = {}


@dataclass(frozen=True)
class Flag:
    enabled: bool
    reason: str


def override_key(name: str) -> str:
    return f"flags:v1:{name}"


def _override(name: str) -> str | None:
    now = time.monotonic()
    cached = _overrides.get(name)
    if cached and cached[0] > now:
        return cached[1]
    value: str | None = None
    cache = get_cache()
    if cache.available:
        try:
            value = _read_override(cache, override_key(name))
        except redis.RedisError:
            value = None
    _overrides[name] = (now + _OVERRIDE_TTL_S, value)
    return value


def _read_override(cache: Cache, key: str) -> str | None:
    """``on``/``off``/... lowercased, or None: absent, or garbage (reported and deleted)."""
    try:
        raw = cache.get_text(key, FAMILY)
    except WrongType:
        cache.client.delete(key)
        return None
    if raw is None:
        return None
    try:
        value = raw.decode().strip().lower() if len(raw) <= _MAX_OVERRIDE_BYTES else None
    except UnicodeDecodeError:
        value = None
    if value in _TRUE or value in _FALSE:
        return value
    report_invalid(FAMILY, "not_a_flag_value")
    cache.delete_if_equal(key, raw)
    return None


def read_flag(name: str) -> Flag:
    override = _override(name)
    if override in _TRUE or override in _FALSE:
        return Flag(override in _TRUE, f"redis override {override_key(name)}={override}")
    settings = get_settings()
    field = name.lower()
    source = settings.env_source(field)
    if source is None:
        return Flag(True, "default on")
    enabled = bool(getattr(settings, field))
    return Flag(enabled, f"env {source}={'on' if enabled else 'off'}")


def clear_override_cache() -> None:
    _overrides.clear()

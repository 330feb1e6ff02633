"""Garbage in Redis is a miss, never a 500 and never served.

Every reader of a Redis key (cache entries and versions, flag overrides, job status, login
counters) treats an undecodable or wrong-shaped value as absent, reports it here and then
overwrites or deletes it. :func:`report_invalid` logs one warning per ``(family, reason)`` and
process, so a corrupted key cannot flood the log; the key itself is never logged (keys carry
workspace and user ids, and the value could be anything).
"""

from __future__ import annotations

import threading

import redis

from inboxapp.logs import get_logger

log = get_logger("inboxapp.cache")

_reported: set[tuple[str, str]] = set()
_lock = threading.Lock()


def report_invalid(family: str, reason: str) -> None:
    """Log ``cache.invalid_entry`` the first time ``family`` shows ``reason`` in this process."""
    with _lock:
        first = (family, reason) not in _reported
        _reported.add((family, reason))
    if first:
        log.warning("cache.invalid_entry", family=family, reason=reason, action="overwritten")


def forget_reports() -> None:
    """Log every family/reason again (tests)."""
    with _lock:
        _reported.clear()


def is_garbage_error(exc: BaseException) -> bool:
    """Redis refused a command because of what the key holds (another type, not a number, out
    of range), not because of the server's state."""
    if not isinstance(exc, redis.ResponseError):
        return False
    message = str(exc)
    return message.startswith("WRONGTYPE") or "not an integer" in message or "overflow" in message

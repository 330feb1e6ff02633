"""Failed-login limiter per (lowercased email, client IP).

``LOGIN_MAX_FAILURES`` failures within ``LOGIN_WINDOW_S`` (a fixed window that starts at the first
failure) block further attempts until the window ends; a successful login clears the counter.

Counters live in Redis so every worker shares them. Keys are an HMAC of email and IP, so Redis
never holds an email address. Redis is an optimisation of a safety net, not a dependency: when it
is unset, slow or down, an in-process counter takes over (with a rate-limited warning) and the
login itself never fails because of Redis. A counter that is not a plain number (garbage, another
type) is reported once and deleted; one without an expiry gets the window's, so no stray key can
block a login for ever.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from typing import Any

import redis

from inboxapp.cache.invalid import is_garbage_error, report_invalid
from inboxapp.config import get_settings
from inboxapp.logs import get_logger

log = get_logger("inboxapp.auth.ratelimit")

KEY_PREFIX = "auth:v1:login-fail:"
REDIS_TIMEOUT_S = 0.25
REDIS_RETRY_AFTER_S = 5.0
"""After a Redis error, skip Redis for this long (no 250 ms stall on every login)."""
WARN_EVERY_S = 60.0
MEMORY_MAX_KEYS = 50_000
FAMILY = "auth:login-fail"
_COUNTER_RE = re.compile(rb"[0-9]{1,18}")


def limiter_key(email: str, ip: str) -> str:
    """Opaque key for (email, ip): keyed hash, so neither value can be read back from Redis."""
    subject = f"{email.strip().lower()}\x00{ip}".encode()
    digest = hmac.new(get_settings().signing_secret.encode(), subject, hashlib.sha256)
    return KEY_PREFIX + digest.hexdigest()


class _MemoryCounters:
    """Fixed-window counters for one process (the fallback)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int, float]] = {}

    def get(self, key: str) -> tuple[int, float]:
        """``(count, seconds left in the window)``; ``(0, 0)`` when there is no live window."""
        now = time.monotonic()
        with self._lock:
            count, expires = self._entries.get(key, (0, 0.0))
            if expires <= now:
                self._entries.pop(key, None)
                return 0, 0.0
            return count, expires - now

    def incr(self, key: str, window_s: int) -> int:
        now = time.monotonic()
        with self._lock:
            count, expires = self._entries.get(key, (0, 0.0))
            if expires <= now:
                count, expires = 0, now + window_s
            self._entries[key] = (count + 1, expires)
            if len(self._entries) > MEMORY_MAX_KEYS:
                self._prune(now)
            return count + 1

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _prune(self, now: float) -> None:
        for key in [k for k, (_, exp) in self._entries.items() if exp <= now]:
            del self._entries[key]
        while len(self._entries) > MEMORY_MAX_KEYS:  # still full: drop the oldest windows
            del self._entries[next(iter(self._entries))]


class LoginRateLimiter:
    """Counts failed logins; see the module docstring. Thread-safe; settings are read per call."""

    def __init__(self) -> None:
        self._memory = _MemoryCounters()
        self._lock = threading.Lock()
        self._clients: dict[str, redis.Redis] = {}
        self._redis_down_until = 0.0
        self._last_warning = float("-inf")

    def retry_after(self, email: str, ip: str) -> int | None:
        """Seconds until the next attempt is allowed, or ``None`` when not blocked."""
        settings = get_settings()
        key = limiter_key(email, ip)
        client = self._redis()
        if client is not None:
            try:
                count, left = _read_counter(client, key, settings.login_window_s)
            except redis.RedisError as exc:
                self._redis_failed(exc)
                count, left = self._memory.get(key)
        else:
            count, left = self._memory.get(key)
        if count < settings.login_max_failures:
            return None
        return max(1, int(left + 0.999)) if left > 0 else settings.login_window_s

    def record_failure(self, email: str, ip: str) -> int:
        """Count one failed attempt; returns the failures in the current window."""
        window = get_settings().login_window_s
        key = limiter_key(email, ip)
        client = self._redis()
        if client is not None:
            try:
                try:
                    return _count_failure(client, key, window)
                except redis.ResponseError as exc:
                    if not is_garbage_error(exc):
                        raise
                    report_invalid(FAMILY, "not_a_counter")
                    client.delete(key)
                    return _count_failure(client, key, window)
            except redis.RedisError as exc:
                self._redis_failed(exc)
        return self._memory.incr(key, window)

    def reset(self, email: str, ip: str) -> None:
        key = limiter_key(email, ip)
        self._memory.delete(key)
        client = self._redis()
        if client is not None:
            try:
                client.delete(key)
            except redis.RedisError as exc:
                self._redis_failed(exc)

    def clear_memory(self) -> None:
        """Forget in-process counters and Redis health state (tests, configuration changes)."""
        self._memory.clear()
        with self._lock:
            self._redis_down_until = 0.0
            self._last_warning = float("-inf")

    def _redis(self) -> redis.Redis | None:
        url = get_settings().redis_url
        if not url or time.monotonic() < self._redis_down_until:
            return None
        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = redis.Redis.from_url(
                    url,
                    socket_timeout=REDIS_TIMEOUT_S,
                    socket_connect_timeout=REDIS_TIMEOUT_S,
                    retry_on_timeout=False,
                )
                self._clients[url] = client
            return client

    def _redis_failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self._redis_down_until = now + REDIS_RETRY_AFTER_S
            warn = now - self._last_warning >= WARN_EVERY_S
            if warn:
                self._last_warning = now
        if warn:
            fields: dict[str, Any] = {"errorType": type(exc).__name__}
            log.warning("ratelimit.redis_unavailable_using_memory", **fields)


def _read_counter(client: redis.Redis, key: str, window_s: int) -> tuple[int, float]:
    """``(failures, seconds left)`` from Redis; garbage counts as no failures and is deleted."""
    pipe = client.pipeline(transaction=False)
    pipe.get(key)
    pipe.ttl(key)
    raw, ttl = pipe.execute(raise_on_error=False)
    if is_garbage_error(raw):  # another type under our key: garbage like any other
        raw = b""
    elif isinstance(raw, Exception):
        raise raw
    if raw is None:
        return 0, 0.0
    if not _COUNTER_RE.fullmatch(raw):
        report_invalid(FAMILY, "not_a_counter")
        client.delete(key)
        return 0, 0.0
    if ttl == -1:  # a counter without expiry would block for ever
        report_invalid(FAMILY, "no_expiry")
        client.expire(key, window_s)
        ttl = window_s
    return int(raw), float(ttl if isinstance(ttl, int) and ttl > 0 else 0)


def _count_failure(client: redis.Redis, key: str, window_s: int) -> int:
    pipe = client.pipeline(transaction=True)
    pipe.set(key, 0, ex=window_s, nx=True)  # starts the window; INCR keeps the TTL
    pipe.incr(key)
    pipe.ttl(key)
    _, count, ttl = pipe.execute()
    if ttl == -1:  # never leave a counter without expiry (it would block forever)
        client.expire(key, window_s)
    return int(count)


login_limiter = LoginRateLimiter()
"""The process-wide limiter used by :mod:`inboxapp.auth.service`."""

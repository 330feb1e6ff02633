"""Redis read-through cache with per-workspace version keys and single-flight.

* Keys are scoped by namespace, workspace, version, user and role, so two users never share a
  payload and a version bump (``INCR``) invalidates a whole workspace in O(1).
* Single-flight: the first miss takes a short Redis lock and computes; concurrent misses for the
  same key wait briefly for the value, then fall back to computing themselves.
* Redis down or slow: every call degrades to "bypass" (compute directly, correct data), logs a
  rate-limited warning, and skips Redis for a short cool-down; it recovers by itself.
* Garbage is a miss: an entry that does not decode, is too large or fails the caller's
  ``validate`` is recomputed and overwritten; a version that is not a plain counter is replaced
  by a fresh one (never a 500, never served; :mod:`.invalid` logs it once per family/reason).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis

from inboxapp.config import get_settings
from inboxapp.logs import get_logger
from inboxapp.observability.metrics import observe_cache_error

from .invalid import is_garbage_error, report_invalid

CacheStatus = Literal["hit", "miss", "bypass"]
Validator = Callable[[Any], object]
"""Checks a decoded entry; raises ``ValueError`` or ``TypeError`` (pydantic's
``ValidationError`` is a ``ValueError``) when it has the wrong shape."""
log = get_logger(__name__)

MAX_ENTRY_BYTES = 2 * 1024 * 1024
"""Larger entries are neither stored nor served (a first page of 200 rows is ~150 KB)."""
MAX_VERSION = 2**63 - 1
"""Redis ``INCR`` range."""
_VERSION_RE = re.compile(rb"[0-9]{1,19}")
_MISSING = object()

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class WrongType(Exception):
    """A key holds another Redis type than its readers expect (garbage, already reported)."""


@dataclass
class CacheResult:
    value: Any
    status: CacheStatus


def params_hash(params: dict[str, Any]) -> str:
    """Stable short hash of normalized parameters."""
    raw = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


class Cache:
    """Thread-safe; one per process (see :func:`get_cache`)."""

    def __init__(
        self,
        url: str | None,
        *,
        timeout_s: float = 0.25,
        cooldown_s: float = 5.0,
        lock_ttl_ms: int = 5000,
        wait_s: float = 2.0,
    ) -> None:
        self._client = (
            redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
            if url
            else None
        )
        self._cooldown_s = cooldown_s
        self._lock_ttl_ms = lock_ttl_ms
        self._wait_s = wait_s
        self._down_until = 0.0
        self._last_warning = 0.0
        self._guard = threading.Lock()

    # -- health -------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        return self._client is not None and time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        observe_cache_error()
        now = time.monotonic()
        with self._guard:
            self._down_until = now + self._cooldown_s
            warn = now - self._last_warning > 30
            if warn:
                self._last_warning = now
        if warn:
            log.warning("redis unavailable; serving uncached", error=type(exc).__name__)

    @property
    def client(self) -> redis.Redis:
        assert self._client is not None
        return self._client

    def raw_get(self, key: str) -> bytes | None:
        """GET without the health bookkeeping (callers handle ``redis.RedisError``)."""
        return cast(bytes | None, self.client.get(key))

    def get_text(self, key: str, family: str) -> bytes | None:
        """GET; a key of another Redis type is reported (``wrong_type``) and raises
        :class:`WrongType`, so the caller can overwrite it (callers handle ``RedisError``)."""
        try:
            return self.raw_get(key)
        except redis.ResponseError as exc:
            if not is_garbage_error(exc):
                raise
            report_invalid(family, "wrong_type")
            raise WrongType(family) from None

    def delete_if_equal(self, key: str, value: bytes) -> None:
        """Delete ``key`` if it still holds ``value`` (garbage removal that never drops a value
        written meanwhile); callers handle ``redis.RedisError``."""
        self.client.eval(_RELEASE, 1, key, value)

    # -- versions -----------------------------------------------------------------------
    @staticmethod
    def version_key(namespace: str, client_id: uuid.UUID | str) -> str:
        return f"{namespace}:v1:ver:{client_id}"

    def version(self, namespace: str, client_id: uuid.UUID | str) -> int | None:
        """Current workspace version, or None when Redis is unavailable.

        A value that is not a counter (garbage, wrong type, out of range) is replaced by a
        fresh version, so every entry cached under an earlier one stays unreachable."""
        if not self.available:
            return None
        key, family = self.version_key(namespace, client_id), f"{namespace}:ver"
        try:
            try:
                raw = self.get_text(key, family)
            except WrongType:
                return self._fresh_version(key)
            if raw is None:
                return 0
            if _VERSION_RE.fullmatch(raw) and int(raw) <= MAX_VERSION:
                return int(raw)
            report_invalid(family, "not_a_version")
            return self._fresh_version(key)
        except redis.RedisError as exc:
            self._failed(exc)
            return None

    def bump(self, namespace: str, client_id: uuid.UUID | str) -> None:
        """Invalidate every cached payload of one workspace (O(1))."""
        if not self.available:
            return
        key = self.version_key(namespace, client_id)
        try:
            try:
                self.client.incr(key)
            except redis.ResponseError as exc:
                if not is_garbage_error(exc):
                    raise
                report_invalid(f"{namespace}:ver", "not_a_version")
                self._fresh_version(key)
        except redis.RedisError as exc:
            self._failed(exc)

    def _fresh_version(self, key: str) -> int:
        """Overwrite a garbage version with one never used before: the current time in
        microseconds, far above any count ``INCR`` reaches (and later than earlier resets)."""
        value = time.time_ns() // 1000
        self.client.set(key, value)
        return value

    # -- read-through -------------------------------------------------------------------
    def key(
        self,
        namespace: str,
        client_id: uuid.UUID | str,
        version: int,
        user_id: uuid.UUID | str,
        role: str,
        kind: str,
        params: dict[str, Any],
    ) -> str:
        return f"{namespace}:v1:{client_id}:{version}:{user_id}:{role}:{kind}:{params_hash(params)}"

    def get_or_compute(
        self,
        key: str,
        ttl_s: int,
        compute: Callable[[], Any],
        *,
        validate: Validator | None = None,
        family: str | None = None,
    ) -> CacheResult:
        """Read ``key``; on a miss compute once (single-flight) and store for ``ttl_s``.

        An entry that does not decode or fails ``validate`` is a miss: it is recomputed and
        overwritten. ``family`` names the kind of key in the one log line about garbage
        (default: the key's namespace)."""
        if not self.available:
            return CacheResult(compute(), "bypass")
        family = family or key.split(":", 1)[0]
        try:
            cached = self._load(key, family, validate)
            if cached is not _MISSING:
                return CacheResult(cached, "hit")
            token = secrets.token_hex(8)
            lock = f"{key}:lock"
            if self._take_lock(lock, token, family):
                try:
                    # Double-check: the previous holder may have stored the value between our
                    # GET and our lock (it released the lock after writing).
                    cached = self._load(key, family, validate)
                    if cached is not _MISSING:
                        return CacheResult(cached, "hit")
                    value = compute()
                    self._store(key, value, ttl_s)
                    return CacheResult(value, "miss")
                finally:
                    self.client.eval(_RELEASE, 1, lock, token)
            return self._wait_for(key, family, validate, compute)
        except redis.RedisError as exc:
            self._failed(exc)
            return CacheResult(compute(), "bypass")

    def _load(self, key: str, family: str, validate: Validator | None) -> Any:
        """The decoded, validated entry, or ``_MISSING`` when absent or garbage."""
        try:
            raw = self.get_text(key, family)
        except WrongType:
            return _MISSING  # the recompute's SET replaces it
        if raw is None:
            return _MISSING
        if len(raw) > MAX_ENTRY_BYTES:
            report_invalid(family, "too_large")
            return _MISSING
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):  # includes UnicodeDecodeError
            report_invalid(family, "undecodable")
            return _MISSING
        if validate is not None:
            try:
                validate(value)
            except (ValueError, TypeError):
                report_invalid(family, "wrong_shape")
                return _MISSING
        return value

    def _store(self, key: str, value: Any, ttl_s: int) -> None:
        payload = json.dumps(value, default=str)
        if len(payload) > MAX_ENTRY_BYTES:  # it would only be refused on the next read
            log.debug("cache.entry_too_large", size=len(payload))
            return
        self.client.set(key, payload, ex=ttl_s)

    def _take_lock(self, lock: str, token: str, family: str) -> bool:
        if self.client.set(lock, token, nx=True, px=self._lock_ttl_ms):
            return True
        if self.client.pttl(lock) == -1:  # ours always expire: this one is garbage
            report_invalid(family, "lock_without_expiry")
            self.client.pexpire(lock, self._lock_ttl_ms)
        return False

    def _wait_for(
        self, key: str, family: str, validate: Validator | None, compute: Callable[[], Any]
    ) -> CacheResult:
        deadline = time.monotonic() + self._wait_s
        delay = 0.005
        while time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)
            cached = self._load(key, family, validate)
            if cached is not _MISSING:
                return CacheResult(cached, "hit")
        return CacheResult(compute(), "bypass")


_cache: Cache | None = None
_cache_lock = threading.Lock()


def get_cache() -> Cache:
    global _cache
    with _cache_lock:
        if _cache is None:
            _cache = Cache(get_settings().redis_url)
        return _cache


def reset_cache() -> None:
    """Forget the process cache client (tests, after the environment changed)."""
    global _cache
    with _cache_lock:
        _cache = None

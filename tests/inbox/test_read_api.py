"""Inbox read API: tenant isolation, cache scoping, invalidation, flags, Redis outages, fuzzing."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inboxapp.cache.store import get_cache, reset_cache
from inboxapp.config import get_settings
from inboxapp.flags import clear_override_cache, override_key
from inboxapp.inbox import actions
from tests import factories as f
from tests.cache.test_cache import RedisProcess
from tests.support import bearer_for

COUNTS = "/api/inbox/counts"
LIST = "/api/inbox/conversations"


@pytest.fixture(scope="module")
def world(api: TestClient):
    owner_a, owner_b = f.create_user(name="Owner A"), f.create_user(name="Owner B")
    a, b = f.create_workspace("A", owner_a), f.create_workspace("B", owner_b)
    setter = f.create_user(name="Setter A")
    f.add_member(a, setter, "SETTER")
    leads_a = [f.create_lead(a, assignedToUserId=setter.id if i % 2 else None) for i in range(6)]
    lead_b = f.create_lead(b)
    return {
        "a": a, "b": b, "lead_b": lead_b, "leads_a": leads_a, "owner_a": owner_a,
        "setter": setter,
        "h_owner": bearer_for(api, owner_a), "h_setter": bearer_for(api, setter),
    }  # fmt: skip


def test_foreign_workspace_is_403_and_foreign_lead_is_404(api: TestClient, world) -> None:
    h, b, lead_b = world["h_owner"], world["b"], world["lead_b"]
    for path in (COUNTS, LIST, f"{LIST}/{lead_b.id}"):
        resp = api.get(path, params={"clientId": str(b.id)}, headers=h)
        assert resp.status_code == 403, path
        assert resp.json()["error"] == "NOT_A_MEMBER"
    resp = api.get(f"{LIST}/{lead_b.id}", params={"clientId": str(world["a"].id)}, headers=h)
    assert resp.status_code == 404
    assert resp.json()["error"] == "LEAD_NOT_FOUND"
    ids = {w["id"] for w in api.get("/api/workspaces", headers=h).json()["workspaces"]}
    assert ids == {str(world["a"].id)}


def test_unauthenticated_is_401(api: TestClient, world) -> None:
    resp = api.get(COUNTS, params={"clientId": str(world["a"].id)})
    assert resp.status_code == 401
    assert resp.json()["error"] == "UNAUTHORIZED"


def test_admin_and_setter_never_share_cached_payloads(api: TestClient, world) -> None:
    params = {"clientId": str(world["a"].id)}
    first = {}
    for who in ("h_owner", "h_setter"):
        resp = api.get(LIST, params=params, headers=world[who])
        assert resp.headers["x-cache"] in ("miss", "hit")
        first[who] = resp.json()
    owner_ids = {i["id"] for i in first["h_owner"]["items"]}
    setter_ids = {i["id"] for i in first["h_setter"]["items"]}
    assert owner_ids == {str(lead.id) for lead in world["leads_a"]}
    assert setter_ids == {str(lead.id) for lead in world["leads_a"][1::2]}
    # Warm reads stay per user.
    again = api.get(LIST, params=params, headers=world["h_setter"])
    assert again.headers["x-cache"] == "hit"
    assert {i["id"] for i in again.json()["items"]} == setter_ids
    counts = api.get(COUNTS, params=params, headers=world["h_setter"]).json()
    assert counts["scope"] == "setter" and counts["counts"]["total"] == 3


def test_write_bumps_version_and_next_read_misses(api: TestClient, world) -> None:
    params = {"clientId": str(world["a"].id)}
    h = world["h_owner"]
    api.get(COUNTS, params=params, headers=h)
    assert api.get(COUNTS, params=params, headers=h).headers["x-cache"] == "hit"
    before = api.get(COUNTS, params=params, headers=h).json()["counts"]["needsRepair"]
    lead = world["leads_a"][0]
    actions.set_status(world["owner_a"].id, world["a"].id, lead.id, "needs_repair")
    resp = api.get(COUNTS, params=params, headers=h)
    assert resp.headers["x-cache"] == "miss"
    assert resp.json()["counts"]["needsRepair"] == before + 1


def test_headers(api: TestClient, world) -> None:
    resp = api.get(
        COUNTS,
        params={"clientId": str(world["a"].id)},
        headers={**world["h_owner"], "x-request-id": "abc-123"},
    )
    assert resp.headers["cache-control"] == "private, no-store"
    assert "Authorization" in resp.headers["vary"]
    assert resp.headers["x-request-id"] == "abc-123"
    assert float(resp.headers["x-duration-ms"]) >= 0
    assert resp.headers["x-read-api-enabled"] == "true"


@pytest.fixture
def flag_env() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("INBOX_READ_API_V1", "NEXT_PUBLIC_INBOX_READ_API_V1")}
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    get_settings.cache_clear()
    get_cache().client.delete(override_key("INBOX_READ_API_V1"))
    clear_override_cache()


def test_flag_off_answers_503_and_can_be_rolled_back_live(api: TestClient, world, flag_env) -> None:
    params = {"clientId": str(world["a"].id)}
    os.environ["NEXT_PUBLIC_INBOX_READ_API_V1"] = "false"
    get_settings.cache_clear()  # settings are read once per process
    resp = api.get(COUNTS, params=params, headers=world["h_owner"])
    assert resp.status_code == 503
    assert resp.json()["error"] == "READ_API_DISABLED"
    assert resp.headers["x-read-api-enabled"] == "false"
    assert "NEXT_PUBLIC_INBOX_READ_API_V1" in resp.headers["x-read-api-reason"]
    os.environ["INBOX_READ_API_V1"] = "true"  # the server name wins over the alias
    get_settings.cache_clear()
    assert api.get(COUNTS, params=params, headers=world["h_owner"]).status_code == 200
    get_cache().client.set(override_key("INBOX_READ_API_V1"), "off")  # Redis override wins
    clear_override_cache()
    for path in (COUNTS, LIST, f"{LIST}/{world['leads_a'][0].id}"):
        assert api.get(path, params=params, headers=world["h_owner"]).status_code == 503


def test_redis_stopped_mid_test_serves_correct_data(api: TestClient, world) -> None:
    server = RedisProcess()
    server.start()
    saved = os.environ["REDIS_URL"]
    os.environ["REDIS_URL"] = server.url
    get_settings.cache_clear()
    reset_cache()
    try:
        params = {"clientId": str(world["a"].id)}
        h = world["h_owner"]
        expected = api.get(LIST, params=params, headers=h).json()
        assert api.get(LIST, params=params, headers=h).headers["x-cache"] == "hit"
        server.stop()
        for path in (COUNTS, LIST):
            resp = api.get(path, params=params, headers=h)
            assert resp.status_code == 200
            assert resp.headers["x-cache"] == "bypass"
        assert api.get(LIST, params=params, headers=h).json() == expected
    finally:
        server.stop()
        os.environ["REDIS_URL"] = saved
        get_settings.cache_clear()
        reset_cache()


text = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["all", "attention", "-1", "0", "201", "4", "3+"]),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    filter=text,
    cursor=text,
    limit=text,
    q=text,
    channel=text,
    sentiment=text,
    campaign=text,
    score=text,
    client=st.one_of(text, st.just("A")),
)
def test_fuzz_list_parameters_never_500(
    api: TestClient, world, filter, cursor, limit, q, channel, sentiment, campaign, score, client
) -> None:
    raw = {
        "filter": filter,
        "cursor": cursor,
        "limit": limit,
        "q": q,
        "channel": channel,
        "sentiment": sentiment,
        "campaignId": campaign,
        "score": score,
        "clientId": str(world["a"].id) if client == "A" else client,
    }
    params = {k: v for k, v in raw.items() if v is not None}
    resp = api.get(LIST, params=params, headers=world["h_owner"])
    assert resp.status_code in (200, 400, 403), resp.text
    assert "error" in resp.json() or "items" in resp.json()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lead=st.one_of(st.text(min_size=1, max_size=40), st.uuids().map(str)), client=text)
def test_fuzz_conversation_never_500(api: TestClient, world, lead, client) -> None:
    resp = api.get(
        f"{LIST}/{quote(lead, safe='')}",
        params={"clientId": client or str(uuid.uuid4())},
        headers=world["h_owner"],
    )
    assert resp.status_code in (400, 403, 404), resp.text

"""``GET /api/metrics``: who may read it, what it exposes, and that the counters move."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from inboxapp.api.app import create_api
from inboxapp.cache.store import get_cache
from inboxapp.observability import collectors, metrics
from tests import factories as f
from tests.conftest import SCRAPE_HEADERS as SCRAPE
from tests.conftest import TEST_METRICS_TOKEN, reset_app_caches
from tests.support import bearer_for

LOCAL = ("127.0.0.1", 41000)
REMOTE = ("10.0.0.5", 1234)
METRICS = "/api/metrics"
NAMES = (
    "inboxapp_http_request_duration_seconds",
    "inboxapp_inbox_fetch_seconds",
    "inboxapp_analytics_fetch_seconds",
    "inboxapp_cache_requests_total",
    "inboxapp_cache_redis_errors_total",
    "inboxapp_job_queue_depth",
    "inboxapp_jobs_waiting_retry",
    "inboxapp_jobs_dead",
    "inboxapp_job_retries_total",
    "inboxapp_job_failures_total",
    "inboxapp_realtime_subscribers",
    "inboxapp_realtime_delivery_lag_seconds",
    "inboxapp_counts_staleness_seconds",
    "inboxapp_counts_dirty_workspaces",
)


@pytest.fixture(scope="module")
def api() -> object:
    return create_api()


@pytest.fixture(scope="module")
def local(api) -> Iterator[TestClient]:
    with TestClient(api, client=LOCAL) as client:
        yield client


@pytest.fixture(scope="module")
def remote(api) -> Iterator[TestClient]:
    with TestClient(api, client=REMOTE) as client:
        yield client


@pytest.fixture(scope="module")
def world(remote: TestClient):
    owner, admin, setter = (f.create_user(name=n) for n in ("Owner", "Admin", "Setter"))
    ws = f.create_workspace("Metrics", owner)
    f.add_member(ws, admin, "ADMIN")
    f.add_member(ws, setter, "SETTER")
    for _ in range(3):
        f.create_lead(ws, assignedToUserId=setter.id)
    return {
        "ws": ws,
        "owner": bearer_for(remote, owner),
        "admin": bearer_for(remote, admin),
        "setter": bearer_for(remote, setter),
    }


def scrape(client: TestClient, headers: dict[str, str] | None = None) -> dict[str, float]:
    """``{"name{label=value,...}": value}`` of one scrape (fresh database sample)."""
    collectors.SCRAPE.forget()
    resp = client.get(METRICS, headers=headers or SCRAPE)
    assert resp.status_code == 200, resp.text
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = sample.value
    return out


def test_the_scrape_token_gets_prometheus_text_from_anywhere(
    local: TestClient, remote: TestClient
) -> None:
    for client in (remote, local):
        resp = client.get(METRICS, headers=SCRAPE)
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/plain")
        assert "version=0.0.4" in resp.headers["content-type"]
        assert resp.headers["cache-control"] == "no-store"
    for name in NAMES:
        assert f"# TYPE {name.removesuffix('_total')}" in resp.text, name
    assert 'inboxapp_metrics_source_up{source="database"} 1.0' in resp.text
    assert 'inboxapp_metrics_source_up{source="redis"} 1.0' in resp.text


def test_loopback_alone_is_not_trusted(local: TestClient) -> None:
    for headers in ({}, {"X-Forwarded-For": "127.0.0.1"}, {"Authorization": "Bearer"}):
        resp = local.get(METRICS, headers=headers)
        assert resp.status_code == 403, headers
        assert resp.json()["error"] == "FORBIDDEN"
        assert resp.headers["content-type"].startswith("application/json")
    # the old switch is gone: setting it opens nothing
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INBOXAPP_METRICS_TRUST_LOOPBACK", "1")
        assert local.get(METRICS).status_code == 403


def test_a_wrong_token_is_401_and_a_setter_is_403(remote: TestClient, world) -> None:
    for wrong in (TEST_METRICS_TOKEN[:-1] + "#", TEST_METRICS_TOKEN + "x", "not-a-token"):
        resp = remote.get(METRICS, headers={"Authorization": f"Bearer {wrong}"})
        assert resp.status_code == 401, wrong
        assert resp.json()["error"] == "INVALID_TOKEN"
    # the scrape token in another scheme is no bearer token
    resp = remote.get(METRICS, headers={"Authorization": f"Basic {TEST_METRICS_TOKEN}"})
    assert resp.status_code == 403
    resp = remote.get(METRICS, headers=world["setter"])
    assert resp.status_code == 403 and resp.json()["error"] == "FORBIDDEN"


def test_admin_and_owner_tokens_work_from_anywhere(remote: TestClient, world) -> None:
    for who in ("admin", "owner"):
        resp = remote.get(METRICS, headers=world[who])
        assert resp.status_code == 200, who
        assert "inboxapp_inbox_fetch_seconds" in resp.text


def test_without_a_configured_scrape_token_only_admins_read(
    remote: TestClient, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INBOXAPP_METRICS_TOKEN")
    reset_app_caches()
    try:
        assert remote.get(METRICS, headers=SCRAPE).status_code == 401
        assert remote.get(METRICS, headers=world["owner"]).status_code == 200
    finally:
        monkeypatch.undo()
        reset_app_caches()
    assert remote.get(METRICS, headers=SCRAPE).status_code == 200


def test_cached_reads_move_the_cache_counters_and_latency_histograms(
    local: TestClient, remote: TestClient, world
) -> None:
    ws = world["ws"]
    get_cache().bump("inbox", ws.id)  # the next read is a miss
    hit = "inboxapp_cache_requests_total{kind=counts,namespace=inbox,status=hit}"
    miss = "inboxapp_cache_requests_total{kind=counts,namespace=inbox,status=miss}"
    fetched = "inboxapp_inbox_fetch_seconds_count{cache=hit,endpoint=counts}"
    route = "inboxapp_http_request_duration_seconds_count{method=GET,route=/api/inbox/counts,status=2xx}"
    before = scrape(local)
    for expected in ("miss", "hit"):
        resp = remote.get(
            "/api/inbox/counts", params={"clientId": str(ws.id)}, headers=world["owner"]
        )
        assert resp.status_code == 200 and resp.headers["x-cache"] == expected
    after = scrape(local)
    assert after[miss] - before.get(miss, 0) == 1
    assert after[hit] - before.get(hit, 0) == 1
    assert after[fetched] - before.get(fetched, 0) == 1
    assert after[route] - before.get(route, 0) == 2


def test_analytics_reads_feed_the_analytics_latency_histogram(
    local: TestClient, remote: TestClient, world
) -> None:
    ws = world["ws"]
    get_cache().bump("analytics", ws.id)  # the next read is a miss
    miss = "inboxapp_analytics_fetch_seconds_count{cache=miss,kind=campaigns}"
    hit = "inboxapp_analytics_fetch_seconds_count{cache=hit,kind=campaigns}"
    before = scrape(local)
    for expected in ("miss", "hit"):
        resp = remote.get(
            "/api/analytics/campaigns",
            params={"clientId": str(ws.id), "window": "30d"},
            headers=world["owner"],
        )
        assert resp.status_code == 200 and resp.headers["x-cache"] == expected, resp.text
    after = scrape(local)
    assert after[miss] - before.get(miss, 0) == 1
    assert after[hit] - before.get(hit, 0) == 1


def test_queue_depth_staleness_and_job_counters(local: TestClient, world) -> None:
    from inboxapp.jobs.tasks import enqueue_recompute

    ws = world["ws"]
    f.create_lead(ws)  # marks the workspace's counts dirty
    enqueue_recompute(ws.id)  # no worker runs in this module: the job stays queued
    retries = "inboxapp_job_retries_total{task=recompute_inbox_counts}"
    failures = "inboxapp_job_failures_total{task=recompute_inbox_counts}"
    before = scrape(local)
    collectors.observe_job_outcome("recompute_inbox_counts", "retrying")
    collectors.observe_job_outcome("recompute_inbox_counts", "failed")
    after = scrape(local)
    assert after["inboxapp_job_queue_depth{queue=counts,status=todo}"] >= 1
    assert after["inboxapp_counts_dirty_workspaces{}"] >= 1
    assert after["inboxapp_counts_staleness_seconds{}"] >= 0
    assert after[retries] - before.get(retries, 0) == 1
    assert after[failures] - before.get(failures, 0) == 1


def test_realtime_metrics(local: TestClient) -> None:
    lag = "inboxapp_realtime_delivery_lag_seconds_count{}"
    before = scrape(local)
    metrics.observe_realtime_delivery(0.12, deliveries=3)
    after = scrape(local)
    assert after[lag] - before[lag] == 1
    assert (
        after["inboxapp_realtime_deliveries_total{}"]
        - before["inboxapp_realtime_deliveries_total{}"]
        == 3
    )
    assert "inboxapp_realtime_subscribers{}" in after


def test_a_failing_source_is_reported_not_raised(
    local: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom() -> dict[str, object]:
        raise RuntimeError("database down")

    monkeypatch.setattr(collectors, "_sample_database", boom)
    values = scrape(local)
    assert values["inboxapp_metrics_source_up{source=database}"] == 0
    assert "inboxapp_counts_staleness_seconds{}" not in values

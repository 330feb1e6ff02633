"""API plumbing: error shape, request ids, cache headers, access log and what never gets logged."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient

from inboxapp.api.app import create_api
from inboxapp.errors import Forbidden
from tests import factories as f

TOKEN = "/api/auth/token"


@pytest.fixture(scope="module")
def app(database_url: str) -> FastAPI:
    api = create_api()

    @api.get("/api/test-boom")
    def boom() -> None:
        raise RuntimeError("boom: internal detail that must not reach the client")

    @api.get("/api/test-forbidden")
    def forbidden() -> None:
        raise Forbidden("NOT_A_MEMBER", "You are not a member of this workspace")

    return api


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def assert_json_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == code
    return body


# --- errors ---------------------------------------------------------------------------------


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        TOKEN,
        content=b'{"email": "a@b.c", "password": ',
        headers={"content-type": "application/json"},
    )
    body = assert_json_error(response, 400, "BAD_REQUEST")
    assert body["message"] == "Malformed JSON body"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"email": "someone@example.test"},
        {"password": "hunter2-secret"},
        {"email": 123, "password": "hunter2-secret"},
        {"email": "someone@example.test", "password": ["hunter2-secret"]},
        {"email": "someone@example.test", "password": "hunter2-secret" * 200},
        {"grant_type": "magic", "email": "someone@example.test", "password": "hunter2-secret"},
        ["not", "an", "object"],
    ],
    ids=[
        "empty",
        "no-password",
        "no-email",
        "email-int",
        "password-list",
        "too-long",
        "grant",
        "list",
    ],
)
def test_bad_bodies_are_400_without_echoing_input(client: TestClient, payload: Any) -> None:
    response = client.post(TOKEN, json=payload)
    body = assert_json_error(response, 400, "BAD_REQUEST")
    assert body["message"].startswith("Invalid request")
    assert "hunter2" not in response.text
    assert "someone@example.test" not in response.text


def test_missing_field_names_the_field(client: TestClient) -> None:
    body = assert_json_error(client.post("/api/auth/refresh", json={}), 400, "BAD_REQUEST")
    assert "refresh_token" in body["message"]
    assert "required" in body["message"]


def test_non_json_content_type_is_400(client: TestClient) -> None:
    response = client.post(TOKEN, content=b"email=a&password=b")
    assert_json_error(response, 400, "BAD_REQUEST")


def test_not_found_and_method_not_allowed_are_json(client: TestClient) -> None:
    assert_json_error(client.get("/api/does-not-exist"), 404, "NOT_FOUND")
    assert_json_error(client.get(TOKEN), 405, "METHOD_NOT_ALLOWED")


def test_domain_errors_keep_their_status_and_code(client: TestClient) -> None:
    body = assert_json_error(client.get("/api/test-forbidden"), 403, "NOT_A_MEMBER")
    assert body["message"] == "You are not a member of this workspace"


def test_unhandled_exception_is_a_json_500_without_details(client: TestClient) -> None:
    response = client.get("/api/test-boom", headers={"x-request-id": "boom-1"})
    assert_json_error(response, 500, "INTERNAL")
    assert "boom" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] == "boom-1"


# --- headers ----------------------------------------------------------------------------------


def test_request_id_is_generated(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert float(response.headers["x-duration-ms"]) >= 0


def test_sane_request_id_is_propagated(client: TestClient) -> None:
    rid = "Abc.123_xyz-" + "9" * 100
    assert client.get("/api/health", headers={"x-request-id": rid}).headers["x-request-id"] == rid


@pytest.mark.parametrize("rid", ["a" * 129, "has space", "semi;colon", "new\\nline", "<script>"])
def test_insane_request_id_is_replaced(client: TestClient, rid: str) -> None:
    got = client.get("/api/health", headers={"x-request-id": rid}).headers["x-request-id"]
    assert got != rid and re.fullmatch(r"[0-9a-f]{32}", got)


def test_api_responses_are_private_and_vary_on_authorization(client: TestClient) -> None:
    user = f.create_user()
    pair = client.post(TOKEN, json={"email": user.email, "password": f.PASSWORD})
    me = client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {pair.json()['access_token']}"}
    )
    unauthorized = client.get("/api/auth/me")
    for response in (pair, me, unauthorized):
        assert response.headers["cache-control"] == "private, no-store"
        assert "Authorization" in response.headers["vary"]


def test_openapi_is_served_and_docs_are_off(client: TestClient) -> None:
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    assert "/api/auth/token" in spec.json()["paths"]
    assert client.get("/docs").status_code == 404


# --- logs -------------------------------------------------------------------------------------


@contextmanager
def captured_logs() -> Iterator[tuple[list[dict[str, Any]], io.StringIO]]:
    """Capture structlog events before the scrubber (raw) and the rendered JSON lines."""
    raw: list[dict[str, Any]] = []
    rendered = io.StringIO()

    def grab(_logger: Any, _name: str, event: Any) -> Any:
        raw.append(dict(event))
        return event

    old = structlog.get_config()
    processors = list(old["processors"])
    processors.insert(1, grab)  # right after merge_contextvars: sees bound context too
    structlog.configure(
        processors=processors, logger_factory=structlog.PrintLoggerFactory(file=rendered)
    )
    try:
        yield raw, rendered
    finally:
        structlog.configure(**old)


def test_logs_never_contain_credentials_or_tokens(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    user = f.create_user()
    caplog.set_level(logging.DEBUG)
    with captured_logs() as (raw, rendered):
        bad = client.post(TOKEN, json={"email": user.email, "password": "wrong " + f.PASSWORD})
        assert bad.status_code == 401
        first = client.post(TOKEN, json={"email": user.email, "password": f.PASSWORD})
        assert first.status_code == 200
        pair = first.json()
        headers = {"Authorization": f"Bearer {pair['access_token']}"}
        assert client.get("/api/auth/me", headers=headers).status_code == 200
        second = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert second.status_code == 200
        reuse = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert reuse.status_code == 401
        bad_json = client.post(
            TOKEN,
            content=('{"email": "' + user.email + '", "password": "' + f.PASSWORD).encode(),
            headers={"content-type": "application/json"},
        )
        assert bad_json.status_code == 400
        assert (
            client.post(
                "/api/auth/logout", json={"refresh_token": second.json()["refresh_token"]}
            ).status_code
            == 204
        )

    secrets = {
        "password": f.PASSWORD,
        "email": user.email,
        "email local part": user.email.split("@")[0],
        "access token": pair["access_token"],
        "access token signature": pair["access_token"].rsplit(".", 1)[1],
        "refresh token": pair["refresh_token"],
        "rotated access token": second.json()["access_token"],
        "rotated refresh token": second.json()["refresh_token"],
    }
    text = rendered.getvalue()
    haystacks = {
        "raw structlog events": json.dumps(raw, default=str),
        "rendered JSON lines": text,
        "stdlib records": "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        "caplog text": caplog.text,
    }
    for where, haystack in haystacks.items():
        for what, secret in secrets.items():
            assert secret not in haystack, f"{what} found in {where}"

    # The capture was not vacuous: login/refresh lines carry userId, reason codes and context.
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    by_event: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_event.setdefault(line["event"], []).append(line)
    login_ok = by_event["auth.login"][0]
    assert login_ok["userId"] == str(user.id)
    assert login_ok["requestId"] == first.headers["x-request-id"]
    assert login_ok["route"] == "/api/auth/token"
    assert by_event["auth.login_failed"][0]["reason"] == "bad_password"
    assert by_event["auth.refresh_reuse_detected"][0]["userId"] == str(user.id)

    access = by_event["http.request"]
    assert len(access) == 7
    assert {(a["method"], a["route"], a["status"]) for a in access} >= {
        ("POST", "/api/auth/token", 401),
        ("POST", "/api/auth/token", 200),
        ("GET", "/api/auth/me", 200),
        ("POST", "/api/auth/refresh", 200),
        ("POST", "/api/auth/refresh", 401),
        ("POST", "/api/auth/logout", 204),
    }
    me_line = next(a for a in access if a["route"] == "/api/auth/me")
    assert me_line["userId"] == str(user.id)
    assert all(isinstance(a["latencyMs"], int | float) and a["requestId"] for a in access)


def test_access_log_has_route_template_not_query_string(client: TestClient) -> None:
    with captured_logs() as (_raw, rendered):
        client.get("/api/health?access_token=eyJhbGciOiJIUzI1NiJ9.secret.sig&x=1")
    lines = [json.loads(line) for line in rendered.getvalue().splitlines()]
    access = [line for line in lines if line["event"] == "http.request"]
    assert access[0]["route"] == "/api/health"
    assert "secret" not in rendered.getvalue() and "access_token" not in rendered.getvalue()


def test_unhandled_exception_is_logged_with_traceback(client: TestClient) -> None:
    with captured_logs() as (_raw, rendered):
        client.get("/api/test-boom", headers={"x-request-id": "boom-2"})
    lines = [json.loads(line) for line in rendered.getvalue().splitlines()]
    errors = [line for line in lines if line["event"] == "http.unhandled_exception"]
    assert errors and errors[0]["requestId"] == "boom-2"
    assert "RuntimeError" in errors[0]["exception"]
    access = [line for line in lines if line["event"] == "http.request"]
    assert access[0]["status"] == 500

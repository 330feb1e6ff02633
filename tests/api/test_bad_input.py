"""Bad input is a 400 with a JSON code on every route, and the OpenAPI document says so.

The text-parameter test walks the OpenAPI document itself, so a route or parameter added later
is covered without editing this file.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from functools import partial
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from inboxapp.analytics.queries import BOOLEANS, PARTS, SORT_KEYS
from inboxapp.analytics.windows import WINDOW_KEYS
from inboxapp.api.params import CONTROL_CHARS, SEARCH_PATTERN, SPACE_CHARS
from inboxapp.domain.categories import BY_FILTER
from inboxapp.inbox.params import CHANNELS, ORDERS, SCORES
from tests import factories as f

CONTROL = ["\x00", "\x01", "\t", "\n", "\x1b", "\x7f", "\x85", "\x9b"]


@pytest.fixture(scope="module")
def doc(api: TestClient) -> dict[str, Any]:
    resp = api.get("/api/openapi.json")
    assert resp.status_code == 200
    return dict(resp.json())


@pytest.fixture(scope="module")
def shop(api: TestClient) -> dict[str, Any]:
    owner = f.create_user(name="Input Owner")
    ws = f.create_workspace("Input", owner)
    lead = f.create_lead(ws)
    login = api.post("/api/auth/token", json={"email": owner.email, "password": f.PASSWORD})
    assert login.status_code == 200
    return {
        "owner": owner,
        "clientId": str(ws.id),
        "leadId": str(lead.id),
        "h": {"Authorization": f"Bearer {login.json()['access_token']}"},
        "refresh": login.json()["refresh_token"],
    }


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, item in doc["paths"].items() for m, op in item.items()]


def _fill(values: dict[str, str], match: re.Match[str]) -> str:
    """A path parameter's value (taken out of ``values``, which become the query)."""
    return quote(values.pop(match.group(1)))


def assert_json_400(resp: Any, what: str) -> None:
    assert resp.status_code == 400, (what, resp.status_code, resp.text)
    body = resp.json()
    assert set(body) == {"error", "message"} and body["error"], (what, body)


def test_control_characters_in_every_text_parameter_are_400(
    api: TestClient, doc: dict[str, Any], shop: dict[str, Any]
) -> None:
    checked = 0
    valid = {
        **shop,
        "provider": "emailbison",
        "webhookToken": "A" * 43,
        "draftId": str(uuid.uuid4()),
        "messageId": str(uuid.uuid4()),
    }
    for path, method, op in operations(doc):
        params = [p for p in op.get("parameters", []) if p["schema"].get("type") == "string"]
        in_path = {p["name"] for p in params if p["in"] == "path"}
        base = {
            p["name"]: valid[p["name"]]
            for p in params
            if p["name"] in ("clientId", "leadId") or p["name"] in in_path
        }
        for param in params:
            for char in CONTROL:
                values = {**base, param["name"]: f"ab{char}cd"}
                url = re.sub(r"\{(\w+)\}", partial(_fill, values), path)
                resp = api.request(method, url, params=values, headers=shop["h"])
                assert_json_400(resp, (method, path, param["name"], char))
                checked += 1
    assert checked >= 30 * len(CONTROL)


@pytest.mark.parametrize("char", CONTROL)
def test_control_characters_in_auth_bodies_are_400(
    api: TestClient, shop: dict[str, Any], char: str
) -> None:
    email, good = shop["owner"].email, f.PASSWORD
    bodies = {
        "/api/auth/token": [
            {"email": email + char, "password": good},
            {"email": char + email, "password": good},
            {"email": email, "password": good + char},
            {"grant_type": "refresh_token", "refresh_token": shop["refresh"] + char},
        ],
        "/api/auth/refresh": [{"refresh_token": shop["refresh"] + char}],
        "/api/auth/logout": [{"refresh_token": shop["refresh"] + char}],
    }
    for path, cases in bodies.items():
        for body in cases:
            assert_json_400(api.post(path, json=body), (path, body.keys()))
    # Nothing was half-done: the session is still alive and the password still works.
    assert api.post("/api/auth/token", json={"email": email, "password": good}).status_code == 200


def cursor(fields: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "fields",
    [
        {"u": "2026-01-01T00:00:00+00:00", "i": 5},
        {"u": 1, "i": "00000000-0000-0000-0000-000000000001"},
        {"u": ["x"], "i": {"a": 1}},
        {"u": None, "i": None},
        {"s": "-updatedAt", "v": 1.5, "i": True},
        {"s": 7, "v": None, "i": "00000000-0000-0000-0000-000000000001"},
        [1, 2],
        "text",
        17,
        None,
    ],
)
def test_cursors_of_any_json_shape_are_400(
    api: TestClient, shop: dict[str, Any], fields: Any
) -> None:
    for path in ("/api/inbox/conversations", "/api/analytics/crm/rows"):
        resp = api.get(
            path, params={"clientId": shop["clientId"], "cursor": cursor(fields)}, headers=shop["h"]
        )
        assert_json_400(resp, (path, fields))
        assert resp.json()["error"] == "INVALID_CURSOR"


def test_the_document_has_no_422_and_every_error_answer_has_the_error_body(
    doc: dict[str, Any],
) -> None:
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, method, op in operations(doc):
        responses = op["responses"]
        assert "422" not in responses, (method, path)
        if op.get("parameters") or op.get("requestBody"):
            assert "400" in responses, (method, path)
        if op.get("security"):
            assert "401" in responses, (method, path)
        for status, answer in responses.items():
            if status.startswith(("4", "5")):
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path, status)
            assert "x-request-id" in answer["headers"]


def test_the_document_names_every_format_and_enum_from_the_code(doc: dict[str, Any]) -> None:
    expected = {
        "clientId": {"format": "uuid"},
        "leadId": {"format": "uuid"},
        "campaignId": {"format": "uuid"},
        "filter": {"enum": list(BY_FILTER)},
        "channel": {"enum": list(CHANNELS)},
        "score": {"enum": list(SCORES)},
        "window": {"enum": list(WINDOW_KEYS)},
        "parts": {"enum": list(PARTS)},
        "sort": {"enum": list(SORT_KEYS)},
        "order": {"enum": list(ORDERS)},
        "booked": {"enum": list(BOOLEANS)},
        "from": {"format": "date"},
        "to": {"format": "date"},
    }
    seen: set[str] = set()
    for path, method, op in operations(doc):
        for param in op.get("parameters", []):
            schema = param["schema"]
            assert "anyOf" not in schema, (method, path, param["name"])  # never "or null"
            for key, value in expected.get(param["name"], {}).items():
                assert schema.get(key) == value, (method, path, param["name"])
                seen.add(param["name"])
            if schema.get("type") == "string" and "enum" not in schema:
                assert schema.get("pattern"), (method, path, param["name"])
        success = next(s for s in op["responses"] if s.startswith("2"))
        if success == "200" and path != "/api/metrics":
            content = op["responses"]["200"]["content"]["application/json"]
            assert content["schema"].get("$ref"), (method, path)
    assert seen == set(expected)


def test_the_search_pattern_trims_exactly_what_the_parser_strips() -> None:
    """``q`` is documented as having no surrounding spaces: those are what ``str.strip()``
    removes (the parser's rule), less control characters (refused anyway)."""
    control, space = re.compile(f"[{CONTROL_CHARS}]"), re.compile(f"[{SPACE_CHARS}]")
    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i <= 0xDFFF]
    stripped = {c for c in chars if c.isspace() and not control.fullmatch(c)}
    assert stripped == {c for c in chars if space.fullmatch(c)}
    assert re.fullmatch(SEARCH_PATTERN, "abc") and not re.fullmatch(SEARCH_PATTERN, " abc")
    assert not re.fullmatch(SEARCH_PATTERN, "ab") and not re.fullmatch(SEARCH_PATTERN, "a\x00c")

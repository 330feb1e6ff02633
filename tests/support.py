"""Shared test helpers: the HTTP API client and signing in through it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from inboxapp.api.app import create_api
from tests.factories import PASSWORD


def api_client() -> TestClient:
    """The HTTP API app (as Reflex mounts it), in process."""
    return TestClient(create_api())


def bearer_for(client: TestClient, user: Any, password: str = PASSWORD) -> dict[str, str]:
    """``Authorization`` header of a fresh sign-in of ``user`` (``POST /api/auth/token``)."""
    resp = client.post("/api/auth/token", json={"email": user.email, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}

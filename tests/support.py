"""Shared test helpers: the HTTP API client and signing in through it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
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


async def until(condition: Callable[[], Any], what: str, timeout: float = 15.0) -> None:
    """Yield to the event loop until ``condition()`` holds (a condition, never a window)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(0.01)

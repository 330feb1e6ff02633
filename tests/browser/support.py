"""Shared browser-test helpers."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import redis
from playwright.sync_api import Page, expect

from inboxapp.flags import override_key
from tests.factories import PASSWORD


def sign_in(
    page: Page, email: str, *, password: str = PASSWORD, lands_on: str | None = "inbox-container"
) -> None:
    """Sign in on the login page with the keyboard; wait for ``lands_on`` (a test id)."""
    page.goto("/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-password").press("Enter")
    if lands_on is not None:
        expect(page.get_by_test_id(lands_on)).to_be_visible()


@contextlib.contextmanager
def flag_off(flag: str) -> Iterator[None]:
    """Switch ``flag`` off through its Redis override (read per request, cached 1 s by the
    server). The override is global to the Redis database: keep the window short."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.set(override_key(flag), "off", ex=120)
    time.sleep(1.2)  # the server's 1 s flag cache has expired: a clock bound, not a race
    try:
        yield
    finally:
        client.delete(override_key(flag))

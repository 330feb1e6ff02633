"""Shared browser-test helpers."""

from __future__ import annotations

from playwright.sync_api import Page, expect

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

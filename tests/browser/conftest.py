"""Browser fixtures: the PRODUCTION build of the app, driven by Debian's Chromium.

* ``app_url``: the production server (:class:`inboxapp.tools.prod_server.ProdServer`: ``reflex
  run --env prod`` on a free port, its own process group) against the session's migrated test
  database (``database_url`` sets DATABASE_URL/REDIS_URL/JWT_SECRET first). Ready when
  ``/api/health`` and the built login page both answer; stopped as a group at the end.
* ``chromium``: Playwright's sync API launching /usr/bin/chromium (nothing is downloaded).
* ``page``: a fresh context per test; console errors and uncaught page errors fail the test;
  the client tokens of its tabs are kept in :data:`CLIENT_TOKENS`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from inboxapp.config import LiveSettings, env_name
from inboxapp.tools.prod_server import ProdServer
from inboxapp.tools.switch_stress import CHROMIUM_ARGS
from tests.conftest import RUN_ID

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
START_TIMEOUT_S = float(os.environ.get("BROWSER_APP_START_TIMEOUT_S", "180"))
# Not under test-results/: pytest-playwright empties that folder at session start. One file per
# run: two runs on one machine must not scan (or garble) each other's server log.
LOG_PATH = Path(
    os.environ.get(
        "BROWSER_APP_LOG", Path(tempfile.gettempdir()) / f"inboxapp-browser-app-{RUN_ID}.log"
    )
)


CLIENT_TOKENS: set[str] = set()
"""Reflex client tokens of the tabs the ``page`` fixture opened (the socket's ``token`` query
value); ``test_zz_app_log_pii`` proves none of them reached the server log."""


def _reflex_env() -> dict[str, str]:
    # A short heartbeat, so the heartbeat path of the live listener runs within a test.
    heartbeat = env_name(LiveSettings, "heartbeat_s")
    return {heartbeat: os.environ.get(heartbeat, "5")}


@pytest.fixture(scope="session")
def app_url(database_url: str) -> Iterator[str]:
    server = ProdServer(LOG_PATH, env=_reflex_env())
    try:
        try:
            server.wait_ready(START_TIMEOUT_S)
        except RuntimeError as exc:
            pytest.fail(str(exc))
        yield server.base
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def page(chromium: Browser, app_url: str, console_errors: list[str]) -> Iterator[Page]:
    context = chromium.new_context(base_url=app_url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    pg = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(f"console: {message.text} @ {message.location}")

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: console_errors.append(f"pageerror: {exc}"))
    yield pg
    for tab in context.pages:
        try:
            token = tab.evaluate("() => window.sessionStorage.getItem('token')")
        except PlaywrightError:  # a closed or crashed tab
            continue
        if token:
            CLIENT_TOKENS.add(str(token))
    context.close()
    assert console_errors == [], "browser console errors:\n" + "\n".join(console_errors)

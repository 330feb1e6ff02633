"""Browser fixtures: the PRODUCTION build of the app, driven by Debian's Chromium.

* ``app_url``: ``reflex run --env prod`` on a free port of 127.0.0.1 (frontend, API and the
  ``/_event`` websocket share it), in its own process group (setsid), against the session's
  migrated test database (``database_url`` sets DATABASE_URL/REDIS_URL/JWT_SECRET first).
  Ready when ``/api/health`` and the built index page both answer; killed as a group at the end.
* ``chromium``: Playwright's sync API launching /usr/bin/chromium (nothing is downloaded).
* ``page``: a fresh context per test; console errors and uncaught page errors fail the test;
  the client tokens of its tabs are kept in :data:`CLIENT_TOKENS`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from inboxapp.processes import reflex_env, stop_group
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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2, follow_redirects=True).status_code == 200
    except httpx.HTTPError:
        return False


def _reflex_env(port: int) -> dict[str, str]:
    env = reflex_env(port)
    env.pop("REFLEX_REDIS_URL", None)  # one worker, in-process state manager
    # A short heartbeat, so the heartbeat path of the live listener runs within a test.
    env.setdefault("INBOXAPP_LIVE_HEARTBEAT_S", "5")
    return env


def _tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return f"--- last lines of {path} ---\n" + "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def app_url(database_url: str) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = LOG_PATH
    reflex = ROOT / ".venv" / "bin" / "reflex"
    cmd = [str(reflex), "run", "--env", "prod", "--loglevel", "info"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=_reflex_env(port),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (_answers(f"{base}/api/health") and _answers(f"{base}/login")):
            if proc.poll() is not None:
                pytest.fail(f"the app exited with {proc.returncode}:\n{_tail(log_path)}")
            if time.monotonic() > deadline:
                pytest.fail(f"no answer on {base} in {START_TIMEOUT_S}s:\n{_tail(log_path)}")
            time.sleep(0.5)
        yield base
    finally:
        stop_group(proc)


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

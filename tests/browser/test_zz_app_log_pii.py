"""The production server log of this run's browser tests carries no email address, no JWT and
no Reflex client token (of any tab the tests opened; Reflex prints those of disconnected tabs).

The file name sorts last among the browser tests (which run after every other test), so the
log holds what the whole browser suite made the server do: logins, inbox, analytics, realtime.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.conftest import CLIENT_TOKENS, LOG_PATH
from tests.test_pii_logs import EMAIL, JWT

UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")

pytestmark = pytest.mark.browser


def test_the_browser_app_log_has_no_pii(app_url: str) -> None:
    text = LOG_PATH.read_text(errors="replace")
    events = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line)["event"])
            except (ValueError, KeyError):
                continue
    # The log is this run's and saw real traffic (otherwise the scan below proves nothing).
    assert "http.request" in events and "ui.live_started" in events, events[:20]
    for name, pattern in (("email", EMAIL), ("jwt", JWT)):
        found = pattern.findall(text)
        assert not found, f"{name} pattern in {LOG_PATH}: {found[:3]}"
    assert CLIENT_TOKENS, "no tab token was collected (the scan below would prove nothing)"
    leaked = [token for token in CLIENT_TOKENS if token in text]
    assert not leaked, f"{len(leaked)} client tokens in {LOG_PATH}"
    # Reflex's own console lines (not JSON) name no id at all: tokens there are hashed
    reflex_lines = [line for line in text.splitlines() if not line.startswith("{")]
    assert not [line for line in reflex_lines if UUID.search(line)]

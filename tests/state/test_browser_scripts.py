"""The page helpers (``assets/js/page.js``, ``assets/js/keyboard.js``) run in Node against a stand-in
``window``: what the calls of ``inboxapp.state.browser`` do to the address bar."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from inboxapp.state import browser

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

# A window with a location and a history that records replaceState calls, then the head scripts,
# then each call; prints the URL after each call and how many times it was replaced.
HARNESS = """
const fs = require('fs');
const [start, calls, files] = JSON.parse(fs.readFileSync(0, 'utf8'));
let href = new URL(start, 'http://app.test').href;
const replaced = [];
globalThis.window = globalThis;
Object.defineProperty(globalThis, 'location', { get: () => {
  const u = new URL(href);
  return { href: u.href, pathname: u.pathname, search: u.search, hash: u.hash };
} });
globalThis.history = { state: { n: 1 }, replaceState: (state, _t, next) => {
  replaced.push(state); href = new URL(next, href).href;
} };
for (const f of files) eval(fs.readFileSync(f, 'utf8'));
const out = [];
for (const call of calls) { eval(call); const u = new URL(href); out.push(u.pathname + u.search); }
process.stdout.write(JSON.stringify({ urls: out, replaced: replaced.length,
  keys: typeof window.inboxapp.installKeyboard }));
"""


def run(start: str, calls: list[str]) -> dict[str, Any]:
    assert NODE is not None
    files = [str(browser.JS_DIR / name) for name in browser.HEAD_SCRIPTS]
    done = subprocess.run(
        [NODE, "-e", HARNESS],
        input=json.dumps([start, calls, files]),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@needs_node
def test_lead_param_is_set_in_place_and_removed_only_on_the_shown_workspace() -> None:
    out = run(
        "/?leadId=old&clientId=c1&x=1",
        [
            browser.lead_url_script("c1", "l2"),
            browser.lead_url_script("c1", "l2"),  # unchanged: no replaceState
            browser.lead_url_script("c2", "l3"),  # another workspace's late call: ignored
            browser.lead_url_script("c1", ""),
        ],
    )
    assert out["urls"] == [
        "/?leadId=l2&clientId=c1&x=1",
        "/?leadId=l2&clientId=c1&x=1",
        "/?leadId=l2&clientId=c1&x=1",
        "/?clientId=c1&x=1",
    ]
    assert out["replaced"] == 2
    assert out["keys"] == "function"


@needs_node
def test_analytics_query_replaces_the_view_keys_and_keeps_the_rest() -> None:
    out = run(
        "/analytics?tab=crm&clientId=c1&from=2026-01-01&to=2026-01-31&window=custom",
        [
            browser.analytics_url_script("c1", {"tab": "overview", "window": "30d"}),
            browser.analytics_url_script(
                "c1",
                {"tab": "timing", "window": "custom", "from": "2026-02-01", "to": "2026-02-03"},
            ),
            browser.analytics_url_script("c9", {"tab": "crm", "window": "7d"}),
        ],
    )
    assert out["urls"] == [
        "/analytics?clientId=c1&tab=overview&window=30d",
        "/analytics?clientId=c1&tab=timing&window=custom&from=2026-02-01&to=2026-02-03",
        "/analytics?clientId=c1&tab=timing&window=custom&from=2026-02-01&to=2026-02-03",
    ]
    assert out["replaced"] == 2


def test_calls_are_one_line_by_name_with_json_arguments() -> None:
    hostile = 'x"); alert(1); ("'
    script = browser.lead_url_script(hostile, hostile)
    assert script.startswith("window.inboxapp.replaceState(") and "\n" not in script
    assert json.dumps(hostile) in script
    assert browser.call("scrollToEnd", "thread") == 'window.inboxapp.scrollToEnd("thread")'

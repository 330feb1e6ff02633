"""The states' calls into the page's JavaScript.

The browser code lives in files under ``assets/js/`` (served at ``/js/...``), loaded once in
the head of every page (:func:`head_scripts`, passed to ``rx.App(head_components=...)``):

* ``analytics_cache.js``: the analytics session cache, ``window.__inboxAnalyticsCache``;
* ``keyboard.js``: the inbox shortcuts and Ctrl/Cmd+Enter in the reply box;
* ``page.js``: the address-bar query, the browser's time zone, scrolling the thread.

A state calls them by name: each function here returns the one-line expression for
``rx.call_script``, its arguments JSON-encoded. No library travels with a call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import reflex as rx

JS_DIR = Path(__file__).resolve().parents[2] / "assets" / "js"
HEAD_SCRIPTS = ("analytics_cache.js", "keyboard.js", "page.js")
"""The files of ``assets/js/`` every page loads in its head, in this order."""

CACHE_JS_PATH = JS_DIR / "analytics_cache.js"
STORAGE_KEY = "inboxapp.analytics.v1"
CACHE_TTL_S = 600
CACHE_MAX_ENTRIES = 20
"""The session cache's storage key, entry lifetime and bound (the JS file says the same; a test
checks that they agree)."""


def head_scripts() -> list[rx.Component]:
    """``<script src>`` tags for the page head: plain (blocking) scripts, so the functions exist
    before the app starts and any state calls them."""
    return [rx.el.script(src=f"/js/{name}") for name in HEAD_SCRIPTS]


def call(function: str, *args: Any) -> str:
    """``window.inboxapp.<function>(<args as JSON>)``."""
    return f"window.inboxapp.{function}({', '.join(_js(a) for a in args)})"


def _js(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


# ---------------------------------------------------------------------------------- inbox

KEYBOARD_SCRIPT = call("installKeyboard")
TIMEZONE_SCRIPT = call("timeZone")
SCROLL_THREAD_SCRIPT = call("scrollToEnd", "thread")
SUBMIT_ON_CTRL_ENTER = "((key, info) => window.inboxapp.submitOnCtrlEnter(key, info, 'reply-form'))"
"""The reply box's key handler (a JS function for ``on_key_down``)."""


def lead_url_script(client_id: str, lead_id: str) -> str:
    """Put ``leadId`` in the address bar without a navigation (no page load runs again); "" removes
    it. Only while the URL still shows ``client_id``: a late selection never lands on the URL of
    another workspace."""
    return f"window.inboxapp.replaceState({_js(client_id)}, {{'leadId': {_js(lead_id)}}})"


ANALYTICS_QUERY_KEYS = ("tab", "window", "from", "to")
INBOX_QUERY_KEYS = (
    "filter",
    "q",
    "channel",
    "sentiment",
    "campaign",
    "score",
    "assignee",
    "snoozed",
)


def view_url_script(client_id: str, query: Mapping[str, str]) -> str:
    """The inbox view (tab, filters, search) in the address bar, without a navigation; the
    analytics parameters are dropped (they never leak into the inbox)."""
    return call("replaceState", client_id, dict(query), list(ANALYTICS_QUERY_KEYS))


def push_lead_script(client_id: str, lead_id: str) -> str:
    """Open conversation ``lead_id`` in a new history entry (Back returns to the previous one);
    only while the URL still shows ``client_id``."""
    return call("pushLead", client_id, lead_id)


# ---------------------------------------------------------------------------------- analytics

CLEAR_CACHE_SCRIPT = (
    f"try {{ window.sessionStorage.removeItem({json.dumps(STORAGE_KEY)}); }} catch (e) {{}}"
)
"""Sign-out's clean-up: removes the cache's storage key itself (needs no library)."""


def analytics_url_script(client_id: str, query: Mapping[str, str]) -> str:
    """Put ``tab``/``window``/``from``/``to`` in the address bar without a navigation, only
    while the URL still shows ``client_id`` (a late call never lands on another workspace);
    the inbox's view parameters and ``leadId`` are dropped."""
    return call(
        "replaceState", client_id, dict(query), [*ANALYTICS_QUERY_KEYS, *INBOX_QUERY_KEYS, "leadId"]
    )


def cache_get_script(user_id: str, keys: Sequence[str]) -> str:
    """The cached payloads of ``keys`` (``{key: {ts, age, data}}``, or null on a miss)."""
    return f"window.__inboxAnalyticsCache.get({_js(user_id)}, {_js(list(keys))})"


def cache_put_script(user_id: str, key: str, tab: str, data: Mapping[str, Any]) -> str:
    """Save one payload under ``key`` (refused unless ``key`` is ``user_id``'s)."""
    return f"window.__inboxAnalyticsCache.put({_js(user_id)}, {_js(key)}, {_js(tab)}, {_js(data)})"

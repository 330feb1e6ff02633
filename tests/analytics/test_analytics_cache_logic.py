"""The analytics session cache (``assets/js/analytics_cache.js``: LRU bound, TTL, per-user box) run
in Node against an in-memory ``sessionStorage``, the calls the state sends to it
(``inboxapp.state.browser``), plus the pure helpers of ``inboxapp.analytics.view`` (cache keys,
payload -> display views, window parsing)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from inboxapp.analytics import view as a
from inboxapp.analytics.windows import parse_window
from inboxapp.errors import BadRequest
from inboxapp.labels import zone
from inboxapp.state import browser

NODE = shutil.which("node")
USER_A = "11111111-1111-1111-1111-111111111111"
USER_B = "22222222-2222-2222-2222-222222222222"
WS = "33333333-3333-3333-3333-333333333333"

# A sessionStorage stand-in (optionally with a byte quota) and a settable clock around the helper.
HARNESS = """
const src = require('fs').readFileSync(process.argv[1], 'utf8');
function makeStorage(quota) {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => {
      if (quota && String(v).length > quota) {
        const e = new Error('QuotaExceededError'); e.name = 'QuotaExceededError'; throw e;
      }
      m.set(k, String(v));
    },
    removeItem: (k) => { m.delete(k); },
    raw: () => m,
  };
}
globalThis.window = { sessionStorage: makeStorage(0) };
eval(src);
const lib = window.__inboxAnalyticsCache;
const clock = { t: 1_700_000_000_000 };
let storage = makeStorage(0);
let cache = lib.create(storage, () => clock.t);
const steps = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = [];
for (const [op, ...args] of steps) {
  if (op === 'advance') { clock.t += args[0]; out.push(null); }
  else if (op === 'quota') {
    storage = makeStorage(args[0]); cache = lib.create(storage, () => clock.t); out.push(null);
  }
  else if (op === 'raw') { out.push(storage.getItem(lib.storageKey)); }
  else if (op === 'setraw') { storage.setItem(lib.storageKey, args[0]); out.push(null); }
  else if (op === 'meta') { out.push([lib.version, lib.storageKey, lib.ttlMs, lib.maxEntries]); }
  else { out.push(cache[op](...args)); }
}
process.stdout.write(JSON.stringify(out));
"""

needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def run(steps: list[list[Any]]) -> list[Any]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", HARNESS, str(browser.CACHE_JS_PATH)],
        input=json.dumps(steps),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: list[Any] = json.loads(done.stdout)
    return result


def key(n: int, user: str = USER_A) -> str:
    return a.cache_key(user, WS, "campaigns", f"custom:2026-01-{n:02d}:2026-02-01", "all")


# ---------------------------------------------------------------------------------- JS helper


@needs_node
def test_constants_match_the_python_side() -> None:
    assert run([["meta"]]) == [
        [1, browser.STORAGE_KEY, browser.CACHE_TTL_S * 1000, browser.CACHE_MAX_ENTRIES]
    ]


@needs_node
def test_put_then_get_returns_the_payload_and_misses_are_null() -> None:
    out = run(
        [
            ["put", USER_A, key(1), "campaigns", {"clientId": WS, "n": 1}],
            ["advance", 5_000],
            ["get", USER_A, [key(1), key(2)]],
            ["get", USER_A, [key(2)]],
        ]
    )
    hits = out[2]
    assert set(hits) == {key(1)}
    assert hits[key(1)]["data"] == {"clientId": WS, "n": 1}
    assert hits[key(1)]["age"] == 5_000
    assert out[3] is None


@needs_node
def test_bounded_to_twenty_entries_least_recently_used_evicted_first() -> None:
    steps: list[list[Any]] = [["put", USER_A, key(n), "campaigns", {"n": n}] for n in range(1, 21)]
    steps += [
        ["get", USER_A, [key(1)]],  # 1 becomes the most recently used
        ["put", USER_A, key(21), "campaigns", {"n": 21}],  # evicts 2, the least recent now
        ["put", USER_A, key(22), "campaigns", {"n": 22}],  # evicts 3
        ["keys", USER_A],
        ["raw"],
    ]
    out = run(steps)
    order = out[-2]
    assert len(order) == 20
    assert key(1) in order and key(2) not in order and key(3) not in order
    assert order[-3:] == [key(1), key(21), key(22)]
    box = json.loads(out[-1])
    assert box["user"] == USER_A
    assert box["order"] == order
    assert set(box["entries"]) == set(order)
    assert all(e["t"] == "campaigns" and isinstance(e["ts"], int) for e in box["entries"].values())


@needs_node
def test_entries_expire_after_ten_minutes() -> None:
    out = run(
        [
            ["put", USER_A, key(1), "campaigns", {"n": 1}],
            ["advance", 5 * 60_000],
            ["put", USER_A, key(2), "campaigns", {"n": 2}],
            ["advance", 5 * 60_000 - 1],
            ["get", USER_A, [key(1), key(2)]],  # 1 is 9:59.999 old: still there
            ["advance", 1],
            ["get", USER_A, [key(1), key(2)]],  # 1 is exactly 10 min old: gone
            ["keys", USER_A],
        ]
    )
    assert set(out[4]) == {key(1), key(2)}
    assert set(out[6]) == {key(2)}
    assert out[7] == [key(2)]


@needs_node
def test_another_users_box_is_dropped_unread() -> None:
    out = run(
        [
            ["put", USER_A, key(1), "campaigns", {"secret": "a"}],
            ["get", USER_B, [key(1), key(1, USER_B)]],
            ["raw"],
            ["put", USER_B, key(2, USER_B), "campaigns", {"n": 2}],
            ["keys", USER_B],
            ["get", USER_A, [key(1)]],
        ]
    )
    assert out[1] is None
    assert out[2] is None  # the first user's box is gone
    assert out[4] == [key(2, USER_B)]
    assert out[5] is None


@needs_node
def test_put_refuses_keys_of_another_user_and_clear_removes_everything() -> None:
    out = run(
        [
            ["put", USER_A, key(1, USER_B), "campaigns", {"n": 1}],
            ["put", "", key(1), "campaigns", {"n": 1}],
            ["put", USER_A, key(1), "campaigns", {"n": 1}],
            ["clear"],
            ["raw"],
        ]
    )
    assert out[:3] == [False, False, True]
    assert out[4] is None


@needs_node
def test_corrupt_storage_is_dropped_and_a_full_storage_evicts_old_entries() -> None:
    big = "x" * 400
    out = run(
        [
            ["setraw", "{not json"],
            ["get", USER_A, [key(1)]],
            ["raw"],
            ["quota", 1_500],  # room for about three entries of ~420 bytes
            *[["put", USER_A, key(n), "campaigns", {"pad": big}] for n in range(1, 6)],
            ["keys", USER_A],
            ["put", USER_A, key(9), "campaigns", {"pad": "y" * 2_000}],  # never fits
            ["keys", USER_A],
        ]
    )
    assert out[1] is None and out[2] is None
    kept = out[9]
    assert 1 <= len(kept) < 5 and kept[-1] == key(5)
    assert out[10] is False
    assert out[11] == []


@needs_node
def test_the_scripts_sent_to_the_browser_evaluate_to_the_cache_calls() -> None:
    """``cache_put_script`` / ``cache_get_script`` are what ``rx.call_script`` evaluates (in a
    page whose head loaded the library)."""
    k = a.cache_key(USER_A, WS, "overview", "30d", "core")
    put = browser.cache_put_script(
        USER_A, k, "overview", {"clientId": WS, "core": {"totalLeads": 3}}
    )
    get = browser.cache_get_script(USER_A, [k])
    program = f"""
    const m = new Map();
    globalThis.window = {{ sessionStorage: {{
      getItem: (x) => (m.has(x) ? m.get(x) : null), setItem: (x, v) => m.set(x, v),
      removeItem: (x) => m.delete(x) }} }};
    eval(require('fs').readFileSync({json.dumps(str(browser.CACHE_JS_PATH))}, 'utf8'));
    const r1 = eval({json.dumps(put)});
    const r2 = eval({json.dumps(get)});
    eval({json.dumps(browser.CLEAR_CACHE_SCRIPT)});
    process.stdout.write(JSON.stringify([r1, r2, m.size]));
    """
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", program], capture_output=True, text=True, timeout=30, check=True
    )
    r1, r2, size = json.loads(done.stdout)
    assert r1 is True
    assert r2[k]["data"]["core"] == {"totalLeads": 3}
    assert size == 0


# ---------------------------------------------------------------------------------- keys


def test_cache_keys_start_with_the_user_and_name_every_dimension() -> None:
    k = a.cache_key(USER_A, WS, "overview", a.window_token("30d"), "core")
    assert k == f"{USER_A}|{WS}|overview|30d|core"
    custom = a.window_token("custom", "2026-01-01", "2026-01-31")
    assert custom == "custom:2026-01-01:2026-01-31"
    assert a.cache_parts("overview") == ("core", "breakdowns")
    assert a.cache_parts("timing") == ("all",)
    assert a.cache_parts("crm", "-createdAt", "") == ("rows:-createdAt:*",)
    assert a.cache_parts("crm", "-createdAt", "new") == ("rows:-createdAt:new",)


def test_the_clear_script_names_the_storage_key() -> None:
    assert json.dumps(browser.STORAGE_KEY) in browser.CLEAR_CACHE_SCRIPT


def test_the_library_is_loaded_once_in_the_head_and_never_sent_with_a_call() -> None:
    sources = [str(tag.src).strip('"') for tag in browser.head_scripts()]
    assert "/js/analytics_cache.js" in sources
    assert "root.__inboxAnalyticsCache = api" in browser.CACHE_JS_PATH.read_text()
    calls = (
        browser.cache_get_script(USER_A, ["k"]),
        browser.cache_put_script(USER_A, "k", "overview", {"n": 1}),
    )
    for script in calls:
        assert script.startswith("window.__inboxAnalyticsCache.")
        assert "root.__inboxAnalyticsCache" not in script and "\n" not in script


# ---------------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (None, "—"),
        (-1, "—"),
        (0, "0s"),
        (59.4, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h"),
        (3600 + 20 * 60, "1h 20m"),
        (86400, "1d"),
        (86400 * 2 + 3600 * 4, "2d 4h"),
    ],
)
def test_duration_label(seconds: Any, label: str) -> None:
    assert a.duration_label(seconds) == label


def test_numbers_rates_and_periods() -> None:
    assert a.count_label(1234567) == "1,234,567"
    assert a.count_label(None) == "0"
    assert a.pct_label(None) == "—"
    assert a.pct_label(12.5) == "12.5%"
    assert a.pct_label(40.0) == "40%"
    data = {"from": "2026-02-05", "to": "2026-03-06", "days": 30, "timezone": "Europe/Paris"}
    assert a.period_label(data) == "Feb 5 \u2013 Mar 6, 2026 · 30 days · Europe/Paris"
    across = {"from": "2025-12-30", "to": "2026-01-01", "timezone": "UTC"}
    assert a.period_label(across) == "Dec 30, 2025 \u2013 Jan 1, 2026 · 3 days · UTC"
    assert a.period_label({}) == ""
    assert a.time_unit([None, 30.0]) == ("seconds", 1)
    assert a.time_unit([600.0]) == ("minutes", 60)
    assert a.time_unit([3 * 3600.0, None]) == ("hours", 3600)


# ---------------------------------------------------------------------------------- views


def test_kpi_view_has_every_card() -> None:
    values, hints = a.kpi_view(
        {
            "totalLeads": 1200,
            "leadsContacted": 1000,
            "responses": 250,
            "responseRate": 25.0,
            "meetingsRequested": 40,
            "meetingsBooked": 12,
            "setterMedianResponseSeconds": 1800,
            "aiMedianResponseSeconds": 45,
            "setterResponses": 300,
            "aiResponses": 80,
        }
    )
    assert set(values) == set(hints) == set(a.KPI_KEYS)
    assert values["totalLeads"] == "1,200"
    assert values["responseRate"] == "25%"
    assert values["setterMedianResponse"] == "30m"
    assert values["aiMedianResponse"] == "45s"
    assert "300 replies" in hints["setterMedianResponse"]
    assert a.replies_label(1) == "1 reply" and a.replies_label(1200) == "1,200 replies"
    empty_values, _ = a.kpi_view({})
    assert empty_values["responseRate"] == "—" and empty_values["totalLeads"] == "0"


def test_breakdowns_view_keeps_numbers_for_the_charts() -> None:
    view = a.breakdowns_view(
        {
            "bySentiment": [
                {"sentiment": "Interested", "leads": 5},
                {"sentiment": "None", "leads": 2},
                {"sentiment": "Objection", "leads": 0},
            ],
            "leadsByStatus": [{"status": "meeting-booked", "leads": 3}],
            "weekly": [{"week": "2026-03-02", "inbound": 4, "outbound": 9}],
            "perSetter": [
                {
                    "setterId": "x",
                    "name": "Sam",
                    "setter": {"responses": 3, "medianSeconds": 7200, "p90Seconds": 9000},
                    "ai": {"responses": 0, "medianSeconds": None},
                }
            ],
        }
    )
    assert view["sentiment_data"] == [
        {"name": "Interested", "leads": 5, "fill": a.SENTIMENT_FILLS["Interested"]},
        {"name": "None", "leads": 2, "fill": a.FALLBACK_FILL},
    ]
    assert view["status_data"] == [{"status": "Meeting booked", "leads": 3}]
    assert view["weekly_data"] == [{"week": "Mar 2", "inbound": 4, "outbound": 9}]
    assert view["setter_timing_unit"] == "hours"
    assert view["setter_timing_data"] == [{"name": "Sam", "setter": 2.0, "ai": None}]
    assert view["setter_timing_rows"][0]["setter_median"] == "2h"
    assert view["setter_timing_rows"][0]["ai_median"] == "—"


def test_tab_views() -> None:
    campaigns = a.tab_view(
        "campaigns",
        {
            "campaigns": [
                {"campaignId": "c1", "name": "Q3", "channel": "email", "contacted": 10,
                 "replies": 4, "positiveReplies": 2, "meetingsRequested": 1, "meetingsBooked": 1,
                 "replyRate": 40.0, "positiveRate": 50.0, "meetingRequestRate": 25.0,
                 "bookingRate": 25.0},
                {"campaignId": None, "name": "No campaign", "channel": None, "contacted": 0,
                 "replies": 0},
            ]
        },
    )  # fmt: skip
    assert campaigns["campaign_rows"][0]["reply_rate"] == "40%"
    assert campaigns["campaign_rows"][0]["channel"] == "Email"
    assert [c["name"] for c in campaigns["campaign_chart"]] == ["Q3"]
    setters = a.tab_view(
        "setters",
        {"setters": [{"setterId": "s", "name": "Ana", "assigned": 8, "responded": 6,
                      "respondedRate": 75.0, "booked": 1}]},
    )  # fmt: skip
    assert setters["setter_rows"][0]["responded_rate"] == "75%"
    assert setters["setter_chart"][0]["assigned"] == 8
    timing = a.tab_view(
        "timing",
        {
            "distributions": {
                "setter": {"responses": 2, "medianSeconds": 90, "buckets": [
                    {"label": "<30s", "count": 0}, {"label": "1m-2m", "count": 2}]},
                "ai": {"responses": 1, "medianSeconds": 10, "buckets": [
                    {"label": "<30s", "count": 1}, {"label": "1m-2m", "count": 0}]},
            },
            "byHour": [{"hour": 9, "setter": {"medianSeconds": 90}, "ai": {"medianSeconds": 10}}],
        },
    )  # fmt: skip
    assert timing["timing_summary"]["setter_median"] == "1m"
    assert timing["timing_summary"]["ai_n"] == "1 reply"
    assert timing["timing_buckets"] == [
        {"label": "<30s", "setter": 0, "ai": 1},
        {"label": "1m-2m", "setter": 2, "ai": 0},
    ]
    assert timing["timing_hours"] == [{"hour": "09:00", "setter": 90.0, "ai": 10.0}]
    crm = a.tab_view(
        "crm",
        {
            "timezone": "America/New_York",
            "nextCursor": "abc",
            "items": [{"id": "l1", "name": "Maya", "status": "meeting-booked",
                       "sentimentTag": "Interested", "createdAt": "2026-03-02T03:00:00+00:00"}],
        },
    )  # fmt: skip
    assert crm["crm_next_cursor"] == "abc"
    row = crm["crm_rows"][0]
    assert row["created"] in ("Mar 1", "Mar 1, 2026")  # 03:00 UTC is still March 1 in New York
    tz = zone("America/New_York")
    assert a.day_label("2026-03-02T03:00:00+00:00", tz, 2026) == "Mar 1"
    assert a.day_label("2025-03-02T03:00:00+00:00", tz, 2026) == "Mar 1, 2025"
    assert a.day_label(None, tz, 2026) == ""
    assert row["status"] == "Meeting booked"
    assert row["sentiment_color"] == "teal"
    assert row["assignee"] == "Unassigned"
    with pytest.raises(ValueError):
        a.tab_view("overview", {})


# ---------------------------------------------------------------------------------- windows


def test_bad_custom_windows_read_as_sentences() -> None:
    with pytest.raises(BadRequest) as exc:
        parse_window("custom", "2026-03-01", "2026-02-01")
    assert a.human_error(exc.value.message) == "From must be on or before to."
    with pytest.raises(BadRequest) as exc:
        parse_window("custom", "2025-01-01", "2025-12-31")
    assert a.human_error(exc.value.message).startswith("A custom window covers at most 180 days")


def test_window_from_query() -> None:
    assert a.window_from_query({}) is None
    assert a.window_from_query({"window": "7d"}) == ("7d", "", "")
    assert a.window_from_query({"window": "7d", "from": "2026-01-01"}) == ("7d", "", "")
    custom = {"window": "custom", "from": "2026-01-01", "to": "2026-01-31"}
    assert a.window_from_query(custom) == ("custom", "2026-01-01", "2026-01-31")
    assert (
        a.window_from_query({"window": "custom", "from": "2026-02-01", "to": "2026-01-01"}) is None
    )
    assert a.window_from_query({"window": "bogus"}) is None

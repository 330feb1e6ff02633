"""Pure helpers of the inbox screen (``inboxapp.inbox.view``): tabs, list parameters, display
formatting, snooze presets; and the state helpers they go with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inboxapp.domain.categories import BY_FILTER, COUNT_KEYS
from inboxapp.inbox import view as ui
from inboxapp.inbox.params import parse_list_params
from inboxapp.state import base, browser

NOW = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)  # a Wednesday
BERLIN = ZoneInfo("Europe/Berlin")


def test_every_count_key_is_a_tab_or_the_awaiting_stat() -> None:
    keys = [t.key for t in ui.LIST_TABS] + [ui.AWAITING_TAB.key]
    assert sorted(keys) == sorted(COUNT_KEYS)
    assert ui.AWAITING_TAB.list_filter is None
    for tab in ui.LIST_TABS:
        assert tab.list_filter in BY_FILTER
        assert BY_FILTER[tab.list_filter].count_key == tab.key
    assert ui.DEFAULT_TAB in ui.TAB_FILTERS


def test_list_query_is_accepted_by_the_domain_parser() -> None:
    raw = ui.list_query(
        "requiresAttention",
        q="maya",
        channel="sms",
        sentiments=["Interested", "Follow Up"],
        campaign_id="2b1c1f7e-4a61-4a7c-8f0e-0d8a3c7f9a10",
        score="3+",
    )
    params = parse_list_params(**raw)
    assert params.filter == "attention"
    assert params.limit == ui.PAGE_SIZE == 50
    assert params.sentiments == ("Follow Up", "Interested")
    assert params.q == "maya" and params.channel == "sms" and params.score == "3+"
    empty = parse_list_params(**ui.list_query("total"))
    assert empty.filter == "all" and empty.q is None and empty.sentiments == ()
    assert empty.order == "newest"
    assert parse_list_params(**ui.list_query("total", order="oldest")).order == "oldest"


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=20), "now"),
        (timedelta(minutes=12), "12m"),
        (timedelta(hours=5), "5h"),
        (timedelta(days=1, hours=3), "Yesterday"),
        (timedelta(days=4), "Sat"),
        (timedelta(days=40), "Jan 31"),
        (timedelta(days=400), "Feb 6 2024"),
    ],
)
def test_relative_time(delta: timedelta, expected: str) -> None:
    assert ui.relative_time((NOW - delta).isoformat(), NOW, UTC) == expected


def test_times_use_the_viewer_time_zone() -> None:
    late = datetime(2025, 3, 11, 23, 30, tzinfo=UTC)  # already Mar 12 in Berlin
    assert ui.clock_time(late, NOW, UTC) == "Yesterday 23:30"
    assert ui.clock_time(late, NOW, BERLIN) == "00:30"
    assert ui.relative_time(None, NOW, UTC) == ""
    assert ui.clock_time("not a date", NOW, UTC) == ""


def test_snooze_presets() -> None:
    assert ui.snooze_until("1h", NOW, UTC) == NOW + timedelta(hours=1)
    assert ui.snooze_until("tomorrow", NOW, UTC) == datetime(2025, 3, 13, 9, 0, tzinfo=UTC)
    # 9:00 in Berlin (UTC+1 in March before DST) is 8:00 UTC.
    assert ui.snooze_until("tomorrow", NOW, BERLIN) == datetime(2025, 3, 13, 8, 0, tzinfo=UTC)
    assert ui.snooze_until("next_week", NOW, UTC) == datetime(2025, 3, 17, 9, 0, tzinfo=UTC)
    monday = datetime(2025, 3, 17, 10, 0, tzinfo=UTC)
    assert ui.snooze_until("next_week", monday, UTC) == datetime(2025, 3, 24, 9, 0, tzinfo=UTC)
    assert ui.snooze_until("clear", NOW, UTC) is None
    with pytest.raises(ValueError):
        ui.snooze_until("forever", NOW, UTC)


def test_row_view_is_display_ready_strings() -> None:
    row = ui.row_view(
        {
            "id": "1",
            "name": "Maya Chen",
            "company": None,
            "status": "meeting-booked",
            "sentimentTag": "Interested",
            "preview": "Sounds  good,\nsend it over",
            "lastMessageAt": (NOW - timedelta(minutes=5)).isoformat(),
            "lastMessageDirection": "inbound",
            "unreadCount": 2,
            "assigneeName": "Sasha Setter",
        },
        NOW,
        UTC,
    )
    assert all(isinstance(v, str) for v in row.values())
    assert row["status_label"] == "Meeting booked"
    assert row["sentiment_color"] == "teal"
    assert row["preview"] == "Sounds good, send it over"
    assert (row["time"], row["unread"], row["assignee_initials"]) == ("5m", "2", "SS")
    quiet = ui.row_view({"id": "2", "name": "", "unreadCount": 0}, NOW, UTC)
    assert (quiet["name"], quiet["unread"], quiet["assignee"]) == ("Unknown lead", "", "")


def test_message_senders() -> None:
    base = {"channel": "email", "sentAt": NOW.isoformat()}
    assert ui.message_view({**base, "direction": "inbound"}, "Maya", NOW, UTC)["sender"] == "Maya"
    ai = {**base, "direction": "outbound", "sentBy": "ai", "source": "zrg"}
    assert ui.message_view(ai, "Maya", NOW, UTC)["sender"] == "AI"
    setter = {**base, "direction": "outbound", "sentBy": "setter", "senderName": "Sasha"}
    assert ui.message_view(setter, "Maya", NOW, UTC)["sender"] == "Sasha"
    campaign = {**base, "direction": "outbound", "source": "campaign"}
    assert ui.message_view(campaign, "Maya", NOW, UTC)["sender"] == "Campaign"


def test_lead_view_marks_unknown_values_and_future_snoozes() -> None:
    lead = ui.lead_view(
        {
            "name": "Maya Chen",
            "status": "custom-status",
            "sentimentTag": "Interested",
            "overallScore": 0,
            "snoozedUntil": (NOW + timedelta(hours=2)).isoformat(),
        },
        NOW,
        UTC,
    )
    assert lead["status_known"] == "" and lead["sentiment_known"] == "1"
    assert lead["score"] == "Score 0 (disqualified)"  # issue 18: "☆ Disqualified" was unclear
    assert lead["snoozed_until"] == "17:30"
    past = ui.lead_view({"snoozedUntil": (NOW - timedelta(hours=2)).isoformat()}, NOW, UTC)
    assert past["snoozed_until"] == ""


def test_human_error_and_helpers() -> None:
    assert ui.human_error("write a message first") == "Write a message first."
    assert ui.human_error("") == ui.MSG_ACTION_FAILED
    assert base.is_uuid("2b1c1f7e-4a61-4a7c-8f0e-0d8a3c7f9a10") and not base.is_uuid("nope")
    assert ui.zone("Not/AZone") is UTC
    script = browser.lead_url_script("c1", "l1")
    assert "'leadId'" in script and '"c1"' in script and "replaceState" in script


def test_the_page_title_leads_with_the_attention_count() -> None:
    assert ui.page_title(0) == "Inbox · Inbox"
    assert ui.page_title(-1) == "Inbox · Inbox"
    assert ui.page_title(1234) == "(1,234) Inbox · Inbox"

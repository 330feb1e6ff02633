"""Reflex state handlers driven directly with hostile arguments: foreign workspace and lead ids,
unknown filters, huge strings, wrong types. Whatever a tampered client sends, nothing changes:
no state var (nothing is marked dirty, so no delta is sent) and no database row.

The event gate (:mod:`inboxapp.state.event_gate`) already drops mistyped events at the socket;
these tests call the handlers themselves, as if a value got past it.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from typing import Any

import pytest
import reflex as rx
import sqlalchemy as sa
import wrapt

import inboxapp.pages  # noqa: F401 (the pages' states register their handlers)
from inboxapp.analytics.view import cache_key
from inboxapp.auth import service as auth_service
from inboxapp.db.engine import owner_session
from inboxapp.domain import roles
from inboxapp.inbox import bulk
from inboxapp.state.analytics import AnalyticsState
from inboxapp.state.auth import AuthState
from inboxapp.state.inbox import InboxState
from inboxapp.state.jobs import JobsState
from inboxapp.state.workspace import WorkspaceState
from tests import factories as f

HUGE = "x" * 200_000
HOSTILE: tuple[Any, ...] = (
    "",
    "bogus",
    HUGE,
    '\'; DROP TABLE "Lead"; --',
    "\x00\u202e",
    None,
    7,
    -1.5,
    True,
    ["total"],
    {"key": "total"},
)
"""Values no handler should act on (besides the foreign ids of each test)."""


class Tab(wrapt.ObjectProxy):  # type: ignore[misc]
    """A background task's view of a state: ``async with`` is the state lock (a no-op here,
    the test is the only writer) and attributes reach the state itself."""

    async def __aenter__(self) -> Tab:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def run(handler: Any, state: Any, *args: Any) -> list[Any]:
    """Run an event handler (regular or background) on ``state``; returns what it chained."""
    result = handler.fn(Tab(state) if handler.is_background else state, *args)
    if hasattr(result, "__aiter__"):

        async def drain() -> list[Any]:
            return [event async for event in result]

        return asyncio.run(drain())
    if asyncio.iscoroutine(result):
        value = asyncio.run(result)
        return [] if value is None else [value]
    return [] if result is None else list(result) if isinstance(result, list) else [result]


def tab_of(cls: type[rx.State]) -> Any:
    """A fresh state tree (as the memory state manager builds one) and its ``cls`` substate."""
    root = rx.State(_reflex_internal_init=True)
    return root.get_substate(cls.get_full_name().split(".")[1:])


def snapshot(state: Any) -> dict[str, Any]:
    names = [*type(state).base_vars, *(n for n in type(state).__fields__ if n.startswith("_"))]
    return {name: copy.deepcopy(getattr(state, name)) for name in names}


def clean(state: Any) -> None:
    """Forget what the test's own set-up marked dirty."""
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    root._clean()


def assert_untouched(state: Any, before: dict[str, Any]) -> None:
    assert snapshot(state) == before
    node = state
    while node is not None:
        assert not node.dirty_vars, f"{type(node).__name__} marked {node.dirty_vars}"
        node = node.parent_state


def db_rows(*leads: Any) -> dict[str, Any]:
    """Everything a write could touch: row counts and the leads' fields."""
    with owner_session() as s:
        counts = {
            table: s.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in ("Message", "Lead", "AIDraft", "ClientMember", "Campaign", "Outbox")
        }
        rows = {
            str(lead.id): tuple(
                s.execute(sa.text('SELECT * FROM "Lead" WHERE id = :i'), {"i": lead.id}).one()
            )
            for lead in leads
        }
        drafts = s.execute(sa.text('SELECT id, status, body FROM "AIDraft" ORDER BY id')).all()
    return {"counts": counts, "leads": rows, "drafts": [tuple(d) for d in drafts]}


@pytest.fixture
def world() -> dict[str, Any]:
    owner, stranger = f.create_user(name="Owner"), f.create_user(name="Stranger")
    mine, theirs = f.create_workspace("Mine", owner), f.create_workspace("Theirs", stranger)
    campaign, foreign_campaign = f.create_campaign(mine), f.create_campaign(theirs)
    lead = f.create_lead(mine, sentimentTag="Interested", status="new")
    foreign_lead = f.create_lead(theirs, sentimentTag="Interested", status="new")
    f.create_message(foreign_lead, direction="inbound", body="secret of theirs")
    foreign_draft = f.create_draft(foreign_lead)
    return {
        "owner": owner,
        "stranger": stranger,
        "mine": mine,
        "theirs": theirs,
        "campaign": campaign,
        "foreign_campaign": foreign_campaign,
        "lead": lead,
        "foreign_lead": foreign_lead,
        "foreign_draft": foreign_draft,
    }


def signed_in(cls: type[rx.State], world: dict[str, Any], **values: Any) -> Any:
    """A tab of ``cls`` whose owner is signed in with workspace "Mine" active, ``values`` set,
    and nothing marked dirty."""
    state = tab_of(cls)
    client = str(world["mine"].id)
    state._user_id = str(world["owner"].id)
    state._session_id = world.setdefault("session", f.open_session(world["owner"].id))
    state.workspaces = [
        {"id": client, "name": "Mine", "role": "OWNER", "role_label": roles.label("OWNER")}
    ]
    state.active_id, state.active_name, state.active_role = client, "Mine", "OWNER"
    state.ready = True
    state.loading = False
    for name, value in values.items():
        setattr(state, name, value)
    clean(state)
    return state


@pytest.fixture
def inbox(world: dict[str, Any]) -> Any:
    return signed_in(
        InboxState,
        world,
        inbox_client=str(world["mine"].id),
        _inbox_user=str(world["owner"].id),
        role="OWNER",
        _tz="Europe/Berlin",
        campaigns=[{"id": str(world["campaign"].id), "name": "Campaign"}],
    )


@pytest.fixture
def analytics(world: dict[str, Any]) -> Any:
    state = signed_in(
        AnalyticsState,
        world,
        an_client=str(world["mine"].id),
        _an_user=str(world["owner"].id),
        an_role="OWNER",
    )
    state._view = state._view_key()
    clean(state)
    return state


# ---------------------------------------------------------------------------------- inbox


@pytest.mark.parametrize(
    ("handler", "extra"),
    [
        ("select_tab", ()),
        ("set_channel_filter", ()),
        ("set_score_filter", ()),
        ("set_list_order", ()),
        ("set_campaign_filter", ()),
        ("toggle_sentiment", (True,)),
        ("toggle_sentiment", (False,)),
        ("select_lead", ()),
        ("follow_url_lead", ()),
        ("set_assignee_filter", ()),
        ("read_after_dwell", ()),
        ("keep_reply", ()),
        ("snooze_to", ()),
        ("snooze", ()),
        ("switch_workspace", ()),
        ("set_timezone", ()),
        ("retry_delivery", ()),
        ("toggle_checked", ()),
        ("toggle_checked", (True,)),
        ("bulk_action", ()),
        ("bulk_action", ("read",)),
    ],
)
def test_inbox_handlers_ignore_hostile_values(
    inbox: Any, world: dict[str, Any], handler: str, extra: tuple[Any, ...]
) -> None:
    rows = db_rows(world["lead"], world["foreign_lead"])
    before = snapshot(inbox)
    for value in HOSTILE:
        assert run(getattr(InboxState, handler), inbox, value, *extra) == []
        assert_untouched(inbox, before)
    assert db_rows(world["lead"], world["foreign_lead"]) == rows


def test_foreign_ids_are_not_filters_nor_workspaces(inbox: Any, world: dict[str, Any]) -> None:
    before = snapshot(inbox)
    assert run(InboxState.set_campaign_filter, inbox, str(world["foreign_campaign"].id)) == []
    assert run(InboxState.switch_workspace, inbox, str(world["theirs"].id)) == []
    assert run(InboxState.select_tab, inbox, inbox.tab) == []  # the shown tab: nothing to do
    assert_untouched(inbox, before)


def test_a_foreign_lead_opens_nothing_of_theirs(inbox: Any, world: dict[str, Any]) -> None:
    rows = db_rows(world["lead"], world["foreign_lead"])
    run(InboxState.select_lead, inbox, str(world["foreign_lead"].id))
    run(InboxState.load_conversation, inbox)
    assert inbox.lead == {} and inbox.messages == [] and inbox.draft == {}
    assert "isn't available" in inbox.conversation_error
    assert "secret of theirs" not in repr(snapshot(inbox))
    assert db_rows(world["lead"], world["foreign_lead"]) == rows


@pytest.mark.parametrize(
    ("handler", "args"),
    [
        ("send_reply", ({"body": "taken over"},)),
        ("mark_read", ()),
        ("snooze", ("1h",)),
        ("change_sentiment", ("Blacklist",)),
        ("change_status", ("blacklisted",)),
        ("assign_to", (None,)),
        ("approve_draft", ()),
        ("reject_draft", ()),
        ("save_draft", ()),
        ("cancel_auto_send", ()),
        ("regenerate_draft", ()),
        ("mark_unread", ()),
        ("snooze_to", ({"until": "2026-12-24T09:00"},)),
    ],
)
def test_writes_to_a_foreign_lead_or_draft_write_nothing(
    inbox: Any, world: dict[str, Any], handler: str, args: tuple[Any, ...]
) -> None:
    """The tab's selection forged to another workspace's lead and draft: every write is refused
    by the service (the lead is not in the shown workspace), and the tab says so."""
    inbox.selected_id = str(world["foreign_lead"].id)
    inbox.draft = {"id": str(world["foreign_draft"].id), "body": "Draft reply"}
    inbox.draft_text = "edited by an attacker"
    rows = db_rows(world["lead"], world["foreign_lead"])
    args = (str(world["stranger"].id),) if handler == "assign_to" else args
    run(getattr(InboxState, handler), inbox, *args)
    assert db_rows(world["lead"], world["foreign_lead"]) == rows
    assert inbox.action_error != "" and inbox.busy == ""


def test_bulk_actions_with_hostile_values_or_foreign_rows_write_nothing(
    inbox: Any, world: dict[str, Any]
) -> None:
    """Every bulk action with each hostile value, then a selection forged to hold another
    workspace's lead, then a forged Undo of it: nothing is written, the tab says why."""
    inbox.rows = [{"id": str(world["lead"].id)}]
    inbox.checked_ids = [str(world["lead"].id)]
    clean(inbox)
    rows = db_rows(world["lead"], world["foreign_lead"])
    for action in ("snooze", "status", "assign"):
        for value in HOSTILE:
            run(InboxState.bulk_action, inbox, action, value)
            assert inbox.bulk_busy is False
    assert db_rows(world["lead"], world["foreign_lead"]) == rows
    inbox.checked_ids = [str(world["lead"].id), str(world["foreign_lead"].id)]
    for action, value in (("read", ""), ("status", "blacklisted"), ("snooze", "1h")):
        inbox.bulk_error = ""
        run(InboxState.bulk_action, inbox, action, value)
        assert inbox.bulk_error != "" and inbox.bulk_busy is False and inbox.bulk_undo_label == ""
    assert db_rows(world["lead"], world["foreign_lead"]) == rows
    forged = bulk.BulkResult("status", {str(world["foreign_lead"].id): "blacklisted"})
    inbox._bulk_undo, inbox._bulk_undo_client = forged.to_json(), inbox.inbox_client
    run(InboxState.bulk_undo, inbox)
    assert db_rows(world["lead"], world["foreign_lead"]) == rows
    assert inbox.bulk_error != ""


def test_checking_rows_takes_only_shown_rows_and_shift_takes_a_range(inbox: Any) -> None:
    ids = [str(uuid.uuid4()) for _ in range(5)]
    inbox.rows = [{"id": i} for i in ids]
    run(InboxState.toggle_checked, inbox, ids[1])
    run(InboxState.toggle_checked, inbox, ids[3], True)
    assert inbox.checked_ids == ids[1:4]
    run(InboxState.toggle_checked, inbox, str(uuid.uuid4()), True)  # not shown: nothing
    run(InboxState.toggle_checked, inbox, ids[2], "yes")  # not a real shift: a toggle
    assert inbox.checked_ids == [ids[1], ids[3]]
    run(InboxState.check_none, inbox)
    assert inbox.checked_ids == []


def test_a_forged_undo_of_a_foreign_draft_writes_nothing(inbox: Any, world: dict[str, Any]) -> None:
    """The tab's Undo offer forged to restore another workspace's draft: refused."""
    draft_status = sa.text('SELECT status FROM "AIDraft" WHERE id = :d')
    with owner_session() as s:
        s.execute(sa.text('UPDATE "AIDraft" SET status = \'rejected\' WHERE id = :d'),
                  {"d": world["foreign_draft"].id})  # fmt: skip
    inbox.selected_id = str(world["foreign_lead"].id)
    inbox._undo_kind, inbox._undo_lead = "reject", str(world["foreign_lead"].id)
    inbox._undo_value = str(world["foreign_draft"].id)
    rows = db_rows(world["lead"], world["foreign_lead"])
    run(InboxState.undo, inbox)
    assert db_rows(world["lead"], world["foreign_lead"]) == rows
    assert inbox.action_error != "" and inbox.busy == ""
    with owner_session() as s:
        assert s.execute(draft_status, {"d": world["foreign_draft"].id}).scalar() == "rejected"


def test_retrying_a_foreign_message_writes_nothing(inbox: Any, world: dict[str, Any]) -> None:
    """A forged thread row naming another workspace's message as a failed send: the service
    finds no such message in the shown workspace, nothing is queued, the tab says why."""
    foreign = f.create_message(world["foreign_lead"], direction="outbound", body="theirs")
    inbox.selected_id = str(world["lead"].id)
    inbox.messages = [{"id": str(foreign.id), "delivery": "failed"}]
    clean(inbox)
    rows = db_rows(world["lead"], world["foreign_lead"])
    assert run(InboxState.retry_delivery, inbox, str(world["lead"].id)) == []  # not shown
    run(InboxState.retry_delivery, inbox, str(foreign.id))
    assert db_rows(world["lead"], world["foreign_lead"]) == rows
    assert inbox.action_error != "" and inbox.busy == ""


def test_writes_in_a_foreign_workspace_write_nothing(inbox: Any, world: dict[str, Any]) -> None:
    """The tab's workspace forged to one the user is not a member of."""
    inbox.inbox_client = str(world["theirs"].id)
    inbox.selected_id = str(world["foreign_lead"].id)
    rows = db_rows(world["lead"], world["foreign_lead"])
    events = run(InboxState.send_reply, inbox, {"body": "hello from outside"})
    assert WorkspaceState.load in events  # the membership is gone: reload the workspaces
    run(InboxState.change_status, inbox, "blacklisted")
    run(InboxState.load_conversation, inbox)
    assert db_rows(world["lead"], world["foreign_lead"]) == rows
    assert "secret of theirs" not in repr(snapshot(inbox))


def test_the_snoozed_view_and_next_after_send_take_only_a_real_true(inbox: Any) -> None:
    before = snapshot(inbox)
    for value in [v for v in HOSTILE if v is not True]:
        assert run(InboxState.set_snoozed_only, inbox, value) == []
        assert run(InboxState.set_auto_advance, inbox, value) == []
        assert_untouched(inbox, before)


def test_a_write_after_the_session_ended_writes_nothing(inbox: Any, world: dict[str, Any]) -> None:
    """The guard checks the session when an event starts; a write that comes later (after the
    read dwell, an Undo offer) checks it again right before writing."""
    pair = auth_service.login(world["owner"].email, f.PASSWORD, "127.0.0.1")
    inbox._session_id = str(pair.session_id)
    inbox.selected_id = str(world["lead"].id)
    clean(inbox)
    auth_service.logout(pair.refresh_token)
    rows = db_rows(world["lead"], world["foreign_lead"])
    events = run(InboxState.change_status, inbox, "qualified")
    assert AuthState.check_session in events
    assert db_rows(world["lead"], world["foreign_lead"]) == rows
    assert inbox.busy == ""


def test_a_bad_snooze_time_is_refused_with_a_message(inbox: Any, world: dict[str, Any]) -> None:
    inbox.selected_id = str(world["lead"].id)
    rows = db_rows(world["lead"], world["foreign_lead"])
    for value in ("", "tomorrow", "2026-13-40T99:99", "2026-12-24T09:00+05:00", HUGE, 7, None):
        clean(inbox)
        run(InboxState.snooze_to, inbox, {"until": value})
        assert inbox.action_error != ""
        inbox.action_error = ""
    run(InboxState.snooze_to, inbox, {"until": "2020-01-01T09:00"})  # the past: the service says no
    assert inbox.action_error != ""
    assert db_rows(world["lead"], world["foreign_lead"]) == rows


def test_a_hostile_regenerate_instruction_is_bounded_and_refused(
    inbox: Any, world: dict[str, Any]
) -> None:
    inbox.selected_id = str(world["lead"].id)
    run(InboxState.set_regen_instruction, inbox, HUGE)
    assert len(inbox.regen_instruction) == 500
    rows = db_rows(world["lead"], world["foreign_lead"])
    run(InboxState.set_regen_instruction, inbox, "shorter\x00please")
    run(InboxState.regenerate_draft, inbox)
    assert inbox.action_error != "" and not inbox.regenerating
    assert db_rows(world["lead"], world["foreign_lead"]) == rows


def test_assigning_a_stranger_or_a_bad_status_writes_nothing(
    inbox: Any, world: dict[str, Any]
) -> None:
    inbox.selected_id = str(world["lead"].id)
    rows = db_rows(world["lead"], world["foreign_lead"])
    run(InboxState.assign_to, inbox, str(world["stranger"].id))
    assert inbox.action_error != ""
    for status in ("bogus", HUGE):
        run(InboxState.change_status, inbox, status)
    for tag in ("bogus", HUGE):
        run(InboxState.change_sentiment, inbox, tag)
    assert db_rows(world["lead"], world["foreign_lead"]) == rows


def test_a_read_only_role_writes_nothing(inbox: Any, world: dict[str, Any]) -> None:
    inbox.role = "CLIENT_PORTAL"
    inbox.selected_id = str(world["lead"].id)
    rows = db_rows(world["lead"], world["foreign_lead"])
    run(InboxState.send_reply, inbox, {"body": "portal users only read"})
    run(InboxState.start_edit_draft, inbox)
    assert "read-only" in inbox.action_error and not inbox.editing_draft
    assert db_rows(world["lead"], world["foreign_lead"]) == rows


def test_a_huge_search_is_refused_by_the_list_without_a_read(inbox: Any) -> None:
    run(InboxState.set_search, inbox, HUGE)
    run(InboxState.load_list, inbox)
    assert inbox.rows == [] and "200" in inbox.list_error


# ---------------------------------------------------------------------------------- analytics


@pytest.mark.parametrize(
    "handler", ["select_tab", "select_window", "set_crm_sort", "set_crm_status", "apply_cached"]
)
def test_analytics_handlers_ignore_hostile_values(analytics: Any, handler: str) -> None:
    before = snapshot(analytics)
    for value in HOSTILE:
        assert run(getattr(AnalyticsState, handler), analytics, value) == []
        assert_untouched(analytics, before)


def test_cached_payloads_of_another_workspace_or_user_are_not_shown(
    analytics: Any, world: dict[str, Any]
) -> None:
    mine, theirs = str(world["mine"].id), str(world["theirs"].id)
    user, stranger = str(world["owner"].id), str(world["stranger"].id)
    payload = {"clientId": theirs, "core": {"totalLeads": 999_999}, "from": "2026-01-01"}
    hits = {
        cache_key(user, mine, "overview", "30d", "core"): {"data": payload, "age": 1},
        cache_key(stranger, theirs, "overview", "30d", "core"): {"data": payload, "age": 1},
        cache_key(user, mine, "overview", "30d", "breakdowns"): {"data": HUGE, "age": "old"},
    }
    before = snapshot(analytics)
    assert run(AnalyticsState.apply_cached, analytics, hits) == []
    assert_untouched(analytics, before)


def test_bad_custom_windows_only_say_why(analytics: Any) -> None:
    before = snapshot(analytics)
    for start, end in (("2026-13-01", "2026-01-01"), (HUGE, HUGE), ("", ""), ("2020-01-01", "")):
        assert run(AnalyticsState.apply_custom, analytics, {"from": start, "to": end}) == []
        assert analytics.window_error != ""
        assert {**snapshot(analytics), "window_error": ""} == {**before, "window_error": ""}


# ---------------------------------------------------------------------------------- jobs


def test_jobs_handlers_of_another_workspace_do_nothing(world: dict[str, Any]) -> None:
    state = signed_in(JobsState, world)
    before = snapshot(state)
    for value in (*HOSTILE, str(world["theirs"].id)):
        assert run(JobsState.switch_workspace, state, value) == []
        assert_untouched(state, before)
    assert uuid.UUID(state.active_id) == world["mine"].id

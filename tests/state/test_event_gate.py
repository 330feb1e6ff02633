"""The event gate: token buckets per tab and user, and event validation for every handler.

The end-to-end flood (a real server, two users) is ``tests/browser/test_event_flood.py``.
"""

from __future__ import annotations

import inspect
import typing
import uuid

import pytest
from reflex_base.registry import RegistrationContext
from structlog.testing import capture_logs

import inboxapp.pages  # noqa: F401 (the pages' states register their handlers)
from inboxapp.config import flood_settings
from inboxapp.state import event_gate
from inboxapp.state.inbox import InboxState


def our_handlers() -> dict[str, typing.Any]:
    found = {
        name: registered
        for name, registered in RegistrationContext.get().event_handlers.items()
        if "inboxapp___state" in name
    }
    assert len(found) > 40  # the app's handlers are registered (else the loops prove nothing)
    return found


def test_a_bucket_gives_its_burst_then_refills_at_its_rate() -> None:
    bucket = event_gate.Bucket.full(3, 2.0, now=100.0)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(100.4)  # 0.4 s x 2/s = 0.8 of a token
    assert bucket.take(100.5)  # 1.0
    assert not bucket.take(100.5)


def test_a_tab_beyond_its_burst_is_refused_until_it_refills() -> None:
    settings = flood_settings()
    tab = f"tab-{uuid.uuid4()}"
    taken = [event_gate.within_budget(tab, now=10.0) for _ in range(settings.tab_burst + 5)]
    assert taken.count(True) == settings.tab_burst and not taken[-1]
    assert event_gate.within_budget(tab, now=10.0 + 1 / settings.tab_rate + 1e-6)


def test_one_users_tabs_share_the_users_budget() -> None:
    settings = flood_settings()
    user = str(uuid.uuid4())
    tabs = [f"tab-{uuid.uuid4()}" for _ in range(settings.user_burst // settings.tab_burst + 2)]
    for tab in tabs:
        event_gate.note_user(tab, user)
    allowed = sum(
        event_gate.within_budget(tab, now=5.0) for tab in tabs for _ in range(settings.tab_burst)
    )
    assert allowed == settings.user_burst
    other = f"tab-{uuid.uuid4()}"
    event_gate.note_user(other, str(uuid.uuid4()))
    assert event_gate.within_budget(other, now=5.0)  # another user is not affected


def _valid_payload(fn: typing.Any) -> dict[str, typing.Any]:
    params = list(inspect.signature(fn).parameters.values())[1:]
    return {p.name: "x" for p in params if p.default is p.empty}


def test_every_handler_refuses_unknown_and_missing_arguments() -> None:
    for name, registered in our_handlers().items():
        fn = registered.handler.fn
        assert event_gate.payload_problem(name, {"zz_not_an_argument": 1}) == "mistyped", name
        assert event_gate.payload_problem(name, [1, 2]) == "mistyped", name
        required = _valid_payload(fn)
        if required:
            first = next(iter(required))
            partial = {k: v for k, v in required.items() if k != first}
            assert event_gate.payload_problem(name, partial) == "mistyped", name


@pytest.mark.parametrize("hostile", [12345, 1.5, True, None, ["x"], {"a": 1}])
def test_every_string_argument_refuses_other_types(hostile: object) -> None:
    checked = 0
    for name, registered in our_handlers().items():
        fn = registered.handler.fn
        hints = typing.get_type_hints(fn)
        for param in list(inspect.signature(fn).parameters.values())[1:]:
            if hints.get(param.name) is not str:
                continue
            payload = {**_valid_payload(fn), param.name: hostile}
            assert event_gate.payload_problem(name, payload) == "mistyped", (name, param.name)
            checked += 1
    assert checked > 10


def test_well_typed_events_pass() -> None:
    search = f"{InboxState.get_full_name()}.set_search"
    assert event_gate.payload_problem(search, {"value": "hello"}) is None
    assert (
        event_gate.payload_problem("reflex___state____state.hydrate_and_load", {"vars": {}}) is None
    )
    assert event_gate.payload_problem("no_such_state.handler", {}) == "unknown"


def test_a_dropped_event_is_logged_once_per_tab_by_name_only() -> None:
    tab = f"tab-{uuid.uuid4()}"
    secret = f"secret-{uuid.uuid4().hex}"
    hostile_name = "evil\x00name\n" + "x" * 500
    search = f"{InboxState.get_full_name()}.set_search"
    with capture_logs() as logs:
        for _ in range(15):  # 45 events: within the tab's burst
            assert event_gate.admit(tab, {"name": search, "payload": {"value": 7, "s": secret}})
            assert event_gate.admit(tab, {"name": hostile_name, "payload": {"v": secret}})
            assert event_gate.admit(tab, f'{{"name": "{secret}"}}') == "malformed"
    dropped = [entry for entry in logs if entry["event"] == "ui.event_dropped"]
    assert sorted(str(entry["reason"]) for entry in dropped) == ["malformed", "mistyped", "unknown"]
    assert secret not in repr(dropped)
    unknown = next(entry for entry in dropped if entry["reason"] == "unknown")
    assert unknown["eventName"] == ("evil?name?" + "x" * 500)[: event_gate.NAME_CHARS]

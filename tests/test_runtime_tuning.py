"""Process tuning: the app's Socket.IO packets decode to exactly what Reflex's own encoder
produced, and the GC pacing freezes and (periodically) collects."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import gc
import json
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reflex_base.utils import format as reflex_format

from inboxapp import runtime_tuning
from inboxapp.config import TuningSettings, env_name, tuning_settings


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    label: str


class Tag(str):
    pass


def fast_module() -> Any:
    """A packet class with Reflex's JSON module, then tuned like the app's."""
    packet_class = type("Packet", (), {"json": SimpleNamespace(dumps=_reflex, loads=json.loads)})
    runtime_tuning.fast_packets(SimpleNamespace(packet_class=packet_class))
    return packet_class.json


def _reflex(obj: Any, **kwargs: Any) -> str:
    return reflex_format.json_dumps(obj, **kwargs)


def test_the_app_encodes_its_packets_with_the_fast_module() -> None:
    from inboxapp.inboxapp import app

    assert app.sio is not None
    assert getattr(app.sio.packet_class.json, "inboxapp_fast", False)


def test_a_real_delta_decodes_identically() -> None:
    rows = [
        {"id": str(uuid.uuid4()), "name": "Zoë Ørsted", "preview": 'He said "hi"\n\t<b>', "n": i}
        for i in range(50)
    ]
    packet = [
        "event",
        {
            "delta": {
                "state.inbox": {
                    "rows_rx_state_": rows,
                    "counts_rx_state_": {"total": 3, "ratio": 0.5},
                    "when": datetime(2026, 11, 29, 10, 0, tzinfo=UTC),
                    "day": date(2026, 11, 29),
                    "point": Point(1, "a"),
                    "color": Color.RED,
                    "tag": Tag("x"),
                    "ids": {uuid.UUID(int=1)} - set(),
                    "nothing": None,
                }
            },
            "events": [],
            "final": True,
        },
    ]
    fast = fast_module()
    assert json.loads(fast.dumps(packet, separators=(",", ":"))) == json.loads(
        _reflex(packet, separators=(",", ":"))
    )


def test_what_orjson_refuses_falls_back_to_reflex() -> None:
    fast = fast_module()
    huge = {"big": 2**70, 1: "int key"}
    assert fast.dumps(huge) == _reflex(huge)


def test_installing_twice_keeps_one_layer() -> None:
    packet_class = type("Packet", (), {"json": SimpleNamespace(dumps=_reflex, loads=json.loads)})
    sio = SimpleNamespace(packet_class=packet_class)
    runtime_tuning.fast_packets(sio)
    first = packet_class.json
    runtime_tuning.fast_packets(sio)
    assert packet_class.json is first


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_value_decodes_identically(value: Any) -> None:
    fast = fast_module()
    assert json.loads(fast.dumps(value)) == json.loads(_reflex(value))


def test_gc_pacing_freezes_and_periodically_collects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_tuning, "SETTLE_S", 0.01)
    monkeypatch.setenv(env_name(TuningSettings, "gc_freeze"), "1")
    tuning_settings.cache_clear()
    gc.unfreeze()
    try:

        async def connect_tabs() -> None:
            runtime_tuning.note_growth()
            runtime_tuning.note_growth()  # one freeze per settle window
            assert runtime_tuning._pending is not None
            await asyncio.sleep(0.1)

        asyncio.run(connect_tabs())
        assert runtime_tuning._pending is None
        assert gc.get_freeze_count() > 0

        # A cyclic garbage object frozen with the rest is reclaimed by the periodic full pass.
        class Node:
            pass

        node = Node()
        node.self = node  # type: ignore[attr-defined]
        probe = id(node)
        gc.freeze()
        del node
        monkeypatch.setattr(runtime_tuning, "_last_full", -1e9)
        runtime_tuning.settle()
        assert all(id(o) != probe for o in gc.get_objects())
    finally:
        gc.unfreeze()
        monkeypatch.undo()
        tuning_settings.cache_clear()

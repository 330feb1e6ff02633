"""Process tuning for the app server: packet encoding, thread switching, garbage collection.

**Packet encoding** (:func:`fast_packets`, at app import): every state update a tab receives is
one Socket.IO packet, JSON-encoded by the standard library (~130 us for a 50-row inbox page);
a realtime change is encoded once per tab. orjson encodes the same JSON ~8x faster. Values
orjson would encode its own way (dates, dataclasses) still go through Reflex's own
serializers, and anything orjson refuses falls back to Reflex's encoder: the frontend receives
the same JSON values. It is installed through python-socketio's documented ``json`` hook (the
packet class's JSON module), which Reflex itself sets at app creation; decoding stays Reflex's.

**Thread switching** (:func:`configure`, at app import): the event loop thread fans realtime
updates out to hundreds of tabs while the shared re-reads run in worker threads; every database
round trip of such a read gives the GIL back and must win it again. With CPython's default
5 ms switch interval a busy loop makes a 10 ms read take 50-70 ms; 1 ms
(``TuningSettings.switch_interval_s``) lets the reads through while the loop keeps most of the CPU.

**Garbage-collection pacing** (many long-lived browser sessions):

Hundreds of connected tabs keep ~200 KB of long-lived state each; Python's full (generation 2)
collections then walk all of it and pause the event loop for 100-200 ms at 500 tabs, which
lands straight in the realtime fan-out's tail latency (see the platform notes). The cure used
by large Python services (Instagram's ``gc.freeze``): once the tabs that connected have settled,
move what is alive into the permanent generation, so routine collections skip it.

* :func:`note_growth` is called when a listener (tab) starts; ``SETTLE_S`` later the process
  runs ``gc.freeze()`` (cheap: no collection, a list splice), at most once per ``SETTLE_S``.
* Frozen objects that become cyclic garbage later (a closed tab's state tree) are reclaimed
  by one full ``unfreeze -> collect -> freeze`` every ``REFREEZE_S`` (at most), so memory does
  not grow without bound.
* ``TuningSettings.gc_freeze`` off turns it off.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from types import SimpleNamespace
from typing import Any

import orjson

from inboxapp.config import tuning_settings
from inboxapp.logs import get_logger

log = get_logger(__name__)

SETTLE_S = 5.0
REFREEZE_S = 600.0

_pending: asyncio.TimerHandle | None = None


_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
"""Dates and dataclasses go through Reflex's serializers (as with the standard encoder);
subclasses of str/int/dict/list are encoded as their base type, as the standard encoder does."""


def fast_packets(sio: Any) -> None:
    """Encode ``sio``'s outgoing packets with orjson (see the module docstring)."""
    packet_class = sio.packet_class
    current = packet_class.json
    if getattr(current, "inboxapp_fast", False):
        return
    fallback = current.dumps
    from reflex_base.utils.serializers import serialize

    def dumps(obj: Any, **kwargs: Any) -> str:
        try:
            return orjson.dumps(obj, default=serialize, option=_ORJSON_OPTIONS).decode()
        except (TypeError, orjson.JSONEncodeError):
            return str(fallback(obj, **kwargs))

    packet_class.json = SimpleNamespace(dumps=dumps, loads=current.loads, inboxapp_fast=True)


def configure() -> None:
    """Apply the thread switch interval (the app module calls this once at import)."""
    sys.setswitchinterval(tuning_settings().switch_interval_s)


_last_full = time.monotonic()


def note_growth() -> None:
    """More long-lived state just arrived (a tab connected): freeze once it settles."""
    global _pending
    if _pending is None and tuning_settings().gc_freeze:
        _pending = asyncio.get_running_loop().call_later(SETTLE_S, settle)


def settle() -> None:
    """Freeze what is alive now; every ``REFREEZE_S`` first collect what was frozen."""
    global _pending, _last_full
    _pending = None
    started = time.perf_counter()
    full = time.monotonic() - _last_full >= REFREEZE_S
    if full:
        gc.unfreeze()
        gc.collect()
        _last_full = time.monotonic()
    gc.freeze()
    log.info(
        "gc.frozen",
        objects=gc.get_freeze_count(),
        collected=full,
        pauseMs=round((time.perf_counter() - started) * 1000, 1),
    )

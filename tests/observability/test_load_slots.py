"""Coalesced background loads: one read per (tab, kind) at a time, the newest wins; a bound
of concurrent reads per user."""

from __future__ import annotations

import asyncio

import pytest

from inboxapp.config import flood_settings
from inboxapp.observability import load_slots


def test_outside_an_event_a_read_only_takes_the_users_bound() -> None:
    async def scenario() -> list[int]:
        running = 0
        peak = 0

        async def read() -> int:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            running -= 1
            return 1

        results = await asyncio.gather(
            *(load_slots.coalesced("k", i, "user-a", read, 0) for i in range(40))
        )
        assert peak <= flood_settings().user_reads
        return list(results)

    assert sum(asyncio.run(scenario())) == 40  # no tab: nothing is coalesced, all read


def test_queued_loads_of_one_tab_collapse_to_the_newest(monkeypatch: pytest.MonkeyPatch) -> None:
    """A thousand loads of one kind from one tab: the running read, then only the newest."""
    monkeypatch.setattr(load_slots, "_tab", lambda: "tab-1")

    async def scenario() -> tuple[list[object], int]:
        reads = 0
        gate = asyncio.Event()

        async def read() -> str:
            nonlocal reads
            reads += 1
            await gate.wait()
            return "data"

        first = asyncio.ensure_future(load_slots.coalesced("list", 1, "u", read, "old"))
        await asyncio.sleep(0)
        rest = [
            asyncio.ensure_future(load_slots.coalesced("list", n, "u", read, "old"))
            for n in range(2, 1002)
        ]
        await asyncio.sleep(0)
        gate.set()
        results = await asyncio.gather(first, *rest)
        return results, reads

    results, reads = asyncio.run(scenario())
    assert reads == 2  # the running one and the newest, never 1,000
    assert results[0] == "data" and results[-1] == "data"
    assert results[1:-1] == ["old"] * 999

"""A small local websocket server speaking the Supabase Realtime (Phoenix) frames the Python
``realtime`` client uses (see ../shared/docs/platform-notes.md):

* ``phx_join`` -> ``phx_reply`` with the same ref and ``{"status": "ok", "response":
  {"postgres_changes": [{"id": <int>, <binding>}, ...]}}``, bindings in the request's order;
* ``heartbeat`` (topic ``phoenix``), ``access_token`` and ``phx_leave`` -> an ``ok`` reply;
* :meth:`FakeRealtimeServer.emit_change` sends a ``postgres_changes`` frame (``ref: null``) with
  the ids of the joined bindings that match the change type.

Every frame received is kept in ``frames`` for the contract assertions. Authorization is NOT
simulated (that is tested at the database, with RLS).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve

COLUMNS = [
    {"name": "id", "type": "uuid"},
    {"name": "clientId", "type": "uuid"},
    {"name": "assignedToUserId", "type": "uuid"},
    {"name": "firstName", "type": "text"},
    {"name": "email", "type": "text"},
    {"name": "status", "type": "text"},
]


def _reply(topic: str, ref: str | None, join_ref: str | None, response: dict[str, Any]) -> str:
    return json.dumps(
        {
            "topic": topic,
            "event": "phx_reply",
            "ref": ref,
            "join_ref": join_ref,
            "payload": {"status": "ok", "response": response},
        }
    )


class FakeRealtimeServer:
    """``async with FakeRealtimeServer() as server:``; connect clients to ``server.url``."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.channels: dict[str, tuple[ServerConnection, list[dict[str, Any]]]] = {}
        self._next_id = 1000
        self._server: Server | None = None
        self._changed = asyncio.Event()
        self.port = 0

    @property
    def url(self) -> str:
        """What ``SUPABASE_URL`` would be (the client appends ``/realtime/v1``)."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeRealtimeServer:
        self._server = await serve(self._handle, "127.0.0.1", 0)
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, ws: ServerConnection) -> None:
        self.paths.append(ws.request.path if ws.request else "")
        async for raw in ws:
            frame = json.loads(raw)
            self.frames.append(frame)
            self._changed.set()
            event, topic = frame.get("event"), frame.get("topic")
            ref, join_ref = frame.get("ref"), frame.get("join_ref")
            if event == "phx_join":
                bindings = []
                for binding in frame["payload"]["config"].get("postgres_changes", []):
                    self._next_id += 1
                    bindings.append({"id": self._next_id, **binding})
                self.channels[topic] = (ws, bindings)
                await ws.send(_reply(topic, ref, join_ref, {"postgres_changes": bindings}))
            elif event in ("heartbeat", "access_token"):
                await ws.send(_reply(topic, ref, join_ref, {}))
            elif event == "phx_leave":
                self.channels.pop(topic, None)
                await ws.send(_reply(topic, ref, join_ref, {}))

    async def emit_change(
        self,
        topic: str,
        change_type: str,
        record: dict[str, Any],
        old_record: dict[str, Any] | None = None,
        *,
        table: str = "Lead",
    ) -> None:
        ws, bindings = self.channels[topic]
        ids = [b["id"] for b in bindings if b["event"] in (change_type, "*")]
        frame = {
            "topic": topic,
            "event": "postgres_changes",
            "ref": None,
            "payload": {
                "ids": ids,
                "data": {
                    "schema": "public",
                    "table": table,
                    "type": change_type,
                    "commit_timestamp": "2026-01-01T00:00:00.000Z",
                    "errors": None,
                    "columns": COLUMNS,
                    "record": record,
                    "old_record": old_record or {},
                },
            },
        }
        await ws.send(json.dumps(frame))

    def find(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [f for f in self.frames if predicate(f)]

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0
    ) -> dict[str, Any]:
        """The first received frame matching ``predicate`` (waits for it)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find(predicate)
            if found:
                return found[0]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("expected frame not received")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)

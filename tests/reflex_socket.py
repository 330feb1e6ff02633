"""A browserless Reflex tab for tests: Reflex's ``/_event`` Socket.IO websocket, spoken raw.

Reflex's websocket is Engine.IO v4 / Socket.IO at ``/_event/?EIO=4&transport=websocket&token=<tab>``
(namespace ``/_event``). The connect packet carries the boot event ``hydrate_and_load`` with the
browser storage values (the auth tokens) and the page; events go out as
``42/_event,["event", {...}]`` and deltas come back the same way. Everything received is kept in
:attr:`Tab.frames` so a test can assert what a tab was (not) sent.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import websockets

from inboxapp.state.auth import AuthState

T = TypeVar("T")
BOOT_EVENT = "reflex___state____state.hydrate_and_load"
MARK = "_rx_state_"


def storage_of(access_token: str, refresh_token: str, expires_in: int = 3600) -> dict[str, str]:
    """The localStorage values a signed-in browser presents at connect."""
    auth = AuthState.get_full_name()
    return {
        f"{auth}.access_token{MARK}": access_token,
        f"{auth}.refresh_token{MARK}": refresh_token,
        f"{auth}.expires_at{MARK}": str(int(time.time()) + expires_in),
    }


def route(path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    query = query or {}
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return {"pathname": path, "asPath": path + (f"?{qs}" if qs else ""), "query": query}


class Tab:
    """One browser tab's socket: ``await tab.connect(...)``, ``await tab.send(...)``."""

    def __init__(self, base_url: str, token: str) -> None:
        self.url = base_url.replace("http://", "ws://") + "/_event/?EIO=4&transport=websocket"
        self.token = token
        self.frames: list[str] = []
        self.error = ""
        self._sock: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._route: dict[str, Any] = route("/")

    async def connect(self, storage: dict[str, str], page: dict[str, Any]) -> None:
        """Connect as a browser does: the boot event presents ``storage`` on ``page``."""
        self._route = page
        boot = {"name": BOOT_EVENT, "payload": {"vars": storage}, "router_data": page}
        await self._open({"event": boot})

    async def connect_without_boot(self, page: dict[str, Any] | None = None) -> None:
        """Connect without the boot event (no hydrate): a hand-made client's first move."""
        self._route = page or self._route
        await self._open({})

    async def _open(self, auth: dict[str, Any]) -> None:
        self._sock = await websockets.connect(
            f"{self.url}&token={self.token}", max_size=None, ping_interval=None, open_timeout=60
        )
        opening = await self._sock.recv()
        if not str(opening).startswith("0"):
            raise RuntimeError(f"unexpected open packet {str(opening)[:80]}")
        await self._sock.send("40/_event," + json.dumps(auth))
        self._reader = asyncio.create_task(self._read())

    @property
    def renamed(self) -> bool:
        """The server saw the token in use by another socket and handed out a new one."""
        return '"new_token"' in self.text()

    async def _read(self) -> None:
        try:
            async for message in self._sock:
                text = message if isinstance(message, str) else message.decode()
                if text == "2":
                    await self._sock.send("3")
                    continue
                self.frames.append(text)
        except websockets.WebSocketException as exc:
            self.error = f"{type(exc).__name__}: {exc}"

    async def send(self, handler: str, payload: dict[str, Any] | None = None) -> None:
        """Send an event to ``handler`` (a full name, e.g. ``InboxState.get_full_name()``
        + ``.send_reply``) from the tab's current page."""
        event = {"name": handler, "payload": payload or {}, "router_data": self._route}
        await self._sock.send("42/_event," + json.dumps(["event", event]))

    def text(self) -> str:
        return "\n".join(self.frames)

    async def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30.0) -> bool:
        """Wait until ``predicate(all text received)`` holds; False at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.text()):
                return True
            if self._reader is not None and self._reader.done():
                return predicate(self.text())
            await asyncio.sleep(0.05)
        return predicate(self.text())

    async def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(Exception):
                await self._sock.close()
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await self._reader


def handler(state: Any, name: str) -> str:
    """The wire name of ``state``'s event handler ``name``."""
    return f"{state.get_full_name()}.{name}"


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    """Run an async scenario to completion in a thread of its own (sync Playwright keeps an
    event loop running in the test's thread, where ``asyncio.run`` refuses to start)."""

    async def main() -> T:
        return await scenario()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()

"""THE definition of the Lead rollup columns in terms of the lead's messages.

:func:`derive_rollups` gives ``lastInboundAt``, ``lastOutboundAt``, ``lastZrgOutboundAt``,
``lastMessageAt``, ``lastMessageDirection``, ``lastMessagePreview`` and ``unreadCount``; it
accepts anything with ``sentAt``/``direction``/``source``/``body``/``isRead`` attributes (ORM
``Message`` rows too).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Generic, NamedTuple, Protocol, TypeVar

PREVIEW_CHARS = 140
"""``lastMessagePreview`` holds the first PREVIEW_CHARS characters of the latest message body."""

T = TypeVar("T", int, datetime)
T_co = TypeVar("T_co", int, datetime, covariant=True)


class MessageFacts(Protocol[T_co]):
    """What the rollups depend on (a ``Message`` row satisfies this protocol)."""

    @property
    def sentAt(self) -> T_co: ...

    @property
    def direction(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def isRead(self) -> bool: ...


class Rollups(NamedTuple, Generic[T]):
    lastInboundAt: T | None
    lastOutboundAt: T | None
    lastZrgOutboundAt: T | None
    lastMessageAt: T | None
    lastMessageDirection: str | None
    lastMessagePreview: str | None
    unreadCount: int


def message_preview(body: str) -> str:
    return body[:PREVIEW_CHARS]


def derive_rollups(messages: Iterable[MessageFacts[T]]) -> Rollups[T]:
    """Derive a lead's rollup columns from all of its messages.

    * ``lastInboundAt`` / ``lastOutboundAt``: greatest ``sentAt`` per direction;
    * ``lastZrgOutboundAt``: greatest ``sentAt`` of outbound messages with ``source = 'zrg'``;
    * ``lastMessageAt`` / ``lastMessageDirection`` / ``lastMessagePreview``: from the latest message
      (greatest ``sentAt``; on equal ``sentAt`` the later one in iteration order);
    * ``unreadCount``: inbound messages with ``isRead = false``.
    """
    last_in: T | None = None
    last_out: T | None = None
    last_zrg: T | None = None
    latest: MessageFacts[T] | None = None
    latest_at: T | None = None
    unread = 0
    for m in messages:
        at = m.sentAt
        if m.direction == "inbound":
            if last_in is None or at > last_in:
                last_in = at
            if not m.isRead:
                unread += 1
        else:
            if last_out is None or at > last_out:
                last_out = at
            if m.source == "zrg" and (last_zrg is None or at > last_zrg):
                last_zrg = at
        if latest_at is None or at >= latest_at:
            latest, latest_at = m, at
    if latest is None:
        return Rollups(None, None, None, None, None, None, 0)
    return Rollups(
        last_in,
        last_out,
        last_zrg,
        latest_at,
        latest.direction,
        message_preview(latest.body),
        unread,
    )

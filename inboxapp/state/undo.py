"""Undo for the conversation's quick actions: reject a draft, snooze, status, sentiment.

After one of them succeeds the pane shows "<what happened> · Undo" for :data:`UNDO_S` seconds;
Undo writes the previous value back through the same service layer (a rejected draft comes
back only while it is the caller's own, recent rejection and nothing newer replaced it).
:class:`UndoState` is a mixin of ``InboxState`` like the conversation.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import reflex as rx

from inboxapp.inbox import actions
from inboxapp.state.acting import ConversationActions
from inboxapp.state.base import next_request

UNDO_S = 8.0
"""How long the Undo offer stays."""

if TYPE_CHECKING:
    from inboxapp.state.acting import ActionCall


def _undo_call(kind: str, value: str) -> ActionCall | None:
    """The write that puts ``value`` (what was there before) back."""
    if kind == "reject":
        return lambda c: actions.restore_draft(c.user_id, c.client_id, uuid.UUID(value))
    if kind == "status":
        return lambda c: actions.set_status(c.user_id, c.client_id, c.lead_id, value)
    if kind == "sentiment":
        return lambda c: actions.set_sentiment(c.user_id, c.client_id, c.lead_id, value)
    if kind == "snooze":
        until = datetime.fromisoformat(value) if value else None
        return lambda c: actions.snooze(c.user_id, c.client_id, c.lead_id, until)
    return None


class UndoState(ConversationActions, rx.State, mixin=True):
    undo_label: str = ""
    """What the last quick action did ("Draft rejected"); empty: no Undo on offer."""
    _undo_kind: str = ""
    _undo_value: str = ""
    _undo_lead: str = ""
    _undo_token: int = 0

    def _offer_undo(self, kind: str, label: str, value: str) -> Any:
        """Offer Undo for the action that just succeeded; returns the event that withdraws it."""
        token = next_request()
        self._undo_kind, self._undo_value, self._undo_lead = kind, value, self.selected_id
        self._undo_token = token
        self._put("undo_label", label)
        return self._events().expire_undo(token)

    def _clear_undo(self) -> None:
        self._undo_kind = self._undo_value = self._undo_lead = ""
        self._put("undo_label", "")

    @rx.event(background=True)
    async def expire_undo(self, token: int) -> None:
        if not isinstance(token, int):
            return
        await asyncio.sleep(UNDO_S)
        async with self:
            if token == self._undo_token:
                self._clear_undo()

    @rx.event
    def dismiss_undo(self) -> None:
        self._clear_undo()

    @rx.event(background=True)
    async def undo(self) -> AsyncIterator[Any]:
        async with self:
            kind, value, lead = self._undo_kind, self._undo_value, self._undo_lead
            self._clear_undo()
            if not kind or lead != self.selected_id:
                return
        call = _undo_call(kind, value)
        if call is None:
            return
        for event in await self._act("undo", call):
            yield event

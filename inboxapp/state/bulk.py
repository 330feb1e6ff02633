"""Bulk selection and actions on the list's rows (a mixin of ``InboxState``).

A row's check box (or ``x`` on a row) checks it; a shift-click checks every row shown between
it and the last one checked. The bulk bar marks the checked conversations read, snoozes them,
sets their status or (managers) assigns them, in one write (:mod:`inboxapp.inbox.bulk`), then
offers Undo for :data:`~inboxapp.state.undo.UNDO_S` seconds. The selection is cleared whenever
the list is reloaded from its first page (workspace, tab, filters, search, order).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import reflex as rx

from inboxapp.domain import roles
from inboxapp.domain.roles import Capability
from inboxapp.errors import AppError
from inboxapp.inbox import bulk
from inboxapp.inbox.view import (
    MSG_ACTION_FAILED,
    MSG_READ_ONLY,
    SNOOZE_PRESETS,
    human_error,
    snooze_until,
)
from inboxapp.labels import zone
from inboxapp.logs import get_logger
from inboxapp.state.auth import AuthState
from inboxapp.state.base import ScreenPart, next_request, one_of
from inboxapp.state.undo import UNDO_S

log = get_logger("inboxapp.ui")

MSG_TOO_MANY = f"At most {bulk.MAX_BULK} conversations at once."


class BulkState(ScreenPart, rx.State, mixin=True):
    checked_ids: list[str] = []
    """The checked rows' lead ids, in list order."""
    bulk_busy: bool = False
    bulk_error: str = ""
    bulk_undo_label: str = ""
    """What the last batch did ("3 conversations marked read"); empty: no Undo on offer."""
    _bulk_anchor: str = ""
    _bulk_undo: str = ""
    _bulk_undo_client: str = ""
    _bulk_undo_token: int = 0

    if TYPE_CHECKING:  # provided by InboxState (and its bases), which this mixin is part of
        rows: list[dict[str, str]]
        inbox_client: str
        role: str
        _tz: str
        _user_id: str
        _session_id: str

        def _relist(self) -> list[Any]: ...

        async def _still_live(self, user_id: str, session_id: str) -> bool: ...

    def _clear_checked(self) -> None:
        self._bulk_anchor = ""
        self._put("checked_ids", [])
        self._put("bulk_error", "")

    @rx.var
    def checked_count(self) -> int:
        return len(self.checked_ids)

    @rx.event(stop_propagation=True)
    def toggle_checked(self, lead_id: str, shift: bool = False) -> None:
        """Check or uncheck a shown row; ``shift``: check the rows from the last one on."""
        shown = [row.get("id", "") for row in self.rows]
        if not one_of(lead_id, shown):
            return
        checked = set(self.checked_ids)
        if shift is True and self._bulk_anchor in shown:
            a, b = sorted((shown.index(self._bulk_anchor), shown.index(lead_id)))
            checked.update(shown[a : b + 1])
        elif lead_id in checked:
            checked.discard(lead_id)
        else:
            checked.add(lead_id)
        ordered = [i for i in shown if i in checked]
        self._put("bulk_error", MSG_TOO_MANY if len(ordered) > bulk.MAX_BULK else "")
        self._bulk_anchor = lead_id
        self._put("checked_ids", ordered[: bulk.MAX_BULK])

    @rx.event
    def check_none(self) -> None:
        self._clear_checked()

    @rx.event(background=True)
    async def bulk_action(self, action: str, value: str = "") -> AsyncIterator[Any]:
        """Do ``action`` to every checked conversation: ``read``; ``snooze`` to a preset of
        :data:`SNOOZE_PRESETS`; ``status`` to a status; ``assign`` to a setter's id or
        ``none`` (a select's empty placeholder does nothing)."""
        if not one_of(action, bulk.ACTIONS) or not isinstance(value, str):
            return
        if action != "read" and not value:
            return
        if action == "snooze" and not one_of(value, SNOOZE_PRESETS):
            return
        async with self:
            if action == "snooze":
                until = snooze_until(value, datetime.now(UTC), zone(self._tz))
                value = until.isoformat() if until else ""
            if action == "assign" and value == "none":
                value = ""
            ids, client = list(self.checked_ids), self.inbox_client
            if self.bulk_busy or not ids or not client:
                return
            need = Capability.MANAGE if action == "assign" else Capability.WRITE
            if not roles.can(self.role, need):
                self._put("bulk_error", MSG_READ_ONLY)
                return
            user, session = self._user_id, self._session_id
            self._put("bulk_busy", True)
            self._put("bulk_error", "")
        call = lambda: bulk.apply(uuid.UUID(user), uuid.UUID(client), ids, action, value)  # noqa: E731
        result, events = await self._bulk_write(call, user, client, session)
        async with self:
            if result is not None and client == self.inbox_client:
                token = next_request()
                self._clear_checked()
                self._bulk_undo, self._bulk_undo_client = result.to_json(), client
                self._bulk_undo_token = token
                self._put("bulk_undo_label", bulk.summary(result))
                events = [*events, self._events().expire_bulk_undo(token)]
        for event in events:
            yield event

    @rx.event(background=True)
    async def bulk_undo(self) -> AsyncIterator[Any]:
        async with self:
            raw, client = self._bulk_undo, self._bulk_undo_client
            self._clear_bulk_undo()
            if not raw or self.bulk_busy or client != self.inbox_client:
                return
            user, session = self._user_id, self._session_id
            self._put("bulk_busy", True)
        result = bulk.BulkResult.from_json(raw)
        call = lambda: bulk.undo(uuid.UUID(user), uuid.UUID(client), result)  # noqa: E731
        _, events = await self._bulk_write(call, user, client, session)
        for event in events:
            yield event

    async def _bulk_write(
        self, call: Callable[[], Any], user: str, client: str, session: str
    ) -> tuple[Any, list[Any]]:
        """Run the write off the event loop, then reload the list and the counts:
        ``(what the write returned, the follow-up events)``; an error is shown, and gives
        ``(None, [])``."""
        result, error = None, ""
        if not await self._still_live(user, session):
            async with self:
                self._put("bulk_busy", False)
            return None, [AuthState.check_session]
        try:
            result = await asyncio.to_thread(call)
        except AppError as exc:
            error = human_error(exc.message)
        except Exception:
            log.exception("ui.bulk_failed", clientId=client)
            error = MSG_ACTION_FAILED
        async with self:
            self._put("bulk_busy", False)
            if client != self.inbox_client:
                return None, []
            self._put("bulk_error", error)
            if error:
                return None, []
            events = [*self._relist(), self._events().load_counts]
        return result, events

    def _clear_bulk_undo(self) -> None:
        self._bulk_undo = self._bulk_undo_client = ""
        self._put("bulk_undo_label", "")

    @rx.event(background=True)
    async def expire_bulk_undo(self, token: int) -> None:
        if not isinstance(token, int):
            return
        await asyncio.sleep(UNDO_S)
        async with self:
            if token == self._bulk_undo_token:
                self._clear_bulk_undo()

    @rx.event
    def dismiss_bulk_undo(self) -> None:
        self._clear_bulk_undo()

"""The open conversation of the inbox screen: selection, the thread, the lead card and the
write actions (reply, mark read, snooze, sentiment, status, assign); the AI draft's review
handlers are :mod:`inboxapp.state.draft_review`, on the same :meth:`ConversationState._act`.

:class:`ConversationState` is a Reflex state mixin: its vars and handlers become part of
:class:`~inboxapp.state.inbox.InboxState` (one Reflex state, so a live update applies the list,
the counts and the open conversation under one lock, and the handlers keep their
``InboxState.<name>`` event names). The same discipline as the list: a new request number per
load, results applied only while still the latest for the same workspace and lead, guarded
setters. Writes go through :mod:`inboxapp.inbox.actions` (the service layer); reads through
:func:`inboxapp.inbox.read.screen_conversation`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import reflex as rx

from inboxapp.auth.tokens import AuthError
from inboxapp.domain import roles
from inboxapp.domain.roles import Capability
from inboxapp.domain.vocabulary import status_label
from inboxapp.errors import AppError
from inboxapp.inbox import actions, read, reply_drafts
from inboxapp.inbox.queries import NOT_A_MEMBER
from inboxapp.inbox.view import (
    MSG_ACTION_FAILED,
    MSG_BAD_SNOOZE,
    MSG_CONVERSATION_FAILED,
    MSG_EMPTY_REPLY,
    MSG_NOT_FOUND,
    MSG_READ_ONLY,
    SNOOZE_PRESETS,
    draft_view,
    human_error,
    lead_view,
    local_time,
    message_view,
    reassigned_note,
    snooze_until,
)
from inboxapp.labels import sentiment_color, zone
from inboxapp.logs import get_logger
from inboxapp.observability.load_slots import coalesced
from inboxapp.state.acting import ActionCall, ActionContext
from inboxapp.state.auth import AuthState
from inboxapp.state.base import ScreenPart, is_uuid, next_request, one_of
from inboxapp.state.browser import SCROLL_THREAD_SCRIPT, lead_url_script, push_lead_script
from inboxapp.state.guard import require_live
from inboxapp.state.workspace import WorkspaceState

log = get_logger("inboxapp.ui")
READ_DWELL_S = 1.5
"""How long a conversation is open before it counts as read."""


class ConversationState(ScreenPart, rx.State, mixin=True):
    """The open conversation and its actions (mixed into ``InboxState``)."""

    selected_id: str = ""
    lead: dict[str, str] = {}
    messages: list[dict[str, str]] = []
    draft: dict[str, str] = {}
    conversation_loaded: bool = False
    conversation_loading: bool = False
    conversation_error: str = ""
    reply_text: str = ""
    """The unsent reply put back in the box when the conversation opens (the box's start)."""
    reply_key: str = ""
    """Remounts the reply box when ``reply_text`` is put back (the box is uncontrolled)."""
    orphan_reply: str = ""
    """The caller's unsent reply to a conversation they can no longer open (reassigned)."""
    orphan_note: str = ""
    """Beside ``orphan_reply``: "Reassigned to <name>." (or why it may be gone)."""
    auto_advance: str = rx.LocalStorage("", name="inbox_auto_advance")
    """"1": after a reply is sent, the next conversation of the list opens (kept per browser)."""
    busy: str = ""
    action_error: str = ""
    setters: list[dict[str, str]] = []
    """The workspace's setters (the assign dropdown; loaded for managers only)."""

    _conversation_request: int = 0
    _reply_restored_for: str = ""
    """The lead whose unsent reply was put back in the box (once per opening)."""
    _read_on_open: str = ""
    """The lead whose opening already marked it read (once per opening: ``u`` sticks)."""

    if TYPE_CHECKING:  # provided by InboxState (and its bases), which this mixin is part of
        inbox_client: str
        rows: list[dict[str, str]]
        role: str
        _tz: str
        _user_id: str
        _session_id: str

        def _offer_undo(self, kind: str, label: str, value: str) -> Any: ...

        def _clear_undo(self) -> None: ...

        def _reset_draft_review(self) -> None: ...

        def _apply_draft(self, draft: dict[str, str]) -> None: ...

    def _clear_conversation(self) -> None:
        self._put("lead", {})
        self._put("messages", [])
        self._put("draft", {})
        self._put("conversation_loaded", False)
        self._put("conversation_error", "")
        self._reset_draft_review()
        self._put("orphan_reply", "")
        self._put("orphan_note", "")
        self._put("action_error", "")

    # ------------------------------------------------------------------ computed
    @rx.var
    def can_write(self) -> bool:
        return roles.can(self.role, Capability.WRITE)

    @rx.var
    def can_manage(self) -> bool:
        return roles.can(self.role, Capability.MANAGE)

    @rx.var
    def assign_options(self) -> list[dict[str, str]]:
        """The workspace's setters, plus the current assignee if they are not one (anymore)."""
        options = [{"id": s["id"], "name": s["name"]} for s in self.setters]
        current = self.lead.get("assignee_id", "")
        if current and all(o["id"] != current for o in options):
            options.append({"id": current, "name": self.lead.get("assignee") or "Someone else"})
        return options

    # ------------------------------------------------------------------ selection
    @rx.event
    def select_lead(self, lead_id: str) -> list[Any]:
        return self._select(lead_id)

    @rx.event
    def close_conversation(self) -> list[Any]:
        return self._select("")

    @rx.event
    def follow_url_lead(self, lead_id: str) -> list[Any]:
        """Back / Forward moved the address bar to ``leadId``: show that conversation (the
        history entry exists already, so nothing is pushed)."""
        value = lead_id.split("#", 1)[0] if isinstance(lead_id, str) else ""
        return self._select(value, push=False)

    def _select(self, lead_id: str, *, push: bool = True) -> list[Any]:
        lead_id = lead_id if is_uuid(lead_id) else ""
        if lead_id == self.selected_id:
            return []
        self._put("selected_id", lead_id)
        self._put("reply_text", "")
        self._put("reply_key", lead_id)
        self._read_on_open = ""
        self._reply_restored_for = ""
        self._clear_undo()
        self._clear_conversation()
        script = push_lead_script if push else lead_url_script
        events: list[Any] = [rx.call_script(script(self.inbox_client, lead_id))]
        if lead_id:
            events.append(self._events().load_conversation)
        return events

    # ------------------------------------------------------------------ load
    @rx.event(background=True)
    async def load_conversation(self) -> AsyncIterator[Any]:
        async with self:
            client, user, lead_id = self.inbox_client, self._user_id, self.selected_id
            if not client or not user or not lead_id:
                return
            request = next_request()
            self._conversation_request = request
            self._put("conversation_loading", True)
        data: dict[str, Any] | None = None
        error = ""
        applied = False
        try:
            fetch = partial(asyncio.to_thread, read.screen_conversation, user, client, lead_id)
            data = await coalesced("inbox.conversation", request, user, fetch, None)
        except AppError as exc:
            error = MSG_NOT_FOUND if exc.status == 404 else human_error(exc.message)
            applied = False
            if exc.code == NOT_A_MEMBER:
                yield WorkspaceState.load
        except Exception:
            log.exception("ui.conversation_failed", clientId=client)
            error = MSG_CONVERSATION_FAILED
        finally:
            async with self:
                if request == self._conversation_request:
                    if client == self.inbox_client and lead_id == self.selected_id:
                        if data is not None:
                            self._apply_conversation(data)
                            applied = True
                        else:
                            self._clear_conversation()
                        self._put("conversation_error", error)
                    self._put("conversation_loading", False)
        async with self:
            first = self._reply_restored_for != lead_id  # refreshes keep what is being typed
            if applied:
                self._reply_restored_for = lead_id
        unsent = await self._unsent_reply(user, client, lead_id) if first or error else ""
        if applied and first and unsent:
            async with self:
                if lead_id == self.selected_id:
                    self._put("reply_text", unsent)
                    self._put("reply_key", f"{lead_id}:restored")
        if applied:
            yield rx.call_script(SCROLL_THREAD_SCRIPT)
        elif error and unsent:
            note = reassigned_note(await self._new_assignee(user, client, lead_id))
            async with self:
                if lead_id == self.selected_id:
                    self._put("orphan_reply", unsent)
                    self._put("orphan_note", note)
        if applied:
            async with self:
                unread = self.lead.get("unread", "0") not in ("", "0")
                wanted = unread and self._read_on_open != lead_id and self.can_write
            if wanted:
                yield self._events().read_after_dwell(lead_id)

    async def _still_live(self, user_id: str, session_id: str) -> bool:
        """Right before a write: the session is still signed in. The guard checked it when the
        event started, but a write may come later (after a dwell, an Undo offer, a debounce)."""
        try:
            await require_live(user_id, session_id)
        except AuthError as exc:
            return exc.status == 503  # cannot tell now: the write's own checks still apply
        return True

    async def _new_assignee(self, user: str, client: str, lead_id: str) -> str | None:
        try:
            return await asyncio.to_thread(
                reply_drafts.reassigned_to, uuid.UUID(user), uuid.UUID(client), uuid.UUID(lead_id)
            )
        except Exception:
            log.warning("ui.reassigned_to_unreadable", clientId=client)
            return None

    async def _unsent_reply(self, user: str, client: str, lead_id: str) -> str:
        try:
            return await asyncio.to_thread(
                reply_drafts.load, uuid.UUID(user), uuid.UUID(client), uuid.UUID(lead_id)
            )
        except Exception:
            log.warning("ui.reply_draft_unreadable", clientId=client)
            return ""

    @rx.event(background=True)
    async def keep_reply(self, text: str) -> None:
        """The reply box changed (debounced): keep the unsent text on the server."""
        async with self:
            client, user, lead_id = self.inbox_client, self._user_id, self.selected_id
            session = self._session_id
            if not (client and user and lead_id) or not roles.can(self.role, Capability.WRITE):
                return
        if not isinstance(text, str) or len(text) > reply_drafts.MAX_CHARS:
            return
        if not await self._still_live(user, session):
            return
        try:
            await asyncio.to_thread(
                reply_drafts.save, uuid.UUID(user), uuid.UUID(client), uuid.UUID(lead_id), text
            )
        except AppError as exc:
            log.info("ui.reply_draft_refused", clientId=client, code=exc.code)
        except Exception:
            log.warning("ui.reply_draft_failed", clientId=client)

    @rx.event(background=True)
    async def read_after_dwell(self, lead_id: str) -> AsyncIterator[Any]:
        """Opening a conversation marks it read once it has been on screen for a moment (a
        quick pass with j / k does not); only while it is still the open one."""
        async with self:
            if not isinstance(lead_id, str) or lead_id != self.selected_id:
                return
        await asyncio.sleep(READ_DWELL_S)
        async with self:
            if (not isinstance(lead_id, str) or lead_id != self.selected_id
                    or self._read_on_open == lead_id or self.busy):  # fmt: skip
                return
            self._read_on_open = lead_id
        for event in await self._act(
            "mark_read", lambda c: actions.mark_read(c.user_id, c.client_id, c.lead_id)
        ):
            yield event

    def _apply_conversation(self, data: Mapping[str, Any]) -> None:
        now, tz = datetime.now(UTC), zone(self._tz)
        lead = lead_view(data.get("lead") or {}, now, tz)
        draft = draft_view(data.get("draft"), now, tz)
        self._put("lead", lead)
        self._put(
            "messages",
            [message_view(m, lead["name"], now, tz) for m in data.get("messages") or []],
        )
        self._apply_draft(draft)
        self._put("conversation_loaded", True)

    # ------------------------------------------------------------------ actions
    async def _undoable(
        self, name: str, call: ActionCall, undo: tuple[str, str, str], **kw: Any
    ) -> list[Any]:
        """:meth:`_act`, then (when it succeeded) an Undo offer: ``(kind, label, previous)``."""
        events = await self._act(name, call, **kw)
        async with self:
            if self.action_error or self.busy:
                return events
            kind, label, previous = undo
            if not kind:
                return events
            return [*events, self._offer_undo(kind, label, previous)]

    async def _act(
        self,
        name: str,
        call: ActionCall,
        *,
        clears_reply: bool = False,
        shown: dict[str, str] | None = None,
    ) -> list[Any]:
        """Run one write through the service layer, then refresh what it may have changed.

        ``shown``: lead fields to display at once (a select keeps the chosen value instead of
        jumping back until the refresh); a failed write reloads the conversation, which puts
        the stored values back. Returns the follow-up events.
        """
        async with self:
            if self.busy or not self.selected_id or not self.inbox_client:
                return []
            if not roles.can(self.role, Capability.WRITE):
                self._put("action_error", MSG_READ_ONLY)
                return []
            client, lead_id = self.inbox_client, self.selected_id
            ctx = ActionContext(
                user_id=uuid.UUID(self._user_id),
                client_id=uuid.UUID(client),
                lead_id=uuid.UUID(lead_id),
                draft_id=self.draft.get("id", ""),
                tz=zone(self._tz),
            )
            self._put("busy", name)
            self._put("action_error", "")
            if shown:
                self._put("lead", {**self.lead, **shown})
            session = self._session_id
        if not await self._still_live(str(ctx.user_id), session):
            async with self:
                self._put("busy", "")
            return [AuthState.check_session]  # the guard signs the tab out
        ok = False
        error = ""
        lost_access = False
        try:
            await asyncio.to_thread(call, ctx)
            ok = True
        except AppError as exc:
            error = human_error(exc.message)
            lost_access = exc.code == NOT_A_MEMBER
        except Exception:
            log.exception("ui.action_failed", action=name, clientId=client)
            error = MSG_ACTION_FAILED
        finally:
            async with self:
                self._put("busy", "")
                same = client == self.inbox_client
                if same and lead_id == self.selected_id:
                    self._put("action_error", error)
                    if ok:
                        self._put("editing_draft", False)
                        if clears_reply:
                            self._put("reply_text", "")
        if lost_access:
            return [WorkspaceState.load]  # removed from the workspace: show where one can go
        if not same:
            return []
        state = self._events()
        if not ok:
            return [state.load_conversation] if shown else []
        events: list[Any] = [state.load_conversation, state.load_list, state.load_counts]
        if clears_reply:
            events.insert(0, rx.set_value("reply-input", ""))
        return events

    @rx.event(background=True)
    async def send_reply(self, form_data: dict[str, Any]) -> AsyncIterator[Any]:
        body = str(form_data.get("body") or "")
        async with self:
            if not body.strip():
                self._put("action_error", MSG_EMPTY_REPLY)
                return
            sent_from = self.selected_id
            after = self._next_row(sent_from) if self.auto_advance == "1" else ""
        for event in await self._act(
            "reply",
            lambda c: actions.reply(c.user_id, c.client_id, c.lead_id, body),
            clears_reply=True,
        ):
            yield event
        async with self:
            moved = []
            if after and not self.action_error and self.selected_id == sent_from:
                moved = self._select(after)
        for event in moved:
            yield event

    def _next_row(self, lead_id: str) -> str:
        """The conversation after ``lead_id`` in the list (the one before it at the end)."""
        ids = [row.get("id", "") for row in self.rows]
        if lead_id not in ids or len(ids) < 2:
            return ""
        at = ids.index(lead_id)
        return ids[at + 1] if at + 1 < len(ids) else ids[at - 1]

    @rx.event
    def set_auto_advance(self, checked: bool) -> None:
        self._put("auto_advance", "1" if checked is True else "")

    @rx.event(background=True)
    async def retry_delivery(self, message_id: str) -> AsyncIterator[Any]:
        """Queue a failed send of this conversation again."""
        async with self:
            shown = any(
                m.get("id") == message_id and m.get("delivery") == "failed" for m in self.messages
            )
        if not is_uuid(message_id) or not shown:
            return
        for event in await self._act(
            "retry",
            lambda c: actions.retry_delivery(c.user_id, c.client_id, uuid.UUID(message_id)),
        ):
            yield event

    @rx.event(background=True)
    async def mark_read(self) -> AsyncIterator[Any]:
        for event in await self._act(
            "mark_read", lambda c: actions.mark_read(c.user_id, c.client_id, c.lead_id)
        ):
            yield event

    @rx.event(background=True)
    async def mark_unread(self) -> AsyncIterator[Any]:
        async with self:
            self._read_on_open = self.selected_id  # the opening must not mark it read again
        for event in await self._act(
            "mark_unread", lambda c: actions.mark_unread(c.user_id, c.client_id, c.lead_id)
        ):
            yield event

    @rx.event(background=True)
    async def snooze(self, preset: str) -> AsyncIterator[Any]:
        if not one_of(preset, SNOOZE_PRESETS):
            return

        def call(c: ActionContext) -> None:
            until = snooze_until(preset, datetime.now(UTC), c.tz)
            actions.snooze(c.user_id, c.client_id, c.lead_id, until)

        async with self:
            previous = self.lead.get("snoozed_iso", "")
        label = "Woken up" if preset == "clear" else "Snoozed"
        for event in await self._undoable("snooze", call, ("snooze", label, previous)):
            yield event

    @rx.event(background=True)
    async def snooze_to(self, form_data: dict[str, Any]) -> AsyncIterator[Any]:
        """Snooze until a date and time the person picked (in their time zone)."""
        if not isinstance(form_data, dict) or "until" not in form_data:
            return  # not the picker's form
        async with self:
            until = local_time(form_data["until"], zone(self._tz))
            previous = self.lead.get("snoozed_iso", "")
            if until is None:
                self._put("action_error", MSG_BAD_SNOOZE)
                return
        for event in await self._undoable(
            "snooze",
            lambda c: actions.snooze(c.user_id, c.client_id, c.lead_id, until),
            ("snooze", "Snoozed", previous),
        ):
            yield event

    @rx.event(background=True)
    async def change_sentiment(self, tag: str) -> AsyncIterator[Any]:
        if not tag:
            return
        async with self:
            previous = self.lead.get("sentiment", "")
        undo = ("sentiment", f"Sentiment set to {tag}", previous) if previous else ("", "", "")
        for event in await self._undoable(
            "sentiment",
            lambda c: actions.set_sentiment(c.user_id, c.client_id, c.lead_id, tag),
            undo,
            shown={"sentiment": tag, "sentiment_color": sentiment_color(tag)},
        ):
            yield event

    @rx.event(background=True)
    async def change_status(self, status: str) -> AsyncIterator[Any]:
        if not status:
            return
        async with self:
            previous = self.lead.get("status", "")
        undo = ("status", f"Status set to {status_label(status)}", previous)
        for event in await self._undoable(
            "status",
            lambda c: actions.set_status(c.user_id, c.client_id, c.lead_id, status),
            undo if previous else ("", "", ""),
            shown={"status": status, "status_label": status_label(status)},
        ):
            yield event

    @rx.event(background=True)
    async def assign_to(self, user_id: str) -> AsyncIterator[Any]:
        assignee = uuid.UUID(user_id) if is_uuid(user_id) else None
        for event in await self._act(
            "assign",
            lambda c: actions.assign(c.user_id, c.client_id, c.lead_id, assignee),
            shown={"assignee_id": str(assignee) if assignee else ""},
        ):
            yield event

    @rx.event
    def dismiss_action_error(self) -> None:
        self._put("action_error", "")

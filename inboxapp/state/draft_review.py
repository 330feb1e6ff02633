"""The AI draft's review in the open conversation: approve (as shown or edited), edit and save,
reject (with Undo), cancel a pending auto-send, ask for a new draft with an instruction.

:class:`DraftReviewState` is a Reflex state mixin of :class:`~inboxapp.state.inbox.InboxState`
like the conversation it belongs to; every write goes through the conversation's ``_act``
(the session is re-checked right before the service call).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import reflex as rx

from inboxapp.ai import review
from inboxapp.domain import roles
from inboxapp.domain.roles import Capability
from inboxapp.errors import AppError
from inboxapp.inbox import actions
from inboxapp.state.acting import ConversationActions
from inboxapp.state.base import is_uuid

if TYPE_CHECKING:
    from inboxapp.state.acting import ActionContext


def _draft_uuid(ctx: ActionContext) -> uuid.UUID:
    if not is_uuid(ctx.draft_id):
        raise AppError("DRAFT_NOT_FOUND", "this draft is no longer pending")
    return uuid.UUID(ctx.draft_id)


class DraftReviewState(ConversationActions, rx.State, mixin=True):
    """The draft pane's editing state and handlers (mixed into ``InboxState``)."""

    editing_draft: bool = False
    draft_text: str = ""
    regen_instruction: str = ""
    regen_from: str = ""
    """A new draft was asked for while this draft (``-``: none) was shown: "Drafting..." until
    another one arrives."""

    @rx.var
    def regenerating(self) -> bool:
        return self.regen_from != ""

    def _reset_draft_review(self) -> None:
        self._put("editing_draft", False)
        self._put("draft_text", "")
        self._put("regen_instruction", "")
        self._put("regen_from", "")

    def _apply_draft(self, draft: dict[str, str]) -> None:
        """Show a freshly loaded draft: a new one ends an edit and a "Drafting..." wait."""
        if self.regen_from and draft.get("id", "-") != self.regen_from:
            self._put("regen_from", "")
        if draft.get("id") != self.draft.get("id"):
            self._put("editing_draft", False)
            self._put("draft_text", draft.get("body", ""))
        self._put("draft", draft)

    @rx.event(background=True)
    async def approve_draft(self) -> AsyncIterator[Any]:
        async with self:
            body = self.draft_text if self.editing_draft else None
        for event in await self._act(
            "approve",
            lambda c: actions.approve_draft(c.user_id, c.client_id, _draft_uuid(c), body),
        ):
            yield event

    @rx.event(background=True)
    async def save_draft(self) -> AsyncIterator[Any]:
        async with self:
            body = self.draft_text
        for event in await self._act(
            "edit", lambda c: actions.edit_draft(c.user_id, c.client_id, _draft_uuid(c), body)
        ):
            yield event

    @rx.event(background=True)
    async def reject_draft(self) -> AsyncIterator[Any]:
        async with self:
            draft_id = self.draft.get("id", "")
        for event in await self._undoable(
            "reject",
            lambda c: actions.reject_draft(c.user_id, c.client_id, _draft_uuid(c)),
            ("reject", "Draft rejected", draft_id),
        ):
            yield event

    @rx.event(background=True)
    async def cancel_auto_send(self) -> AsyncIterator[Any]:
        for event in await self._act(
            "cancel_auto",
            lambda c: actions.cancel_auto_send(c.user_id, c.client_id, _draft_uuid(c)),
        ):
            yield event

    @rx.event(background=True)
    async def regenerate_draft(self) -> AsyncIterator[Any]:
        async with self:
            if self.busy:
                return
            instruction = self.regen_instruction.strip()[: review.MAX_INSTRUCTION]
            self._put("regen_from", self.draft.get("id", "") or "-")
        for event in await self._act(
            "regenerate",
            lambda c: review.regenerate(c.user_id, c.client_id, c.lead_id, instruction or None),
        ):
            yield event
        async with self:
            if self.action_error:
                self._put("regen_from", "")
            else:
                self._put("regen_instruction", "")

    @rx.event
    def set_regen_instruction(self, value: str) -> None:
        self._put("regen_instruction", str(value or "")[: review.MAX_INSTRUCTION])

    @rx.event
    def start_edit_draft(self) -> None:
        if not self.draft or not roles.can(self.role, Capability.WRITE):
            return
        self._put("draft_text", self.draft.get("body", ""))
        self._put("editing_draft", True)

    @rx.event
    def cancel_edit_draft(self) -> None:
        self._put("editing_draft", False)
        self._put("draft_text", self.draft.get("body", ""))

    @rx.event
    def set_draft_text(self, value: str) -> None:
        self._put("draft_text", str(value or ""))

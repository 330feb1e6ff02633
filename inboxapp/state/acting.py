"""What a write of the open conversation captures, and the base of the ``InboxState`` mixins
that write through the conversation's ``_act`` (the AI draft review, Undo).

:class:`ConversationActions` only declares, for the type checker, what
:class:`~inboxapp.state.conversation.ConversationState` provides in the same ``InboxState``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

import reflex as rx

from inboxapp.state.base import ScreenPart


@dataclass(frozen=True)
class ActionContext:
    """What an action captured under the state lock before it left for the database."""

    user_id: uuid.UUID
    client_id: uuid.UUID
    lead_id: uuid.UUID
    draft_id: str
    tz: tzinfo


ActionCall = Callable[[ActionContext], Any]


class ConversationActions(ScreenPart, rx.State, mixin=True):
    """A mixin that writes through the open conversation (mixed into ``InboxState``)."""

    if TYPE_CHECKING:  # provided by ConversationState (part of the same InboxState)
        selected_id: str
        draft: dict[str, str]
        busy: str
        action_error: str
        role: str

        async def _act(self, *args: Any, **kw: Any) -> list[Any]: ...

        async def _undoable(self, *args: Any, **kw: Any) -> list[Any]: ...

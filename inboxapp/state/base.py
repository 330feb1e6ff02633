"""What every screen's state shares, defined once.

The state tree is ``AuthState`` (the session, :mod:`inboxapp.state.auth`) ->
``WorkspaceState`` (the active workspace, :mod:`inboxapp.state.workspace`) -> one state per
screen (``InboxState``, ``AnalyticsState``, ``JobsState``). Besides those two base states the
screens share:

* :class:`GuardedSetters`: ``_put`` assigns a var only when the value differs, so an unchanged
  value never produces a delta (mixed into ``AuthState``, so every state has it);
* :class:`ScreenPart`: the base of a part of a screen's state kept in its own module (the
  inbox's conversation and live updates);
* :func:`next_request`: request numbers, unique per process (a reset state never reuses one),
  so a load can tell whether it is still the latest of its kind;
* :func:`one_of`, :func:`is_uuid` and :func:`workspace_role`: the checks a handler applies to
  what the browser sent before anything else (a value of the wrong type is never a choice).

Display labels (times, sentiment colours, error sentences) are plain functions in
:mod:`inboxapp.labels`.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Collection, Iterable, Mapping
from typing import Any

_REQUESTS = itertools.count(1)


def next_request() -> int:
    """A new request number (process-wide, increasing)."""
    return next(_REQUESTS)


def one_of(value: Any, choices: Collection[str]) -> bool:
    """``value`` is one of the strings ``choices`` (anything that is not a string is not)."""
    return isinstance(value, str) and value in choices


def is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def workspace_role(workspaces: Iterable[Mapping[str, str]], client_id: str) -> str:
    """The user's role key in ``client_id`` among their workspace rows ("" when not a member)."""
    return next((r.get("role", "") for r in workspaces if r.get("id") == client_id), "")


class GuardedSetters:
    """The guarded setter of a Reflex state (nothing is written while rendering, and an
    unchanged value is never assigned, so it produces no delta)."""

    def _put(self, name: str, value: Any) -> None:
        """Assign ``value`` to the var ``name`` only when it differs (no empty deltas)."""
        if getattr(self, name) != value:
            setattr(self, name, value)

    def _put_all(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            self._put(name, value)


class ScreenPart(GuardedSetters):
    """A part of one screen's state, written as a Reflex state mixin
    (``class Part(ScreenPart, rx.State, mixin=True)``): its vars and handlers become the
    screen state's own, so they share its lock and keep its event names."""

    def _events(self) -> Any:
        """The screen state this part is mixed into: its attributes are the event handlers to
        chain (in a background task ``self`` is a proxy that reports the same class)."""
        return self.__class__

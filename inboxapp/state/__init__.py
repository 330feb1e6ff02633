"""Reflex states (markup lives in ``pages``/``components``; services do the work)."""

from inboxapp.state.auth import AuthState
from inboxapp.state.workspace import WorkspaceState

__all__ = ["AuthState", "WorkspaceState"]

"""The body of every workspace page: load error, spinner until the workspace is known, then
the page's view, or the empty state for a user without a workspace."""

from __future__ import annotations

import reflex as rx

from inboxapp.components.shared.feedback import empty_state, error_callout, page_spinner
from inboxapp.state.workspace import WorkspaceState


def workspace_gate(view: rx.Component, empty_body: str) -> rx.Component:
    return rx.vstack(
        rx.cond(
            WorkspaceState.load_error != "",
            error_callout(WorkspaceState.load_error, "workspace-error"),
        ),
        rx.cond(
            WorkspaceState.show_spinner,
            page_spinner("Loading your workspace…"),
            rx.cond(
                WorkspaceState.active_id != "",
                view,
                rx.cond(
                    WorkspaceState.ready,
                    empty_state(
                        "users", "You're not part of a workspace yet", empty_body, "empty-state"
                    ),
                ),
            ),
        ),
        spacing="4",
        width="100%",
    )

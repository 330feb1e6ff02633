"""Workspace page (/?clientId=<uuid>[&leadId=<uuid>]): the active workspace and its inbox."""

from __future__ import annotations

import reflex as rx

from inboxapp.components.inbox.tabs import awaiting_stat
from inboxapp.components.inbox.view import inbox_view
from inboxapp.components.shared.controls import header_row, small_text
from inboxapp.components.shared.feedback import (
    inline_spinner,
    notice_callout,
)
from inboxapp.components.shared.template import template
from inboxapp.components.shared.testids import testid
from inboxapp.components.shared.workspace_gate import workspace_gate
from inboxapp.state.auth import HOME_ROUTE
from inboxapp.state.inbox import InboxState
from inboxapp.state.workspace import WorkspaceState, on_workspace_ready

# The inbox loads once the page's workspace is settled (and again after each switch).
on_workspace_ready(HOME_ROUTE, InboxState.workspace_ready)


def workspace_header() -> rx.Component:
    return header_row(
        rx.hstack(
            rx.heading(
                WorkspaceState.active_name,
                size="5",
                weight="bold",
                truncate=True,
                custom_attrs=testid("workspace-name"),
            ),
            rx.badge(
                rx.icon("shield_check", size=12),
                WorkspaceState.active_role_label,
                variant="soft",
                size="1",
                radius="full",
                custom_attrs=testid("workspace-role"),
            ),
            rx.cond(
                InboxState.is_setter,
                small_text(
                    "Showing the leads assigned to you", custom_attrs=testid("setter-scope")
                ),
            ),
            rx.cond(WorkspaceState.loading, inline_spinner()),
            align="center",
            spacing="3",
            min_width="0",
        ),
        awaiting_stat(),
    )


def workspace_view() -> rx.Component:
    return rx.vstack(
        rx.cond(
            WorkspaceState.notice != "",
            notice_callout(
                WorkspaceState.notice, WorkspaceState.dismiss_notice, "workspace-notice"
            ),
        ),
        workspace_header(),
        inbox_view(),
        spacing="3",
        width="100%",
        custom_attrs=testid("workspace-page"),
    )


NO_WORKSPACE_BODY = (
    "When a workspace owner or admin adds you, it will appear here. "
    "You can stay signed in meanwhile."
)


@template(route=HOME_ROUTE, title=InboxState.page_title, on_load=WorkspaceState.load, wide=True)
def home() -> rx.Component:
    """Spinner until the first load ends, then the workspace (or the empty state)."""
    return workspace_gate(workspace_view(), NO_WORKSPACE_BODY)

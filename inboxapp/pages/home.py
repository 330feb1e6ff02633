"""Workspace page (/?clientId=<uuid>): the active workspace and a placeholder for the inbox."""

from __future__ import annotations

import reflex as rx

from inboxapp import styles
from inboxapp.components.feedback import (
    empty_state,
    error_callout,
    inline_spinner,
    notice_callout,
    page_spinner,
)
from inboxapp.components.template import template
from inboxapp.components.testids import testid
from inboxapp.state.auth import HOME_ROUTE
from inboxapp.state.workspace import WorkspaceState


def workspace_header() -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text("Workspace", size="1", weight="medium", color=styles.SUBTLE_TEXT),
            rx.hstack(
                rx.heading(
                    WorkspaceState.active_name,
                    size="6",
                    weight="bold",
                    custom_attrs=testid("workspace-name"),
                ),
                rx.cond(WorkspaceState.loading, inline_spinner()),
                align="center",
                spacing="3",
            ),
            spacing="1",
        ),
        rx.badge(
            rx.icon("shield_check", size=12),
            WorkspaceState.active_role,
            variant="soft",
            size="2",
            radius="full",
            custom_attrs=testid("workspace-role"),
        ),
        justify="between",
        align="end",
        width="100%",
        wrap="wrap",
        gap="3",
    )


def inbox_placeholder() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.center(
                rx.icon("mail_check", size=24, color=styles.ACCENT_TEXT),
                width="52px",
                height="52px",
                border_radius="var(--radius-4)",
                background_color=styles.ACCENT_SOFT_BG,
            ),
            rx.heading("Inbox arrives in the next release", size="4", weight="medium"),
            rx.text(
                "Conversations, drafts and assignments for ",
                rx.text.strong(WorkspaceState.active_name),
                " will show up here.",
                size="2",
                color=styles.MUTED_TEXT,
                text_align="center",
            ),
            align="center",
            spacing="3",
            max_width="440px",
        ),
        style=styles.card_style,
        padding="56px 24px",
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
        inbox_placeholder(),
        spacing="5",
        width="100%",
        custom_attrs=testid("workspace-page"),
    )


def no_workspaces() -> rx.Component:
    return empty_state(
        "users",
        "You're not part of a workspace yet",
        "When a workspace owner or admin adds you, it will appear here. "
        "You can stay signed in meanwhile.",
        "empty-state",
    )


@template(route=HOME_ROUTE, title="Workspace", on_load=WorkspaceState.load)
def home() -> rx.Component:
    """Spinner until the first load ends, then the workspace (or the empty state)."""
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
                workspace_view(),
                rx.cond(WorkspaceState.ready, no_workspaces()),
            ),
        ),
        spacing="4",
        width="100%",
    )

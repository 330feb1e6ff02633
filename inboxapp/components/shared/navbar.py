"""Top bar: app name, workspace switcher, the admins' Jobs link, user menu."""

from __future__ import annotations

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.brand import brand
from inboxapp.components.shared.testids import testid
from inboxapp.components.shared.user_menu import user_menu
from inboxapp.components.shared.workspace_switcher import workspace_switcher
from inboxapp.state.workspace import WorkspaceState


def jobs_link() -> rx.Component:
    """The "Jobs" link, for owners and admins of the active workspace (the page checks too)."""
    return rx.cond(
        WorkspaceState.can_admin & (WorkspaceState.active_id != ""),
        rx.link(
            rx.hstack(rx.icon("activity", size=14), rx.text("Jobs"), align="center", spacing="1"),
            href=f"/jobs?clientId={WorkspaceState.active_id}",
            size="2",
            weight="medium",
            underline="hover",
            color="var(--gray-12)",
            title="Background jobs of this workspace",
            custom_attrs=testid("nav-jobs"),
        ),
    )


def navbar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.hstack(
                brand(),
                workspace_switcher(),
                align="center",
                spacing="4",
            ),
            rx.hstack(jobs_link(), user_menu(), align="center", spacing="4"),
            align="center",
            justify="between",
            height="100%",
            width="100%",
        ),
        style=styles.navbar_style,
    )

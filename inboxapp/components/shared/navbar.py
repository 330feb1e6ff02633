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


def _menu_item(icon: str, label: str, route: str) -> rx.Component:
    return rx.menu.item(
        rx.hstack(rx.icon(icon, size=16), rx.text(label), align="center", spacing="2"),
        on_select=rx.redirect(route + "?clientId=" + WorkspaceState.active_id),
        min_height="44px",
        custom_attrs=testid(f"menu-{label.lower()}"),
    )


def phone_menu() -> rx.Component:
    """Below the sidebar's width: the sections in a menu (the sidebar is hidden there)."""
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(
                rx.icon_button(
                    rx.icon("menu", size=20),
                    variant="ghost",
                    color_scheme="gray",
                    size="3",
                    aria_label="Menu",
                    custom_attrs=testid("nav-menu"),
                ),
            ),
            rx.menu.content(
                _menu_item("inbox", "Inbox", "/"),
                _menu_item("chart_no_axes_column", "Analytics", "/analytics"),
                rx.cond(WorkspaceState.can_admin, _menu_item("activity", "Jobs", "/jobs")),
            ),
        ),
        display=["block", "block", "none"],
    )


def navbar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.hstack(
                phone_menu(),
                rx.box(brand(), display=["none", "block"]),
                workspace_switcher(),
                align="center",
                spacing="2",
                min_width="0",
            ),
            rx.hstack(
                rx.box(jobs_link(), display=["none", "none", "block"]),
                user_menu(),
                align="center",
                spacing="4",
            ),
            align="center",
            justify="between",
            height="100%",
            width="100%",
        ),
        style=styles.navbar_style,
    )

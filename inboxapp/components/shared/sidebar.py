"""Left navigation: links to the active workspace's sections (the current one highlighted).
Sections that are not built yet are shown, marked "Soon", and inert."""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.testids import testid
from inboxapp.state.workspace import WorkspaceState

# (icon, label, route or "" when not built yet)
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("inbox", "Inbox", "/"),
    ("chart_no_axes_column", "Analytics", "/analytics"),
    ("settings", "Settings", ""),
)


def _is_current(route: str) -> Any:
    path = WorkspaceState.router.url.path
    if route == "/":
        return (path == "/") | (path == "")
    return (path == route) | (path == route + "/")


def _link(icon: str, label: str, route: str) -> rx.Component:
    current = _is_current(route)
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label), align="center", spacing="2"),
        href=f"{route}?clientId={WorkspaceState.active_id}",
        underline="none",
        aria_current=rx.cond(current, "page", "false"),
        style=styles.sidebar_item_style,
        color=rx.cond(current, styles.ACCENT_TEXT, styles.MUTED_TEXT),
        background_color=rx.cond(current, styles.ACCENT_SOFT_BG, "transparent"),
        display="block",
        _hover={"background_color": rx.cond(current, styles.ACCENT_SOFT_BG, "var(--gray-3)")},
        custom_attrs=testid(f"nav-{label.lower()}"),
    )


def _soon(icon: str, label: str) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=16),
        rx.text(label),
        rx.spacer(),
        rx.badge("Soon", variant="soft", color_scheme="gray", size="1"),
        align="center",
        spacing="2",
        aria_disabled="true",
        style=styles.sidebar_item_style,
        opacity="0.75",
    )


def sidebar() -> rx.Component:
    return rx.el.nav(
        rx.vstack(
            rx.text(
                "Workspace", size="1", weight="medium", color=styles.SUBTLE_TEXT, padding_x="10px"
            ),
            *(
                _link(icon, label, route) if route else _soon(icon, label)
                for icon, label, route in SECTIONS
            ),
            spacing="1",
            width="100%",
        ),
        aria_label="Main",
        style=styles.sidebar_style,
        display=["none", "none", "block"],
    )

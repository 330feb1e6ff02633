"""Left navigation. Sections that are not built yet are shown, marked "Soon", and inert."""

from __future__ import annotations

import reflex as rx

from inboxapp import styles

SECTIONS: tuple[tuple[str, str, bool], ...] = (
    ("inbox", "Inbox", True),
    ("chart_no_axes_column", "Analytics", False),
    ("settings", "Settings", False),
)


def _item(icon: str, label: str, current: bool) -> rx.Component:
    if current:
        return rx.hstack(
            rx.icon(icon, size=16),
            rx.text(label),
            align="center",
            spacing="2",
            aria_current="page",
            style=styles.sidebar_item_active_style,
        )
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
            *(_item(icon, label, current) for icon, label, current in SECTIONS),
            spacing="1",
            width="100%",
        ),
        aria_label="Main",
        style=styles.sidebar_style,
        display=["none", "none", "block"],
    )

"""Top bar: app name, workspace switcher, user menu."""

from __future__ import annotations

import reflex as rx

from inboxapp import styles
from inboxapp.components.brand import brand
from inboxapp.components.user_menu import user_menu
from inboxapp.components.workspace_switcher import workspace_switcher


def navbar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.hstack(
                brand(),
                workspace_switcher(),
                align="center",
                spacing="4",
            ),
            user_menu(),
            align="center",
            justify="between",
            height="100%",
            width="100%",
        ),
        style=styles.navbar_style,
    )

"""The signed-in user's menu (avatar button) with the sign-out action."""

from __future__ import annotations

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.testids import testid
from inboxapp.state.auth import AuthState


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=AuthState.user_initials, size="2", radius="full"),
                rx.text(
                    AuthState.display_name,
                    size="2",
                    weight="medium",
                    color="var(--gray-12)",
                    display=["none", "none", "block"],
                    max_width="180px",
                    **styles.ONE_LINE,
                ),
                rx.icon("chevron_down", size=14, color=styles.SUBTLE_TEXT),
                variant="ghost",
                color_scheme="gray",
                aria_label="Account menu",
                custom_attrs=testid("user-menu"),
            ),
        ),
        rx.menu.content(
            rx.box(
                rx.text(
                    rx.cond(AuthState.display_name != "", AuthState.display_name, "Signed in"),
                    size="2",
                    weight="medium",
                    trim="both",
                ),
                rx.text(AuthState.user_email, size="1", color=styles.MUTED_TEXT, trim="both"),
                padding="8px 12px 10px",
                custom_attrs=testid("user-identity"),
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.hstack(rx.icon("log_out", size=14), rx.text("Log out"), align="center"),
                on_select=AuthState.logout,
                color="red",
                custom_attrs=testid("logout"),
            ),
            align="end",
            min_width="220px",
        ),
    )

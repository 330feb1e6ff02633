"""The app's mark and name."""

from __future__ import annotations

import reflex as rx

from inboxapp import styles


def brand(size: str = "3") -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon("inbox", size=16, color="white"),
            width="28px",
            height="28px",
            border_radius="var(--radius-3)",
            background_color="var(--accent-9)",
        ),
        rx.text(styles.APP_NAME, size=size, weight="bold", color="var(--gray-12)"),
        align="center",
        spacing="2",
    )

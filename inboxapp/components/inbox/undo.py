"""The Undo offer after a quick action ("Draft rejected · Undo"), for a few seconds."""

from __future__ import annotations

import reflex as rx

from inboxapp.components.shared.controls import button, icon_button
from inboxapp.components.shared.testids import testid
from inboxapp.state.inbox import InboxState


def undo_bar() -> rx.Component:
    return rx.cond(
        InboxState.undo_label != "",
        rx.hstack(
            rx.icon("undo_2", size=14),
            rx.text(InboxState.undo_label, size="2", custom_attrs=testid("undo-label")),
            button("Undo", on_click=InboxState.undo, test_id="undo"),
            icon_button("x", "Dismiss", InboxState.dismiss_undo, icon_size=12),
            align="center",
            spacing="2",
            role="status",
            padding="6px 10px",
            border_radius="var(--radius-3)",
            background_color="var(--gray-3)",
            custom_attrs=testid("undo-bar"),
        ),
    )

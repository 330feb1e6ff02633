"""The Undo offer after a quick action ("Draft rejected · Undo") or a bulk action ("3
conversations marked read · Undo"), for a few seconds."""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp.components.shared.controls import button, icon_button
from inboxapp.components.shared.testids import testid
from inboxapp.state.inbox import InboxState


def undo_offer(label: Any, on_undo: Any, on_dismiss: Any, prefix: str = "") -> rx.Component:
    """``label · Undo`` while ``label`` is not empty (test ids ``<prefix>undo-bar``,
    ``<prefix>undo-label``, ``<prefix>undo``)."""
    return rx.cond(
        label != "",
        rx.hstack(
            rx.icon("undo_2", size=14),
            rx.text(label, size="2", custom_attrs=testid(f"{prefix}undo-label")),
            button("Undo", on_click=on_undo, test_id=f"{prefix}undo"),
            icon_button("x", "Dismiss", on_dismiss, icon_size=12),
            align="center",
            spacing="2",
            role="status",
            padding="6px 10px",
            border_radius="var(--radius-3)",
            background_color="var(--gray-3)",
            custom_attrs=testid(f"{prefix}undo-bar"),
        ),
    )


def undo_bar() -> rx.Component:
    return undo_offer(InboxState.undo_label, InboxState.undo, InboxState.dismiss_undo)

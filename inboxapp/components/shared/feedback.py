"""Loading, error, notice and empty-state blocks (stateless: values come from the caller)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.controls import icon_button
from inboxapp.components.shared.testids import testid


def page_spinner(label: str = "Loading…") -> rx.Component:
    """A centred spinner for a page that has nothing to show yet."""
    return rx.center(
        rx.vstack(
            rx.spinner(size="3"),
            rx.text(label, size="2", color=styles.MUTED_TEXT),
            align="center",
            spacing="3",
        ),
        width="100%",
        min_height="320px",
        role="status",
        aria_live="polite",
        custom_attrs=testid("loading-spinner"),
    )


def inline_spinner() -> rx.Component:
    """A small spinner next to a heading while fresh data is on its way."""
    return rx.spinner(
        size="2",
        aria_label="Loading",
        custom_attrs={**testid("loading-spinner"), "role": "status"},
    )


def error_callout(message: Any, test_id: str) -> rx.Component:
    """A red inline error (``role=alert`` so screen readers announce it)."""
    return rx.callout(
        message,
        icon="circle_alert",
        color_scheme="red",
        variant="surface",
        size="1",
        role="alert",
        width="100%",
        custom_attrs=testid(test_id),
    )


def status_note(
    message: Any, icon: str, color: str, test_id: str, *extra: rx.Component, **props: Any
) -> rx.Component:
    """``message`` after an icon, both in Radix colour ``color``, shown while it is not empty;
    ``extra`` (e.g. a Retry button) follows on the same line. ``props``: e.g. ``size``, ``role``.
    """
    size = props.pop("size", "1")
    return rx.cond(
        message != "",
        rx.hstack(
            rx.icon(icon, size=14, color=f"var(--{color}-11)"),
            rx.text(message, size=size, color=f"var(--{color}-12)"),  # 11 is < 4.5:1 on gray
            *extra,
            align="center",
            spacing="2",
            custom_attrs=testid(test_id),
            **props,
        ),
    )


def dismissible_callout(
    message: Any,
    on_dismiss: Any,
    test_id: str,
    *,
    color: str = "blue",
    icon: str = "info",
    role: str = "status",
    inset: tuple[str, str] = ("12px", "44px"),
) -> rx.Component:
    """A callout with a Dismiss button at its right end (``inset``: the button's distance from
    the edge and the room kept for it)."""
    right, room = inset
    return rx.callout.root(
        rx.callout.icon(rx.icon(icon, size=16)),
        rx.callout.text(message),
        icon_button(
            "x",
            "Dismiss",
            on_dismiss,
            color_scheme=color,
            position="absolute",
            right=right,
            top="50%",
            transform="translateY(-50%)",
        ),
        color_scheme=color,
        variant="surface",
        size="1",
        role=role,
        width="100%",
        position="relative",
        padding_right=room,
        custom_attrs=testid(test_id),
    )


def notice_callout(message: Any, on_dismiss: Any, test_id: str) -> rx.Component:
    """An informational notice the user can dismiss."""
    return dismissible_callout(message, on_dismiss, test_id)


def empty_state(icon: str, title: str, body: str, test_id: str) -> rx.Component:
    """A friendly explanation of why there is nothing here yet."""
    return rx.center(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=22, color=styles.ACCENT_TEXT),
                width="48px",
                height="48px",
                border_radius="var(--radius-4)",
                background_color=styles.ACCENT_SOFT_BG,
            ),
            rx.heading(title, size="4", weight="medium"),
            rx.text(body, size="2", color=styles.MUTED_TEXT, text_align="center"),
            align="center",
            spacing="3",
            max_width="420px",
        ),
        style=styles.card_style,
        padding="48px 24px",
        custom_attrs=testid(test_id),
    )

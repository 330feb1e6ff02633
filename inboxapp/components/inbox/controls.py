"""Controls of the inbox screen: action buttons that follow ``InboxState.busy`` (the running
action's key; every action waits while one runs), small selects, lead badges, keyboard hints."""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp.components.inbox.styles import kbd_style, small_select_style
from inboxapp.components.shared.controls import button, small_text
from inboxapp.components.shared.testids import testid
from inboxapp.state.inbox import InboxState


def any_busy() -> Any:
    """True while any inbox action runs (every action button is disabled then)."""
    return InboxState.busy != ""


def action_button(label: Any, busy_key: str, **props: Any) -> rx.Component:
    """A :func:`button` that spins while the action ``busy_key`` runs (``loading`` may add
    to that) and waits while any action runs."""
    props.setdefault("loading", InboxState.busy == busy_key)
    return button(label, disabled=any_busy(), **props)


def small_select(*children: rx.Component, **props: Any) -> rx.Component:
    return rx.el.select(*children, style=small_select_style, **props)


def sentiment_badge(item: Any, test_id: str, **props: Any) -> rx.Component:
    """The lead's sentiment in its colour, when it has one."""
    return rx.cond(
        item["sentiment"] != "",
        rx.badge(
            item["sentiment"],
            color_scheme=item["sentiment_color"],
            variant="soft",
            custom_attrs=testid(test_id),
            **props,
        ),
    )


def status_badge(item: Any, test_id: str, **props: Any) -> rx.Component:
    """The lead's status label, outlined grey."""
    return rx.badge(
        item["status_label"],
        variant="outline",
        color_scheme="gray",
        custom_attrs=testid(test_id),
        **props,
    )


def kbd(key: str) -> rx.Component:
    return rx.el.span(key, style=kbd_style)


def key_hints(*parts: str | rx.Component, **props: Any) -> rx.Component:
    """A line of keyboard hints: :func:`kbd` keys and small words (``parts`` given as text)."""
    return rx.hstack(
        *(small_text(part) if isinstance(part, str) else part for part in parts),
        align="center",
        spacing="1",
        **props,
    )

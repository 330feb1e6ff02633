"""The keyboard shortcut sheet (``?`` opens it) and the note that counts ignore filters."""

from __future__ import annotations

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.testids import testid
from inboxapp.state.inbox import InboxState

SHORTCUTS = (
    ("j / ↓", "Next conversation"),
    ("k / ↑", "Previous conversation"),
    ("Home / End", "First / last conversation (in the list)"),
    ("Enter", "Open the focused conversation"),
    ("/", "Search"),
    ("r", "Write a reply"),
    ("Ctrl + Enter", "Send the reply"),
    ("u", "Mark the open conversation unread"),
    ("x", "Select the conversation (shift-click a check box: a range)"),
    ("Esc", "Close the conversation (or leave a text field)"),
    ("?", "This list"),
)


def shortcut_sheet() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.icon_button(
                rx.icon("keyboard", size=16),
                variant="ghost",
                color_scheme="gray",
                size="2",
                aria_label="Keyboard shortcuts",
                title="Keyboard shortcuts (?)",
                custom_attrs=testid("shortcuts-open"),
            ),
        ),
        rx.dialog.content(
            rx.dialog.title("Keyboard shortcuts"),
            rx.dialog.description(
                "Keys work when no text field has the focus.", size="2", color=styles.MUTED_TEXT
            ),
            rx.el.dl(
                *(
                    rx.hstack(
                        rx.el.dt(rx.code(key), min_width="120px"),
                        rx.el.dd(rx.text(what, size="2"), margin="0"),
                        align="center",
                        spacing="3",
                        padding_y="4px",
                    )
                    for key, what in SHORTCUTS
                ),
                margin_y="12px",
            ),
            rx.dialog.close(
                rx.button("Close", variant="soft", custom_attrs=testid("shortcuts-close"))
            ),
            max_width="440px",
            custom_attrs=testid("shortcuts-sheet"),
        ),
    )


def counts_note() -> rx.Component:
    """The tab counts are the whole tab's: said plainly while the list is filtered."""
    return rx.cond(
        InboxState.filters_active,
        rx.text(
            "Tab counts are for the whole tab; search and filters narrow the list only.",
            size="1",
            color=styles.MUTED_TEXT,
            custom_attrs=testid("counts-filter-note"),
        ),
    )

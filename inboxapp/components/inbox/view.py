"""The inbox of the active workspace: tabs with counts, the toolbar, then the list and the open
conversation side by side. One ``inbox-container`` for the page's whole life: workspace
switches, loads and errors only swap what is inside it.

Routing: the workspace page (``/``, see ``pages/home.py``) hosts it; the inbox loads once the
workspace is settled (``on_workspace_ready``).
"""

from __future__ import annotations

import reflex as rx

from inboxapp.components.inbox.conversation import conversation_pane
from inboxapp.components.inbox.conversation_list import conversation_list
from inboxapp.components.inbox.filters import inbox_filters
from inboxapp.components.inbox.styles import PANES_HEIGHT, PANES_MIN_HEIGHT, inbox_card_style
from inboxapp.components.inbox.tabs import inbox_tabs
from inboxapp.components.shared.feedback import status_note
from inboxapp.components.shared.testids import testid
from inboxapp.state.inbox import InboxState


def counts_error() -> rx.Component:
    retry = rx.button(
        "Retry", on_click=InboxState.retry, variant="ghost", size="1", color_scheme="amber"
    )
    return status_note(InboxState.counts_error, "triangle_alert", "amber", "counts-error", retry)


def inbox_view() -> rx.Component:
    return rx.vstack(
        inbox_tabs(),
        counts_error(),
        inbox_filters(),
        rx.flex(
            conversation_list(),
            conversation_pane(),
            flex_direction=["column", "column", "row"],
            height=["auto", "auto", PANES_HEIGHT],
            min_height=PANES_MIN_HEIGHT,
            style=inbox_card_style,
        ),
        spacing="3",
        width="100%",
        custom_attrs=testid("inbox-container"),
    )

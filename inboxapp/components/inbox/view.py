"""The inbox of the active workspace: tabs with counts, the toolbar, then the list and the open
conversation side by side. One ``inbox-container`` for the page's whole life: workspace
switches, loads and errors only swap what is inside it.

Routing: the workspace page (``/``, see ``pages/home.py``) hosts it; the inbox loads once the
workspace is settled (``on_workspace_ready``).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp.components.inbox.conversation import conversation_pane
from inboxapp.components.inbox.conversation_list import conversation_list
from inboxapp.components.inbox.filters import inbox_filters
from inboxapp.components.inbox.shortcuts import counts_note, shortcut_sheet
from inboxapp.components.inbox.styles import PANES_HEIGHT, PANES_MIN_HEIGHT, inbox_card_style
from inboxapp.components.inbox.tabs import inbox_tabs
from inboxapp.components.shared.feedback import notice_callout, status_note
from inboxapp.components.shared.testids import testid
from inboxapp.state.inbox import InboxState

S: Any = InboxState


def counts_error() -> rx.Component:
    retry = rx.button(
        "Retry", on_click=InboxState.retry, variant="ghost", size="1", color_scheme="amber"
    )
    return status_note(InboxState.counts_error, "triangle_alert", "amber", "counts-error", retry)


def history_input() -> rx.Component:
    """Where Back / Forward hand the address bar's ``leadId`` to the state (``page.js``
    ``followHistory``); invisible, out of the tab order, not announced."""
    return rx.el.input(
        id="nav-lead",
        type="text",
        tab_index=-1,
        aria_hidden="true",
        on_change=S.follow_url_lead,
        style={"position": "absolute", "width": "1px", "height": "1px", "opacity": "0",
               "pointerEvents": "none", "left": "-9999px"},
    )  # fmt: skip


def inbox_view() -> rx.Component:
    return rx.vstack(
        history_input(),
        rx.cond(
            InboxState.url_notice != "",
            notice_callout(InboxState.url_notice, InboxState.dismiss_url_notice, "url-notice"),
        ),
        rx.vstack(
            inbox_tabs(),
            counts_error(),
            rx.hstack(inbox_filters(), shortcut_sheet(), align="start", width="100%"),
            counts_note(),
            spacing="3",
            width="100%",
            custom_attrs={"data-part": "list-controls"},
        ),
        rx.flex(
            conversation_list(),
            conversation_pane(),
            flex_direction=["column", "column", "row"],
            height=["auto", "auto", PANES_HEIGHT],
            min_height=PANES_MIN_HEIGHT,
            style=inbox_card_style,
            # Below the two-pane width the list and the conversation take turns on one screen
            # (assets/css/layout.css reads this).
            custom_attrs={
                "data-open": rx.cond(InboxState.selected_id == "", "list", "conversation")
            },
        ),
        spacing="3",
        width="100%",
        # Below the two-pane width the list (with its tabs and filters) and the conversation
        # take turns on one screen: assets/css/layout.css reads data-open.
        custom_attrs={
            **testid("inbox-container"),
            "data-open": rx.cond(InboxState.selected_id == "", "list", "conversation"),
        },
    )

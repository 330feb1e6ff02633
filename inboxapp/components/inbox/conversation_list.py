"""The conversation list: rows (``inbox-row`` with ``data-lead-id``), "Load more", and the
loading, empty and error states. Rows are shown only while they belong to the workspace in the
switcher, so a switch never shows another workspace's leads.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from inboxapp import styles
from inboxapp.components.inbox.bulk import bulk_bar, is_checked, row_check
from inboxapp.components.inbox.controls import kbd, key_hints, sentiment_badge, status_badge
from inboxapp.components.inbox.styles import list_pane_style, row_style
from inboxapp.components.shared.controls import (
    button,
    centred_panel,
    message_text,
    muted_text,
    small_text,
)
from inboxapp.components.shared.testids import testid
from inboxapp.state.inbox import InboxState
from inboxapp.state.workspace import WorkspaceState

# At runtime InboxState's attributes are Vars and EventHandlers (``.length()``, ``.contains()``,
# ``handler(arg)``, ``.debounce()``); mypy only sees their Python annotations.
S: Any = InboxState

SKELETON_ROWS = 8


def _rows_shown() -> Any:
    return InboxState.inbox_client == WorkspaceState.active_id


def _direction_icon(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.cond(
        row["direction"] == "outbound",
        rx.icon("corner_up_right", size=12, color=styles.SUBTLE_TEXT, aria_label="Sent"),
        rx.icon("corner_down_left", size=12, color=styles.ACCENT_TEXT, aria_label="Received"),
    )


def _assignee(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.cond(
        row["assignee"] != "",
        rx.hstack(
            rx.avatar(
                fallback=row["assignee_initials"],
                size="1",
                radius="full",
                variant="soft",
                color_scheme="gray",
                width="18px",
                height="18px",
                font_size="9px",
            ),
            muted_text(row["assignee"], **styles.ONE_LINE, min_width="0"),
            align="center",
            spacing="1",
            max_width="150px",
            min_width="0",
            title=row["assignee"],
            custom_attrs=testid("row-assignee"),
        ),
        small_text("Unassigned"),
    )


def inbox_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    selected = row["id"] == InboxState.selected_id
    unread = row["unread"] != ""
    return rx.box(
        rx.hstack(
            row_check(row),
            rx.box(
                width="7px",
                height="7px",
                min_width="7px",
                border_radius="50%",
                background_color=rx.cond(unread, "var(--accent-9)", "transparent"),
                aria_label=rx.cond(unread, "Unread", ""),
                custom_attrs=testid("unread-marker"),
            ),
            rx.text(
                row["name"],
                size="2",
                weight=rx.cond(unread, "bold", "medium"),
                color="var(--gray-12)",
                truncate=True,
                custom_attrs=testid("row-name"),
            ),
            rx.cond(
                row["company"] != "",
                small_text(row["company"], truncate=True),
            ),
            rx.spacer(),
            rx.text(
                row["time"],
                size="1",
                color=rx.cond(unread, styles.ACCENT_TEXT, styles.SUBTLE_TEXT),
                weight=rx.cond(unread, "medium", "regular"),
                white_space="nowrap",
                title=row["time_title"],
                custom_attrs=testid("row-time"),
            ),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.hstack(
            _direction_icon(row),
            rx.text(
                rx.cond(row["preview"] != "", row["preview"], "No messages yet"),
                size="1",
                color=rx.cond(unread, "var(--gray-12)", styles.MUTED_TEXT),
                truncate=True,
                custom_attrs=testid("row-preview"),
            ),
            align="center",
            spacing="1",
            width="100%",
            padding_left="39px",
        ),
        rx.hstack(
            sentiment_badge(row, "row-sentiment", size="1"),
            status_badge(row, "row-status", size="1"),
            rx.spacer(),
            _assignee(row),
            rx.cond(
                unread,
                rx.badge(
                    row["unread"],
                    variant="solid",
                    radius="full",
                    size="1",
                    aria_label="Unread messages",
                    custom_attrs=testid("row-unread"),
                ),
            ),
            align="center",
            spacing="2",
            width="100%",
            padding_left="39px",
        ),
        on_click=S.select_lead(row["id"]),
        role="option",
        aria_selected=selected,
        tab_index=rx.cond(selected, 0, -1),  # roving: the list is one Tab stop
        style=row_style,
        background_color=rx.cond(selected, "var(--accent-2)", "transparent"),
        border_left=rx.cond(selected, "3px solid var(--accent-9)", "3px solid transparent"),
        _hover={"background_color": rx.cond(selected, "var(--accent-3)", "var(--gray-2)")},
        custom_attrs={
            "data-testid": "inbox-row",
            "data-lead-id": row["id"],
            "data-unread": rx.cond(unread, "true", "false"),
            "aria-checked": rx.cond(is_checked(row), "true", "false"),
        },
    )


def _skeleton_row() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.skeleton(rx.box(height="14px", width="45%")),
            rx.spacer(),
            rx.skeleton(rx.box(height="12px", width="28px")),
            width="100%",
        ),
        rx.skeleton(rx.box(height="12px", width="85%")),
        rx.skeleton(rx.box(height="16px", width="35%")),
        spacing="2",
        padding="12px 14px",
        border_bottom="1px solid var(--gray-4)",
        width="100%",
    )


def list_skeleton() -> rx.Component:
    return rx.box(
        *(_skeleton_row() for _ in range(SKELETON_ROWS)),
        aria_busy="true",
        role="status",
        aria_label="Loading conversations",
        width="100%",
        custom_attrs=testid("list-skeleton"),
    )


def list_empty() -> rx.Component:
    return centred_panel(
        rx.center(
            rx.cond(
                InboxState.filters_active,
                rx.icon("search_x", size=20, color=styles.ACCENT_TEXT),
                rx.icon("inbox", size=20, color=styles.ACCENT_TEXT),
            ),
            width="44px",
            height="44px",
            border_radius="var(--radius-4)",
            background_color=styles.ACCENT_SOFT_BG,
        ),
        rx.text(InboxState.empty_title, size="3", weight="medium", text_align="center"),
        message_text(InboxState.empty_body),
        rx.cond(
            InboxState.filters_active,
            button("Clear filters", on_click=InboxState.clear_filters),
        ),
        spacing="2",
        max_width="300px",
        padding="48px 20px",
        width="100%",
        custom_attrs=testid("list-empty"),
    )


def list_error() -> rx.Component:
    return centred_panel(
        rx.icon("cloud_off", size=22, color="var(--red-10)"),
        message_text(InboxState.list_error, role="alert"),
        button("Retry", icon="rotate_cw", on_click=InboxState.retry, test_id="list-retry"),
        max_width="300px",
        padding="48px 20px",
        width="100%",
        custom_attrs=testid("list-error"),
    )


def list_footer() -> rx.Component:
    return rx.vstack(
        rx.cond(
            InboxState.has_more,
            button(
                rx.cond(InboxState.more_loading, "Loading…", "Load more"),
                on_click=InboxState.load_more,
                loading=InboxState.more_loading,
                disabled=InboxState.list_loading,
                color_scheme="gray",
                size="2",
                width="100%",
                test_id="load-more",
                custom_attrs={"data-autoload": "true"},
            ),
        ),
        rx.hstack(
            rx.text(
                S.rows.length().to_string(),
                rx.cond(InboxState.has_more, "+", ""),
                " shown",
                size="1",
                color=styles.SUBTLE_TEXT,
                custom_attrs=testid("rows-shown"),
            ),
            rx.spacer(),
            key_hints(
                kbd("j"), kbd("k"), "move", kbd("/"), "search", display=["none", "none", "flex"]
            ),
            width="100%",
            align="center",
        ),
        spacing="2",
        padding="10px 14px 12px",
        width="100%",
    )


def _list_body() -> rx.Component:
    return rx.cond(
        InboxState.list_error != "",
        list_error(),
        rx.cond(
            _rows_shown() & (S.rows.length() > 0),
            rx.box(
                rx.foreach(InboxState.rows, inbox_row),
                list_footer(),
                role="listbox",
                aria_label="Conversations",
                # With no row selected the list itself takes the Tab stop (arrows enter it).
                tab_index=rx.cond(InboxState.selected_id == "", 0, -1),
                id="inbox-listbox",
                width="100%",
                opacity=rx.cond(InboxState.list_loading, "0.6", "1"),
                transition="opacity 120ms ease-out",
            ),
            rx.cond(
                _rows_shown() & InboxState.list_loaded & ~InboxState.list_loading,
                list_empty(),
                list_skeleton(),
            ),
        ),
    )


def conversation_list() -> rx.Component:
    return rx.box(
        bulk_bar(),
        rx.box(
            _list_body(),
            id="inbox-list",
            overflow_y="auto",
            flex="1",
            min_height="0",
            width="100%",
        ),
        style=list_pane_style,
        custom_attrs=testid("conversation-list"),
    )

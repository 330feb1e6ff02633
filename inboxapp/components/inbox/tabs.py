"""Filter tabs with count badges, plus the derived "Awaiting reply" figure.

Each tab is ``filter-tab-<countKey>`` and holds ``count-<countKey>`` (the number only) once the
counts of the shown workspace are known; a skeleton stands in before that.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.controls import small_text
from inboxapp.components.shared.testids import testid
from inboxapp.inbox.view import AWAITING_TAB, LIST_TABS, Tab
from inboxapp.state.inbox import InboxState
from inboxapp.state.workspace import WorkspaceState

# At runtime InboxState's attributes are Vars and EventHandlers (``.length()``, ``.contains()``,
# ``handler(arg)``, ``.debounce()``); mypy only sees their Python annotations.
S: Any = InboxState


def _counts_shown() -> Any:
    return InboxState.counts_loaded & (InboxState.inbox_client == WorkspaceState.active_id)


def count_badge(key: str, active: Any = False) -> rx.Component:
    urgent = key == "requiresAttention"
    return rx.cond(
        _counts_shown(),
        rx.badge(
            InboxState.counts[key],
            variant=rx.cond(active, "solid", "soft"),
            color_scheme=rx.cond(
                active | (urgent & (InboxState.counts[key] > 0)), "indigo", "gray"
            ),
            radius="full",
            size="1",
            min_width="22px",
            justify_content="center",
            font_variant_numeric="tabular-nums",
            custom_attrs=testid(f"count-{key}"),
        ),
        rx.skeleton(rx.box(width="22px", height="18px"), loading=True),
    )


def tab_button(tab: Tab) -> rx.Component:
    active = InboxState.tab == tab.key
    return rx.el.button(
        rx.text(tab.label, size="2", weight=rx.cond(active, "medium", "regular")),
        count_badge(tab.key, active),
        on_click=S.select_tab(tab.key),
        title=tab.title,
        role="tab",
        aria_selected=active,
        type="button",
        display="inline-flex",
        align_items="center",
        gap="8px",
        padding="0 10px",
        custom_attrs=testid(f"filter-tab-{tab.key}"),
        **styles.tab_button_style(active),
    )


def awaiting_stat() -> rx.Component:
    """``awaitingReply`` has no list of its own: a figure, not a tab."""
    return rx.tooltip(
        rx.hstack(
            rx.icon("hourglass", size=14, color=styles.SUBTLE_TEXT),
            rx.text(AWAITING_TAB.label, size="2", color=styles.MUTED_TEXT, white_space="nowrap"),
            count_badge(AWAITING_TAB.key),
            align="center",
            spacing="2",
            padding="0 10px",
            height="32px",
            border="1px dashed var(--gray-6)",
            border_radius="var(--radius-3)",
            aria_label=AWAITING_TAB.title,
            custom_attrs=testid(f"filter-tab-{AWAITING_TAB.key}"),
        ),
        content=AWAITING_TAB.title,
    )


_LIVE_LOOK = {
    # status: (dot colour, label, tooltip)
    "live": ("var(--grass-9)", "Live", "Live: changes appear as they happen."),
    "reconnecting": (
        "var(--amber-9)",
        "Reconnecting…",
        "Live updates are reconnecting; the inbox refreshes once they are back.",
    ),
    "connecting": ("var(--gray-8)", "Connecting…", "Connecting live updates…"),
    "offline": (
        "var(--gray-8)",
        "Offline",
        "Live updates are off. Reload the page to turn them back on.",
    ),
}


def _live_pick(index: int) -> Any:
    """The look of the current ``live_status`` (column ``index`` of ``_LIVE_LOOK``)."""
    return rx.match(
        InboxState.live_status,
        *((status, look[index]) for status, look in _LIVE_LOOK.items()),
        _LIVE_LOOK["connecting"][index],
    )


def live_indicator() -> rx.Component:
    """A small live / reconnecting badge; ``data-state`` carries ``InboxState.live_status``."""
    return rx.cond(
        InboxState.live_status != "",
        rx.hstack(
            rx.box(
                width="8px",
                height="8px",
                min_width="8px",
                border_radius="50%",
                background_color=_live_pick(0),
                aria_hidden="true",
            ),
            small_text(_live_pick(1), white_space="nowrap"),
            align="center",
            spacing="1",
            padding="0 6px",
            height="32px",
            title=_live_pick(2),
            role="status",
            aria_live="polite",
            custom_attrs={"data-testid": "live-indicator", "data-state": InboxState.live_status},
        ),
    )


def inbox_tabs() -> rx.Component:
    """The seven list tabs (the "Awaiting reply" figure sits in the page header) and the
    live-updates indicator at the end of the row."""
    return rx.hstack(
        rx.hstack(
            *(tab_button(tab) for tab in LIST_TABS),
            role="tablist",
            aria_label="Inbox filters",
            spacing="1",
            wrap="wrap",
            align="center",
        ),
        rx.spacer(),
        live_indicator(),
        spacing="1",
        wrap="wrap",
        align="center",
        width="100%",
    )

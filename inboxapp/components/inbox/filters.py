"""The list toolbar: search (debounced, 3+ characters), channel, sentiment tags, campaign and
score filters, "Clear", and the ``loading-spinner`` while a list or counts load is in flight.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from inboxapp import styles
from inboxapp.components.inbox.styles import small_select_style
from inboxapp.components.shared.controls import button, small_text
from inboxapp.components.shared.testids import testid
from inboxapp.domain.vocabulary import SENTIMENT_TAGS
from inboxapp.inbox.view import CHANNEL_OPTIONS, ORDER_LABELS, ORDER_OPTIONS, SCORE_OPTIONS
from inboxapp.state.inbox import InboxState

# At runtime InboxState's attributes are Vars and EventHandlers (``.length()``, ``.contains()``,
# ``handler(arg)``, ``.debounce()``); mypy only sees their Python annotations.
S: Any = InboxState

SEARCH_DEBOUNCE_MS = 350


def _option(item: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.el.option(item["label"], value=item["value"])


def _campaign_option(item: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.el.option(item["name"], value=item["id"])


def _highlight(value: Any) -> dict[str, Any]:
    """A filter in use is tinted with the accent colour."""
    on = value != ""
    return {
        "border_color": rx.cond(on, "var(--accent-8)", "var(--gray-7)"),
        "background_color": rx.cond(on, "var(--accent-2)", styles.SURFACE_BG),
        "color": rx.cond(on, "var(--accent-12)", "var(--gray-12)"),
    }


def _select(
    value: Any,
    on_change: Any,
    placeholder: str,
    options: list[dict[str, str]],
    label: str,
    test_id: str,
) -> rx.Component:
    return rx.el.select(
        rx.el.option(placeholder, value=""),
        *(rx.el.option(o["label"], value=o["value"]) for o in options),
        value=value,
        on_change=on_change,
        aria_label=label,
        title=label,
        style=small_select_style,
        **_highlight(value),
        custom_attrs=testid(test_id),
    )


def search_box() -> rx.Component:
    return rx.input(
        rx.input.slot(rx.icon("search", size=14)),
        id="inbox-search",
        type="search",
        placeholder="Search name, email or phone",
        on_change=S.set_search.debounce(SEARCH_DEBOUNCE_MS),
        aria_label="Search conversations",
        auto_complete="off",
        size="2",
        width=["100%", "100%", "260px"],
        custom_attrs=testid("inbox-search"),
    )


def _sentiment_item(tag: str) -> rx.Component:
    return rx.el.label(
        rx.checkbox(
            checked=S.sentiment_filter.contains(tag),
            on_change=lambda checked: S.toggle_sentiment(tag, checked),
            size="1",
        ),
        rx.text(tag, size="2"),
        display="flex",
        align_items="center",
        gap="8px",
        padding="4px 6px",
        border_radius="var(--radius-2)",
        cursor="pointer",
        _hover={"background_color": "var(--gray-3)"},
        custom_attrs=testid("sentiment-option-" + tag.lower().replace(" ", "-")),
    )


def sentiment_filter() -> rx.Component:
    active = S.sentiment_filter.length() > 0
    return rx.popover.root(
        rx.popover.trigger(
            rx.el.button(
                InboxState.sentiment_summary,
                type="button",
                aria_label="Filter by sentiment",
                title="Sentiment",
                style=small_select_style,
                **_highlight(rx.cond(active, "on", "")),
                custom_attrs=testid("sentiment-filter"),
            ),
        ),
        rx.popover.content(
            rx.grid(
                *(_sentiment_item(tag) for tag in SENTIMENT_TAGS),
                columns="2",
                spacing="1",
                width="360px",
            ),
            size="1",
            align="start",
        ),
    )


def _named_select(
    value: Any, on_change: Any, fixed: list[tuple[str, str]], items: Any, label: str, test_id: str
) -> rx.Component:
    """A filter select: the ``fixed`` (label, value) options, then one per ``items`` row
    (``{"id", "name"}``), tinted while in use."""
    return rx.el.select(
        *(rx.el.option(text, value=key) for text, key in fixed),
        rx.foreach(items, _campaign_option),
        value=value,
        on_change=on_change,
        aria_label=label,
        title=label,
        style=small_select_style,
        **_highlight(value),
        custom_attrs=testid(test_id),
    )


def campaign_filter() -> rx.Component:
    return rx.cond(
        S.campaigns.length() > 0,
        _named_select(
            InboxState.campaign_filter,
            InboxState.set_campaign_filter,
            [("All campaigns", "")],
            InboxState.campaigns,
            "Filter by campaign",
            "campaign-filter",
        ),
    )


def assignee_filter() -> rx.Component:
    """Managers' views: everyone's leads, mine, unassigned, or one setter's."""
    return rx.cond(
        InboxState.can_manage,
        _named_select(
            InboxState.assignee_filter,
            InboxState.set_assignee_filter,
            [("Everyone", ""), ("Mine", "me"), ("Unassigned", "none")],
            InboxState.setters,
            "Whose leads",
            "assignee-filter",
        ),
    )


def snoozed_toggle() -> rx.Component:
    """The Snoozed view: snoozed leads are hidden everywhere else until they wake."""
    return rx.el.label(
        rx.checkbox(
            checked=InboxState.snoozed_only,
            on_change=InboxState.set_snoozed_only,
            aria_label="Snoozed view",
            custom_attrs=testid("snoozed-view"),
        ),
        small_text("Snoozed"),
        display="flex",
        align_items="center",
        gap="6px",
        min_height="32px",
        cursor="pointer",
    )


def inbox_filters() -> rx.Component:
    return rx.hstack(
        search_box(),
        rx.cond(
            InboxState.search_hint != "",
            small_text(InboxState.search_hint, custom_attrs=testid("search-hint")),
        ),
        _select(
            InboxState.channel_filter,
            InboxState.set_channel_filter,
            "All channels",
            CHANNEL_OPTIONS,
            "Filter by channel",
            "channel-filter",
        ),
        sentiment_filter(),
        campaign_filter(),
        _select(
            InboxState.score_filter,
            InboxState.set_score_filter,
            "Any score",
            SCORE_OPTIONS,
            "Filter by score",
            "score-filter",
        ),
        assignee_filter(),
        snoozed_toggle(),
        _select(
            InboxState.list_order,
            InboxState.set_list_order,
            ORDER_LABELS["newest"],
            ORDER_OPTIONS,
            "Order of the list",
            "order-select",
        ),
        rx.cond(
            InboxState.filters_active,
            button(
                "Clear",
                icon="x",
                on_click=InboxState.clear_filters,
                variant="ghost",
                color_scheme="gray",
                test_id="clear-filters",
            ),
        ),
        rx.spacer(),
        rx.cond(
            InboxState.loading_any,
            rx.hstack(
                rx.spinner(size="2"),
                small_text("Updating…"),
                align="center",
                spacing="2",
                role="status",
                aria_live="polite",
                custom_attrs=testid("loading-spinner"),
            ),
        ),
        align="center",
        spacing="2",
        wrap="wrap",
        width="100%",
    )

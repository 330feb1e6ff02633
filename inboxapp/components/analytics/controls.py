"""The analytics tabs and the window selector (7d / 30d / 90d / custom range).

Tabs are ``analytics-tab-<key>`` (``aria-selected`` on the active one); window buttons are
``window-<key>``. The custom range is a small form (``custom-from``, ``custom-to``,
``custom-apply``) whose bad ranges show the server's reason in ``window-error``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp import styles
from inboxapp.analytics.view import TABS, WINDOWS
from inboxapp.analytics.windows import CUSTOM
from inboxapp.components.shared.controls import button, small_text
from inboxapp.components.shared.feedback import status_note
from inboxapp.components.shared.testids import testid
from inboxapp.state.analytics import AnalyticsState

# At runtime AnalyticsState's attributes are Vars and EventHandlers (``handler(arg)``);
# mypy only sees their Python annotations.
S: Any = AnalyticsState


def tab_button(key: str, label: str) -> rx.Component:
    active = AnalyticsState.an_tab == key
    return rx.el.button(
        rx.text(label, size="2", weight=rx.cond(active, "medium", "regular")),
        on_click=S.select_tab(key),
        role="tab",
        aria_selected=active,
        type="button",
        padding="0 12px",
        custom_attrs=testid(f"analytics-tab-{key}"),
        **styles.tab_button_style(active),
    )


def analytics_tabs() -> rx.Component:
    return rx.hstack(
        *(tab_button(key, label) for key, label in TABS),
        role="tablist",
        aria_label="Analytics sections",
        spacing="1",
        wrap="wrap",
        align="center",
    )


def window_button(key: str, label: str) -> rx.Component:
    active: Any
    if key == CUSTOM:
        active = (AnalyticsState.an_window == CUSTOM) | AnalyticsState.custom_open
    else:
        active = (AnalyticsState.an_window == key) & ~AnalyticsState.custom_open
    return rx.el.button(
        rx.hstack(
            rx.icon("calendar_range", size=13) if key == CUSTOM else rx.fragment(),
            rx.text(label, size="1", weight="medium"),
            align="center",
            spacing="1",
        ),
        on_click=S.select_window(key),
        type="button",
        aria_pressed=active,
        height="28px",
        padding="0 10px",
        border="none",
        border_radius="var(--radius-2)",
        cursor="pointer",
        white_space="nowrap",
        color=rx.cond(active, "var(--gray-12)", "var(--gray-11)"),
        background_color=rx.cond(active, styles.SURFACE_BG, "transparent"),
        box_shadow=rx.cond(active, styles.SHADOW, "none"),
        _focus_visible={"outline": "none", "box_shadow": styles.FOCUS_RING},
        custom_attrs=testid(f"window-{key}"),
    )


def window_selector() -> rx.Component:
    return rx.hstack(
        *(window_button(key, label) for key, label in WINDOWS),
        role="group",
        aria_label="Period",
        spacing="1",
        padding="2px",
        background_color="var(--gray-3)",
        border_radius="var(--radius-3)",
        custom_attrs=testid("window-selector"),
    )


def _date_input(name: str, label: str, value: Any) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"custom-{name}", font_size="12px", color=styles.MUTED_TEXT),
        rx.input(
            id=f"custom-{name}",
            name=name,
            type="date",
            default_value=value,
            required=True,
            size="2",
            custom_attrs=testid(f"custom-{name}"),
        ),
        spacing="1",
    )


def custom_range_form() -> rx.Component:
    """From/to dates, applied together; a bad range is explained next to the inputs."""
    return rx.form(
        rx.vstack(
            rx.hstack(
                _date_input("from", "From", AnalyticsState.an_from),
                _date_input("to", "To (inclusive)", AnalyticsState.an_to),
                rx.hstack(
                    rx.button(
                        "Apply", type="submit", size="2", custom_attrs=testid("custom-apply")
                    ),
                    button(
                        "Cancel",
                        type="button",
                        size="2",
                        color_scheme="gray",
                        on_click=AnalyticsState.cancel_custom,
                    ),
                    spacing="2",
                ),
                align="end",
                spacing="3",
                wrap="wrap",
            ),
            status_note(
                AnalyticsState.window_error,
                "circle_alert",
                "red",
                "window-error",
                size="2",
                role="alert",
            ),
            small_text("Dates are in the workspace's time zone; a range covers at most 180 days."),
            spacing="2",
            width="100%",
        ),
        on_submit=AnalyticsState.apply_custom,
        reset_on_submit=False,
        width="100%",
        padding="12px 14px",
        border=styles.BORDER,
        border_radius="var(--radius-3)",
        background_color=styles.SURFACE_BG,
        custom_attrs=testid("custom-range"),
    )

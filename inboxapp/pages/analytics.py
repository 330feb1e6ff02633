"""Analytics page (/analytics?clientId=<uuid>[&tab=&window=&from=&to=]).

The page's ``on_load`` is the workspace load; once it settles the workspace,
``AnalyticsState.workspace_ready`` shows the saved view from the browser's session cache (if
any) and loads the fresh one. Only the active tab loads (see :mod:`inboxapp.state.analytics`).
"""

from __future__ import annotations

import reflex as rx

from inboxapp.components.analytics.controls import (
    analytics_tabs,
    custom_range_form,
    window_selector,
)
from inboxapp.components.analytics.overview import overview_view
from inboxapp.components.analytics.tabs import campaigns_view, crm_view, setters_view, timing_view
from inboxapp.components.shared.controls import button, header_row, muted_text, small_text
from inboxapp.components.shared.feedback import error_callout, page_spinner, status_note
from inboxapp.components.shared.template import template
from inboxapp.components.shared.testids import testid
from inboxapp.components.shared.workspace_gate import workspace_gate
from inboxapp.state.analytics import ANALYTICS_ROUTE, AnalyticsState
from inboxapp.state.workspace import WorkspaceState, on_workspace_ready

on_workspace_ready(ANALYTICS_ROUTE, AnalyticsState.workspace_ready)


def analytics_header() -> rx.Component:
    return header_row(
        rx.vstack(
            rx.hstack(
                rx.heading("Analytics", size="5", weight="bold"),
                rx.cond(
                    AnalyticsState.busy,
                    rx.spinner(
                        size="2",
                        aria_label="Loading",
                        custom_attrs={**testid("analytics-loading"), "role": "status"},
                    ),
                ),
                rx.cond(
                    AnalyticsState.from_cache,
                    rx.badge(
                        rx.icon("history", size=12),
                        "Saved " + AnalyticsState.cache_age + " · refreshing",
                        variant="soft",
                        color_scheme="gray",
                        size="1",
                        custom_attrs=testid("cache-badge"),
                    ),
                ),
                align="center",
                spacing="3",
            ),
            rx.hstack(
                muted_text(
                    WorkspaceState.active_name, size="2", custom_attrs=testid("analytics-workspace")
                ),
                rx.cond(
                    AnalyticsState.period != "",
                    small_text(
                        "· " + AnalyticsState.period,
                        size="2",
                        custom_attrs=testid("analytics-period"),
                    ),
                ),
                rx.cond(
                    AnalyticsState.is_setter,
                    rx.badge(
                        "Your leads only",
                        variant="soft",
                        color_scheme="indigo",
                        size="1",
                        custom_attrs=testid("setter-scope"),
                    ),
                ),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            spacing="1",
            min_width="0",
        ),
        window_selector(),
    )


def notices() -> rx.Component:
    return rx.fragment(
        rx.cond(
            AnalyticsState.view_error != "",
            rx.hstack(
                error_callout(AnalyticsState.view_error, "analytics-error"),
                button("Retry", on_click=AnalyticsState.retry, size="2", test_id="analytics-retry"),
                align="center",
                width="100%",
            ),
        ),
        status_note(AnalyticsState.freshness, "clock", "amber", "analytics-freshness"),
    )


def tab_content() -> rx.Component:
    return rx.match(
        AnalyticsState.an_tab,
        ("campaigns", campaigns_view()),
        ("setters", setters_view()),
        ("timing", timing_view()),
        ("crm", crm_view()),
        overview_view(),
    )


def analytics_view() -> rx.Component:
    return rx.vstack(
        analytics_header(),
        analytics_tabs(),
        rx.cond(AnalyticsState.custom_open, custom_range_form()),
        notices(),
        rx.cond(AnalyticsState.shown_here, tab_content(), page_spinner("Loading analytics…")),
        spacing="4",
        width="100%",
        custom_attrs={
            "data-testid": "analytics-page",
            "data-tab": AnalyticsState.an_tab,
            "data-window": AnalyticsState.an_window,
        },
    )


@template(route=ANALYTICS_ROUTE, title="Analytics", on_load=WorkspaceState.load, wide=True)
def analytics() -> rx.Component:
    """Spinner until the workspace is known, then the analytics (or the empty state)."""
    return workspace_gate(analytics_view(), "Analytics are shown per workspace.")

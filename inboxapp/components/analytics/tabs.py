"""The Campaigns, Setters, Response timing and CRM tabs (each loads only while it is shown)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from inboxapp import styles
from inboxapp.analytics.view import CRM_SORTS, status_label
from inboxapp.components.shared.testids import testid
from inboxapp.domain.vocabulary import LEAD_STATUSES
from inboxapp.state.analytics import AnalyticsState

from .charts import (
    CHART_HEIGHT,
    FUNNEL_SERIES,
    SERIES,
    axis_props,
    bar_chart,
    grid_lines,
    legend,
    tooltip,
)
from .common import PAIR, card_style, empty_block, grid, panel, skeleton_block, skeleton_panel
from .tables import cohort_legend, num_cell, table, text_cell

S: Any = AnalyticsState

R, L = "right", "left"
CAMPAIGN_HEADERS = (
    ("Campaign", L), ("Leads", R), ("Contacted", R), ("Replies", R), ("Positive", R),
    ("Meetings requested", R), ("Booked", R),
)  # fmt: skip
SETTER_HEADERS = (
    ("Setter", L), ("Assigned", R), ("Responded", R), ("Positive", R), ("Requested", R),
    ("Booked", R),
)  # fmt: skip
CRM_HEADERS = (
    ("Lead", L), ("Status", L), ("Sentiment", L), ("Campaign", L),
    ("Assignee", L), ("Created", L), ("Last reply", L), ("Booked", L),
)  # fmt: skip


def tab_skeleton(test_id: str) -> rx.Component:
    return rx.vstack(
        skeleton_panel(),
        rx.vstack(
            *(skeleton_block("28px") for _ in range(5)),
            spacing="2",
            style=card_style,
        ),
        spacing="3",
        width="100%",
        aria_busy="true",
        custom_attrs=testid(test_id),
    )


def loaded(content: rx.Component, test_id: str) -> rx.Component:
    """``content`` once the tab's payload is in, a skeleton before."""
    return rx.cond(AnalyticsState.tab_loaded, content, tab_skeleton(f"{test_id}-skeleton"))


def tab_body(*panels: rx.Component, test_id: str) -> rx.Component:
    """The tab's panels in a column, shown once its payload is in."""
    content = rx.vstack(*panels, spacing="3", width="100%")
    return rx.box(loaded(content, test_id), width="100%", custom_attrs=testid(test_id))


def table_panel(
    title: str,
    name: str,
    headers: Any,
    rows: Any,
    cells: Any,
    cohorts: Any,
    empty: str,
    subtitle: str,
) -> rx.Component:
    """The ``<name>s-panel``: the ``<name>-table`` with its cohort notes, or ``empty``."""
    return panel(
        title,
        rx.cond(
            rows.length() > 0,
            rx.box(
                table(headers, rows, cells, f"{name}-table", f"{name}-row"),
                cohort_legend(cohorts, f"{name}-cohorts"),
                width="100%",
            ),
            empty_block(empty, height="120px"),
        ),
        f"{name}s-panel",
        subtitle,
    )


# ---------------------------------------------------------------------------------- campaigns


def _campaign_cells(row: ObjectVar[dict[str, str]]) -> list[rx.Component]:
    return [
        rx.table.cell(
            rx.vstack(
                rx.text(row["name"], size="2", weight="medium", truncate=True),
                rx.text(row["channel"], size="1", color=styles.SUBTLE_TEXT),
                spacing="0",
            ),
            max_width="280px",
        ),
        num_cell(row["leads"]),
        num_cell(row["contacted"]),
        num_cell(row["replies"], row["reply_rate"]),
        num_cell(row["positive"], row["positive_rate"]),
        num_cell(row["requested"], row["request_rate"]),
        num_cell(row["booked"], row["booking_rate"]),
    ]


def campaigns_view() -> rx.Component:
    chart = bar_chart(
        AnalyticsState.campaign_chart,
        [(key, key.title(), SERIES[key]) for key in ("replies", "positive", "booked")],
    )
    return tab_body(
        panel(
            "Replies by campaign",
            rx.cond(
                AnalyticsState.has_campaign_chart,
                chart,
                empty_block("No campaign activity in this period."),
            ),
            "campaign-chart",
            "The eight campaigns with the most replies",
        ),
        table_panel(
            "Campaigns",
            "campaign",
            CAMPAIGN_HEADERS,
            AnalyticsState.campaign_rows,
            _campaign_cells,
            AnalyticsState.campaign_cohorts,
            "This workspace has no campaigns yet.",
            "Leads created in the period, each figure a subset of the one before (so far); rates"
            " under each: reply rate against contacted, the others against replies",
        ),
        test_id="campaigns",
    )


# ---------------------------------------------------------------------------------- setters


def _setter_cells(row: ObjectVar[dict[str, str]]) -> list[rx.Component]:
    return [
        text_cell(row["name"], font_weight="500"),
        num_cell(row["assigned"]),
        num_cell(row["responded"], row["responded_rate"]),
        num_cell(row["positive"], row["positive_rate"]),
        num_cell(row["requested"], row["requested_rate"]),
        num_cell(row["booked"], row["booked_rate"]),
    ]


def setters_view() -> rx.Component:
    chart = bar_chart(AnalyticsState.setter_chart, FUNNEL_SERIES, bar_gap=1)
    return tab_body(
        panel(
            "Funnel per setter",
            rx.cond(
                AnalyticsState.has_setter_chart,
                chart,
                empty_block("No leads were assigned in this period."),
            ),
            "setter-chart",
            "Assigned → responded → positive → meeting requested → booked",
        ),
        table_panel(
            "Setters",
            "setter",
            SETTER_HEADERS,
            AnalyticsState.setter_rows,
            _setter_cells,
            AnalyticsState.setter_cohorts,
            "This workspace has no setters yet.",
            "Leads assigned in the period, each figure a subset of the one before (so far);"
            " rates under each: conversion from the previous step",
        ),
        test_id="setters",
    )


# ---------------------------------------------------------------------------------- timing


def _summary_card(who: str, label: str, icon: str) -> rx.Component:
    summary = AnalyticsState.timing_summary

    def figure(name: str, caption: str) -> rx.Component:
        return rx.vstack(
            rx.text(caption, size="1", color=styles.SUBTLE_TEXT),
            rx.text(
                summary[f"{who}_{name}"],
                size="5",
                weight="bold",
                font_variant_numeric="tabular-nums",
            ),
            spacing="0",
        )

    return rx.vstack(
        rx.hstack(
            rx.icon(icon, size=14, color=styles.SUBTLE_TEXT),
            rx.text(label, size="2", color=styles.MUTED_TEXT),
            rx.spacer(),
            rx.text(summary[f"{who}_n"], size="1", color=styles.SUBTLE_TEXT),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.hstack(
            figure("median", "Median"),
            figure("p90", "90th percentile"),
            figure("avg", "Average"),
            spacing="6",
        ),
        spacing="2",
        style=card_style,
        custom_attrs=testid(f"timing-{who}"),
    )


def timing_view() -> rx.Component:
    distribution = bar_chart(
        AnalyticsState.timing_buckets,
        (("setter", "Setter", SERIES["setter"]), ("ai", "AI", SERIES["ai"])),
        x_key="label",
        x_props={"interval": 0, "angle": -35, "height": 50},
        height=CHART_HEIGHT + 20,
    )
    by_hour = rx.recharts.line_chart(
        grid_lines(),
        rx.recharts.x_axis(data_key="hour", interval=2, **axis_props()),
        rx.recharts.y_axis(width=44, **axis_props()),
        tooltip(),
        legend("setter", "ai"),
        rx.recharts.line(
            data_key="setter",
            name="Setter median",
            stroke=SERIES["setter"],
            stroke_width=2,
            dot={"r": 3},
            connect_nulls=True,
            is_animation_active=False,
        ),
        rx.recharts.line(
            data_key="ai",
            name="AI median",
            stroke=SERIES["ai"],
            stroke_width=2,
            dot={"r": 3},
            connect_nulls=True,
            is_animation_active=False,
        ),
        data=AnalyticsState.timing_hours,
        height=CHART_HEIGHT,
    )
    return tab_body(
        grid(
            _summary_card("setter", "Setters", "user_round"),
            _summary_card("ai", "AI", "bot"),
            columns=PAIR,
        ),
        rx.cond(
            AnalyticsState.has_timing,
            grid(
                panel(
                    "How long replies take",
                    distribution,
                    "timing-distribution",
                    "Replies per response-time bucket",
                ),
                panel(
                    "By hour of day",
                    by_hour,
                    "timing-by-hour",
                    "Median response time by the hour the lead wrote (workspace time), in "
                    + AnalyticsState.timing_unit,
                ),
                columns="1",
            ),
            panel(
                "How long replies take",
                empty_block("No replies to inbound messages in this period."),
                "timing-empty",
            ),
        ),
        test_id="timing",
    )


# ---------------------------------------------------------------------------------- CRM


def _crm_cells(row: ObjectVar[dict[str, str]]) -> list[rx.Component]:
    return [
        rx.table.cell(
            rx.vstack(
                rx.link(
                    row["name"],
                    href=row["href"],
                    size="2",
                    weight="medium",
                    truncate=True,
                    title="Open the conversation",
                    custom_attrs=testid("crm-open"),
                ),
                rx.text(
                    row["detail"],
                    size="1",
                    color=styles.SUBTLE_TEXT,
                    **styles.ONE_LINE,
                    max_width="100%",
                ),
                spacing="0",
                max_width="240px",
            ),
            max_width="240px",
        ),
        text_cell(row["status"], white_space="nowrap"),
        rx.table.cell(
            rx.cond(
                row["sentiment"] != "",
                rx.badge(row["sentiment"], color_scheme=row["sentiment_color"], variant="soft"),
            ),
            white_space="nowrap",
        ),
        text_cell(row["campaign"], white_space="nowrap"),
        text_cell(row["assignee"], white_space="nowrap"),
        text_cell(row["created"], white_space="nowrap"),
        text_cell(row["last_inbound"], white_space="nowrap"),
        text_cell(row["booked"], white_space="nowrap"),
    ]


def _select(value: Any, on_change: Any, options: Any, label: str, test_id: str) -> rx.Component:
    return rx.el.select(
        *options,
        value=value,
        on_change=on_change,
        aria_label=label,
        style={**styles.select_style, "min_width": "160px", "height": "30px", "font_size": "13px"},
        custom_attrs=testid(test_id),
    )


def crm_toolbar() -> rx.Component:
    return rx.hstack(
        _select(
            AnalyticsState.crm_sort,
            S.set_crm_sort,
            [rx.el.option(label, value=key) for key, label in CRM_SORTS],
            "Sort leads",
            "crm-sort",
        ),
        _select(
            AnalyticsState.crm_status,
            S.set_crm_status,
            [rx.el.option("Any status", value="")]
            + [rx.el.option(status_label(s), value=s) for s in LEAD_STATUSES],
            "Filter by status",
            "crm-status",
        ),
        rx.text("Leads created in the period", size="1", color=styles.SUBTLE_TEXT),
        align="center",
        spacing="3",
        wrap="wrap",
    )


def crm_view() -> rx.Component:
    table_or_empty = rx.cond(
        AnalyticsState.crm_rows.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            table(
                CRM_HEADERS,
                AnalyticsState.crm_rows,
                _crm_cells,
                "crm-table",
                "crm-row",
            ),
            rx.cond(
                AnalyticsState.crm_error != "",
                rx.text(AnalyticsState.crm_error, size="2", color="var(--red-11)", role="alert"),
            ),
            rx.cond(
                AnalyticsState.crm_has_more,
                rx.button(
                    rx.cond(AnalyticsState.crm_more_loading, rx.spinner(size="1"), rx.fragment()),
                    "Load more",
                    on_click=AnalyticsState.load_more_crm,
                    disabled=AnalyticsState.crm_more_loading,
                    variant="soft",
                    size="2",
                    custom_attrs=testid("crm-load-more"),
                ),
            ),
            spacing="3",
            align="center",
            width="100%",
        ),
        empty_block("No leads match.", height="120px"),
    )
    return rx.vstack(
        crm_toolbar(),
        panel("Leads", loaded(table_or_empty, "crm"), "crm-panel"),
        spacing="3",
        width="100%",
        custom_attrs=testid("crm"),
    )

"""The overview tab, progressive: KPI cards (``kpi-cards``, one ``kpi-<name>`` each) as soon as
``parts=core`` is in, then the charts (``breakdowns``) with skeletons meanwhile
(``breakdowns-skeleton``)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from inboxapp import styles
from inboxapp.analytics.view import KPI_DEFS
from inboxapp.components.shared.feedback import error_callout
from inboxapp.components.shared.testids import testid
from inboxapp.state.analytics import AnalyticsState

from .charts import CHART_HEIGHT, SERIES, axis_props, bar, bar_chart, grid_lines, legend, tooltip
from .common import TWO_UP, card_style, empty_block, grid, panel, skeleton_block, skeleton_panel
from .tables import num_cell, table, text_cell

KPI_COLUMNS = rx.breakpoints(initial="1", sm="2", lg="4")
SETTER_TIMING_HEADERS = (
    ("Assignee", "left"),
    ("Setter median", "right"),
    ("Setter p90", "right"),
    ("AI median", "right"),
)
KPI_ICONS = {
    "totalLeads": "users",
    "leadsContacted": "send",
    "responses": "message_square_reply",
    "responseRate": "percent",
    "meetingsRequested": "calendar_plus",
    "meetingsBooked": "calendar_check",
    "setterMedianResponse": "user_round",
    "aiMedianResponse": "bot",
}


# ---------------------------------------------------------------------------------- KPIs


def kpi_card(key: str, label: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon(KPI_ICONS[key], size=14, color=styles.SUBTLE_TEXT),
            rx.text(label, size="2", color=styles.MUTED_TEXT, truncate=True),
            align="center",
            spacing="2",
        ),
        rx.text(
            AnalyticsState.kpi_values[key],
            size="7",
            weight="bold",
            font_variant_numeric="tabular-nums",
            custom_attrs=testid(f"kpi-value-{key}"),
        ),
        rx.text(
            AnalyticsState.kpi_hints[key],
            size="1",
            color=styles.MUTED_TEXT,
            custom_attrs=testid(f"kpi-cohort-{key}"),
        ),
        spacing="1",
        style=card_style,
        custom_attrs=testid(f"kpi-{key}"),
    )


def kpi_skeleton_card() -> rx.Component:
    return rx.vstack(
        rx.skeleton(rx.box(width="110px", height="16px"), loading=True),
        rx.skeleton(rx.box(width="80px", height="32px"), loading=True),
        rx.skeleton(rx.box(width="140px", height="12px"), loading=True),
        spacing="2",
        style=card_style,
    )


def kpi_cards() -> rx.Component:
    return rx.cond(
        AnalyticsState.core_loaded,
        grid(
            *(kpi_card(key, label) for key, label in KPI_DEFS),
            columns=KPI_COLUMNS,
            test_id="kpi-cards",
        ),
        grid(
            *(kpi_skeleton_card() for _ in KPI_DEFS),
            columns=KPI_COLUMNS,
            test_id="kpi-skeleton",
            aria_busy="true",
        ),
    )


# ---------------------------------------------------------------------------------- charts


def _legend_item(row: ObjectVar[dict[str, Any]]) -> rx.Component:
    return rx.hstack(
        rx.box(width="8px", height="8px", border_radius="50%", background_color=row["fill"]),
        rx.text(row["name"], size="1", color=styles.MUTED_TEXT, truncate=True),
        rx.spacer(),
        rx.text(row["leads"], size="1", weight="medium", font_variant_numeric="tabular-nums"),
        align="center",
        spacing="2",
        width="100%",
    )


def sentiment_chart() -> rx.Component:
    pie = rx.recharts.pie_chart(
        rx.recharts.pie(
            rx.foreach(
                AnalyticsState.sentiment_data,
                lambda row: rx.recharts.cell(fill=row["fill"], stroke="var(--color-panel-solid)"),
            ),
            data=AnalyticsState.sentiment_data,
            data_key="leads",
            name_key="name",
            inner_radius="55%",
            outer_radius="90%",
            padding_angle=1,
            is_animation_active=False,
        ),
        tooltip(),
        height=CHART_HEIGHT,
    )
    body = rx.cond(
        AnalyticsState.has_sentiment,
        rx.flex(
            rx.box(pie, width=["100%", "55%"], min_width="0"),
            rx.vstack(
                rx.foreach(AnalyticsState.sentiment_data, _legend_item),
                spacing="1",
                width=["100%", "45%"],
                max_height=f"{CHART_HEIGHT}px",
                overflow_y="auto",
                justify="center",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            gap="12px",
            align="center",
            width="100%",
        ),
        empty_block("No leads were created in this period."),
    )
    return panel("Leads by sentiment", body, "chart-sentiment", "Leads created in the period")


def weekly_chart() -> rx.Component:
    chart = bar_chart(
        AnalyticsState.weekly_data,
        [(key, key.title(), SERIES[key]) for key in ("inbound", "outbound")],
        x_key="week",
        bar_gap=2,
    )
    body = rx.cond(
        AnalyticsState.has_weekly_traffic, chart, empty_block("No messages in this period.")
    )
    return panel(
        "Inbound vs outbound", body, "chart-weekly", "Messages per week (weeks start Monday)"
    )


def status_chart() -> rx.Component:
    chart = rx.recharts.bar_chart(
        grid_lines(vertical=True),
        rx.recharts.x_axis(type_="number", allow_decimals=False, **axis_props()),
        rx.recharts.y_axis(data_key="status", type_="category", width=110, **axis_props()),
        tooltip(),
        bar("leads", "Leads", SERIES["leads"], radius=[0, 3, 3, 0]),
        data=AnalyticsState.status_data,
        layout="vertical",
        height=CHART_HEIGHT,
    )
    body = rx.cond(
        AnalyticsState.has_status, chart, empty_block("No leads were created in this period.")
    )
    return panel("Leads by status", body, "chart-status", "Current status of the period's leads")


def _setter_timing_cells(row: ObjectVar[dict[str, str]]) -> list[rx.Component]:
    return [
        text_cell(row["name"]),
        num_cell(row["setter_median"], row["setter_n"]),
        num_cell(row["setter_p90"]),
        num_cell(row["ai_median"], row["ai_n"]),
    ]


def setter_timing_chart() -> rx.Component:
    chart = rx.recharts.bar_chart(
        grid_lines(),
        rx.recharts.x_axis(data_key="name", **axis_props()),
        rx.recharts.y_axis(width=44, unit="", **axis_props()),
        tooltip(),
        legend("setter", "ai"),
        bar("setter", "Setter median", SERIES["setter"], radius=[3, 3, 0, 0]),
        bar("ai", "AI median", SERIES["ai"], radius=[3, 3, 0, 0]),
        data=AnalyticsState.setter_timing_data,
        height=CHART_HEIGHT - 40,
    )
    body = rx.cond(
        AnalyticsState.has_setter_timing,
        rx.vstack(
            chart,
            table(
                SETTER_TIMING_HEADERS,
                AnalyticsState.setter_timing_rows,
                _setter_timing_cells,
                "setter-timing-table",
                "setter-timing-row",
            ),
            spacing="3",
            width="100%",
        ),
        empty_block("No replies to inbound messages in this period."),
    )
    return panel(
        "Response time per setter",
        body,
        "chart-setter-timing",
        "Median time from an inbound message to our reply, in " + AnalyticsState.setter_timing_unit,
    )


def breakdowns() -> rx.Component:
    return rx.cond(
        AnalyticsState.breakdowns_loaded,
        grid(
            sentiment_chart(),
            weekly_chart(),
            status_chart(),
            setter_timing_chart(),
            columns=TWO_UP,
            test_id="breakdowns",
        ),
        rx.cond(
            AnalyticsState.breakdowns_error != "",
            error_callout(AnalyticsState.breakdowns_error, "breakdowns-error"),
            grid(
                skeleton_panel(),
                skeleton_panel(),
                skeleton_panel(),
                rx.vstack(
                    rx.skeleton(rx.box(width="140px", height="18px"), loading=True),
                    skeleton_block(f"{CHART_HEIGHT + 60}px"),
                    spacing="3",
                    style=card_style,
                ),
                columns=TWO_UP,
                test_id="breakdowns-skeleton",
                aria_busy="true",
            ),
        ),
    )


def overview_view() -> rx.Component:
    return rx.vstack(
        kpi_cards(),
        breakdowns(),
        spacing="3",
        width="100%",
        custom_attrs=testid("overview"),
    )

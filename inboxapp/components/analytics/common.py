"""Building blocks of the analytics screen: cards, chart frames, empty and skeleton blocks,
simple tables. Stateless: values come from the caller."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.testids import testid

CHART_HEIGHT = 240
# Responsive grid columns: one column on small screens.
TWO_UP = rx.breakpoints(initial="1", lg="2")
PAIR = rx.breakpoints(initial="1", sm="2")
SERIES = {
    "inbound": "var(--indigo-9)",
    "outbound": "var(--teal-9)",
    "setter": "var(--indigo-9)",
    "ai": "var(--amber-9)",
    "replies": "var(--indigo-9)",
    "positive": "var(--teal-9)",
    "booked": "var(--green-9)",
    "leads": "var(--indigo-9)",
}
FUNNEL_SERIES = (
    ("assigned", "Assigned", "var(--slate-8)"),
    ("responded", "Responded", "var(--indigo-8)"),
    ("positive", "Positive", "var(--teal-9)"),
    ("requested", "Requested", "var(--grass-9)"),
    ("booked", "Booked", "var(--green-10)"),
)

card_style: dict[str, Any] = {
    **styles.card_style,
    "padding": "16px 18px",
    "min_width": "0",
}

AXIS_TICK = {"fontSize": 12, "fill": "var(--gray-11)"}
TOOLTIP_STYLE = {
    "borderRadius": "8px",
    "border": "1px solid var(--gray-5)",
    "boxShadow": styles.SHADOW,
    "fontSize": "13px",
}


def panel(
    title: str, body: rx.Component, test_id: str, subtitle: Any = "", **props: Any
) -> rx.Component:
    """A titled card (charts, tables)."""
    return rx.vstack(
        rx.vstack(
            rx.text(title, size="3", weight="medium"),
            rx.cond(subtitle != "", rx.text(subtitle, size="1", color=styles.SUBTLE_TEXT)),
            spacing="0",
            width="100%",
        ),
        body,
        spacing="3",
        style=card_style,
        custom_attrs=testid(test_id),
        **props,
    )


def empty_block(message: str, height: str = f"{CHART_HEIGHT}px") -> rx.Component:
    """What a chart shows when the period has nothing to plot."""
    return rx.center(
        rx.vstack(
            rx.icon("chart_no_axes_column", size=20, color=styles.SUBTLE_TEXT),
            rx.text(message, size="2", color=styles.MUTED_TEXT, text_align="center"),
            align="center",
            spacing="2",
        ),
        width="100%",
        height=height,
        border="1px dashed var(--gray-5)",
        border_radius="var(--radius-3)",
    )


def skeleton_block(height: str) -> rx.Component:
    return rx.skeleton(rx.box(width="100%", height=height), loading=True, width="100%")


def skeleton_panel(height: str = f"{CHART_HEIGHT}px") -> rx.Component:
    return rx.vstack(
        rx.skeleton(rx.box(width="140px", height="18px"), loading=True),
        skeleton_block(height),
        spacing="3",
        style=card_style,
    )


def grid(*children: rx.Component, columns: Any, test_id: str = "", **props: Any) -> rx.Component:
    return rx.grid(
        *children,
        columns=columns,
        gap="12px",
        width="100%",
        custom_attrs=testid(test_id) if test_id else {},
        **props,
    )


def axis_props() -> dict[str, Any]:
    return {"tick": AXIS_TICK, "tick_line": False, "axis_line": False}


def tooltip() -> rx.Component:
    return rx.recharts.graphing_tooltip(
        content_style=TOOLTIP_STYLE, cursor={"fill": "var(--gray-3)"}
    )


def legend(*order: str) -> rx.Component:
    """A legend listing the series in ``order`` (data keys); recharts sorts by name otherwise."""
    sorter: rx.Var[Any] = rx.Var(f"((item) => {json.dumps(list(order))}.indexOf(item.dataKey))")
    return rx.recharts.legend(
        icon_type="circle",
        icon_size=8,
        wrapper_style={"fontSize": 12},
        custom_attrs={"itemSorter": sorter} if order else {},
    )


def grid_lines(vertical: bool = False) -> rx.Component:
    return rx.recharts.cartesian_grid(
        stroke_dasharray="3 3", stroke="var(--gray-5)", vertical=vertical, horizontal=not vertical
    )


def bar(key: str, name: str, fill: str, **props: Any) -> rx.Component:
    """One bar series (no animation: a refresh redraws at once, and tests read it settled)."""
    return rx.recharts.bar(
        data_key=key, name=name, fill=fill, is_animation_active=False, max_bar_size=36, **props
    )


def table(
    headers: Sequence[tuple[str, str]],
    rows: Any,
    cells: Callable[[Any], list[rx.Component]],
    test_id: str,
    row_test_id: str,
) -> rx.Component:
    """A plain table: ``headers`` are (label, align); ``cells(row)`` renders one row."""
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *(
                        rx.table.column_header_cell(
                            label, text_align=align, white_space="nowrap", color=styles.MUTED_TEXT
                        )
                        for label, align in headers
                    )
                )
            ),
            rx.table.body(
                rx.foreach(
                    rows,
                    lambda row: rx.table.row(*cells(row), custom_attrs=testid(row_test_id)),
                )
            ),
            size="1",
            variant="ghost",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
        custom_attrs=testid(test_id),
    )


def num_cell(value: Any, sub: Any = None) -> rx.Component:
    """A right-aligned number, optionally with a rate under it."""
    return rx.table.cell(
        rx.vstack(
            rx.text(value, size="2", font_variant_numeric="tabular-nums"),
            rx.text(sub, size="1", color=styles.SUBTLE_TEXT) if sub is not None else rx.fragment(),
            spacing="0",
            align="end",
        ),
        text_align="right",
        white_space="nowrap",
    )


def text_cell(value: Any, **props: Any) -> rx.Component:
    return rx.table.cell(rx.text(value, size="2", truncate=True), max_width="260px", **props)


def cohort_legend(items: Any, test_id: str) -> rx.Component:
    """What each column counts (``items``: ``{label, text}``), under a table."""
    return rx.vstack(
        rx.foreach(
            items,
            lambda item: rx.text(
                rx.text.strong(item["label"], color=styles.MUTED_TEXT),
                ": ",
                item["text"],
                size="1",
                color=styles.MUTED_TEXT,
                custom_attrs=testid("cohort-note"),
            ),
        ),
        spacing="1",
        padding_top="8px",
        custom_attrs=testid(test_id),
    )

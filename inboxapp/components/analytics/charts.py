"""Chart pieces of the analytics screen: series colours, axes, tooltip, legend, grid lines and
bars (recharts), styled alike on every tab."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import reflex as rx

from inboxapp import styles

CHART_HEIGHT = 240
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

AXIS_TICK = {"fontSize": 12, "fill": "var(--gray-11)"}
TOOLTIP_STYLE = {
    "borderRadius": "8px",
    "border": "1px solid var(--gray-5)",
    "boxShadow": styles.SHADOW,
    "fontSize": "13px",
}


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


def bar_chart(
    data: Any,
    series: Sequence[tuple[str, str, str]],
    *,
    x_key: str = "name",
    x_props: dict[str, Any] | None = None,
    height: int = CHART_HEIGHT,
    **props: Any,
) -> rx.Component:
    """Bars of each ``series`` (key, label, colour) per ``x_key``, whole-number counts, a legend."""
    return rx.recharts.bar_chart(
        grid_lines(),
        rx.recharts.x_axis(data_key=x_key, **(x_props or {}), **axis_props()),
        rx.recharts.y_axis(allow_decimals=False, width=40, **axis_props()),
        tooltip(),
        legend(*(key for key, _, _ in series)),
        *(bar(key, label, fill, radius=[3, 3, 0, 0]) for key, label, fill in series),
        data=data,
        height=height,
        **props,
    )

"""Building blocks of the analytics screen: cards, grids, empty and skeleton blocks (the chart
pieces are in :mod:`.charts`, tables in :mod:`.tables`). Stateless: values come from the caller."""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.testids import testid

from .charts import CHART_HEIGHT

# Responsive grid columns: one column on small screens.
TWO_UP = rx.breakpoints(initial="1", lg="2")
PAIR = rx.breakpoints(initial="1", sm="2")
card_style: dict[str, Any] = {
    **styles.card_style,
    "padding": "16px 18px",
    "min_width": "0",
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

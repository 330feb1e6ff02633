"""Plain tables of the analytics screen: a header row of (label, align) and one row a record,
number cells with an optional rate under them, truncated text cells."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.testids import testid


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

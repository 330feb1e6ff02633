"""The small vocabulary every screen builds with: secondary texts, buttons, icon buttons, an
icon before a text, centred panels and the page header row. Stateless: values come from the
caller; ``test_id`` becomes ``data-testid``, other keywords go to the Reflex component."""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.testids import testid


def _with_testid(props: dict[str, Any], test_id: str) -> dict[str, Any]:
    if test_id:
        props["custom_attrs"] = {**props.get("custom_attrs", {}), **testid(test_id)}
    return props


def small_text(content: Any, *, color: Any = styles.SUBTLE_TEXT, **props: Any) -> rx.Component:
    """Secondary text: size 1, subtle grey unless ``color`` (``size`` may override)."""
    props.setdefault("size", "1")
    return rx.text(content, color=color, **props)


def muted_text(content: Any, **props: Any) -> rx.Component:
    """A size-1 text in the muted grey (details, hints, notes)."""
    return small_text(content, color=styles.MUTED_TEXT, **props)


def message_text(content: Any, **props: Any) -> rx.Component:
    """The centred, muted size-2 sentence of an empty or error panel."""
    return small_text(content, color=styles.MUTED_TEXT, size="2", text_align="center", **props)


def button(
    label: Any,
    *,
    icon: str = "",
    icon_size: int = 14,
    test_id: str = "",
    variant: str | None = "soft",
    size: str = "1",
    **props: Any,
) -> rx.Component:
    """A button with an optional leading icon (``variant=None``: the solid default)."""
    children = (rx.icon(icon, size=icon_size), label) if icon else (label,)
    return rx.button(*children, variant=variant, size=size, **_with_testid(props, test_id))


def icon_button(
    icon: str,
    label: str,
    on_click: Any,
    *,
    icon_size: int = 14,
    tooltip: str = "",
    test_id: str = "",
    **props: Any,
) -> rx.Component:
    """An icon-only button named by ``label`` (``aria-label``), ghost and grey unless told;
    with ``tooltip`` it shows that text on hover."""
    props.setdefault("variant", "ghost")
    props.setdefault("color_scheme", "gray")
    props.setdefault("size", "1")
    control = rx.icon_button(
        rx.icon(icon, size=icon_size),
        on_click=on_click,
        aria_label=label,
        **_with_testid(props, test_id),
    )
    return rx.tooltip(control, content=tooltip) if tooltip else control


def icon_text(
    icon: str,
    content: Any,
    *extra: rx.Component,
    icon_props: dict[str, Any] | None = None,
    text_props: dict[str, Any] | None = None,
    test_id: str = "",
    **props: Any,
) -> rx.Component:
    """A subtle icon, then muted size-1 ``content`` (then ``extra``) on one centred line."""
    props.setdefault("spacing", "2")
    return rx.hstack(
        rx.icon(icon, **{"size": 14, "color": styles.SUBTLE_TEXT, **(icon_props or {})}),
        muted_text(content, **(text_props or {})),
        *extra,
        align="center",
        **_with_testid(props, test_id),
    )


def centred_panel(
    *children: rx.Component, spacing: str = "3", max_width: str | None = None, **props: Any
) -> rx.Component:
    """``children`` stacked and centred in a centred box (empty, error and waiting panels)."""
    return rx.center(
        rx.vstack(*children, align="center", spacing=spacing, max_width=max_width),
        **props,
    )


HEADER_ROW: dict[str, Any] = {"justify": "between", "align": "center", "width": "100%"}


def header_row(*children: rx.Component, **props: Any) -> rx.Component:
    """A page header: its parts spread over the width, wrapping on narrow screens."""
    return rx.hstack(*children, **HEADER_ROW, wrap="wrap", gap="3", **props)


def page_title(title: Any, *below: rx.Component, **props: Any) -> rx.Component:
    """The page heading with the lines under it (workspace name, period)."""
    return rx.vstack(
        rx.heading(title, size="5", weight="bold"),
        *below,
        spacing="1",
        min_width="0",
        **props,
    )

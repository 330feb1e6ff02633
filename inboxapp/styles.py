"""Colours, spacing and radii for the app shell: one place to change the look.

Colours are Radix Themes tokens (``var(--gray-3)`` ...), so they follow the theme defined
here (indigo accent on slate greys, light appearance).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

APP_NAME = "Inbox"
ACCENT = "indigo"
GRAY = "slate"
RADIUS = "medium"

FONT_STACK = (
    'Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", '
    "Arial, sans-serif"
)

# Layout metrics.
NAVBAR_HEIGHT = "56px"
SIDEBAR_WIDTH = "220px"
CONTENT_MAX_WIDTH = "1080px"
PAGE_PADDING_X = ["16px", "24px", "32px"]
PAGE_PADDING_Y = "28px"
AUTH_CARD_WIDTH = "400px"

# Colour tokens (Radix Themes CSS variables).
PAGE_BG = "var(--gray-2)"
SURFACE_BG = "var(--color-panel-solid)"
BORDER = "1px solid var(--gray-5)"
MUTED_TEXT = "var(--gray-11)"
SUBTLE_TEXT = "var(--gray-11)"
"""Secondary text: gray-11 keeps >= 4.5:1 on every surface of the app (gray-10 did not)."""
ACCENT_SOFT_BG = "var(--accent-3)"
ACCENT_TEXT = "var(--accent-11)"
SHADOW = "0 1px 2px rgba(16, 24, 40, 0.04), 0 1px 3px rgba(16, 24, 40, 0.06)"
FOCUS_RING = "0 0 0 2px var(--accent-8)"

ONE_LINE: dict[str, Any] = {
    "white_space": "nowrap",
    "overflow": "hidden",
    "text_overflow": "ellipsis",
}
"""Text kept on one line, cut with an ellipsis where it does not fit."""

theme = rx.theme(
    appearance="light",
    accent_color=ACCENT,
    gray_color=GRAY,
    radius=RADIUS,
    scaling="100%",
    has_background=True,
)

base_style: dict[Any, Any] = {
    "font_family": FONT_STACK,
    "::selection": {"background_color": "var(--accent-5)"},
}

navbar_style: dict[str, Any] = {
    "height": NAVBAR_HEIGHT,
    "padding_x": PAGE_PADDING_X,
    "border_bottom": BORDER,
    "background_color": SURFACE_BG,
    "position": "sticky",
    "top": "0",
    "z_index": "10",
    "width": "100%",
}

sidebar_style: dict[str, Any] = {
    "width": SIDEBAR_WIDTH,
    "min_width": SIDEBAR_WIDTH,
    "padding": "16px 12px",
    "border_right": BORDER,
    "background_color": SURFACE_BG,
    "min_height": f"calc(100vh - {NAVBAR_HEIGHT})",
}

sidebar_item_style: dict[str, Any] = {
    "padding": "8px 10px",
    "border_radius": "var(--radius-2)",
    "width": "100%",
    "color": MUTED_TEXT,
    "font_size": "14px",
    "font_weight": "500",
}

sidebar_item_active_style: dict[str, Any] = {
    **sidebar_item_style,
    "background_color": ACCENT_SOFT_BG,
    "color": ACCENT_TEXT,
}

content_style: dict[str, Any] = {
    "width": "100%",
    "max_width": CONTENT_MAX_WIDTH,
    "padding_x": PAGE_PADDING_X,
    "padding_y": PAGE_PADDING_Y,
    "margin_x": "auto",
}

card_style: dict[str, Any] = {
    "background_color": SURFACE_BG,
    "border": BORDER,
    "border_radius": "var(--radius-4)",
    "box_shadow": SHADOW,
    "padding": "24px",
    "width": "100%",
}

select_style: dict[str, Any] = {
    "height": "32px",
    "min_width": "200px",
    "max_width": "280px",
    "padding": "0 32px 0 10px",
    "border": "1px solid var(--gray-7)",
    "border_radius": "var(--radius-2)",
    "background_color": SURFACE_BG,
    "color": "var(--gray-12)",
    "font_size": "14px",
    "font_family": FONT_STACK,
    "cursor": "pointer",
    "appearance": "none",
    # A chevron drawn with CSS gradients: no external asset, no icon font.
    "background_image": (
        "linear-gradient(45deg, transparent 50%, var(--gray-10) 50%),"
        " linear-gradient(135deg, var(--gray-10) 50%, transparent 50%)"
    ),
    "background_position": "calc(100% - 15px) 50%, calc(100% - 10px) 50%",
    "background_size": "5px 5px, 5px 5px",
    "background_repeat": "no-repeat",
    "_hover": {"border_color": "var(--gray-8)"},
    "_focus_visible": {"outline": "none", "box_shadow": FOCUS_RING},
}


def tab_button_style(active: Any) -> dict[str, Any]:
    """A tab of a ``role="tablist"`` row (inbox filters, analytics sections): the accent-soft
    pill when ``active``, gray text otherwise, a focus ring for the keyboard."""
    return {
        "height": "32px",
        "border_radius": "var(--radius-3)",
        "border": "none",
        "cursor": "pointer",
        "white_space": "nowrap",
        "color": rx.cond(active, ACCENT_TEXT, "var(--gray-11)"),
        "background_color": rx.cond(active, ACCENT_SOFT_BG, "transparent"),
        "_hover": {"background_color": rx.cond(active, "var(--accent-4)", "var(--gray-3)")},
        "_focus_visible": {"outline": "none", "box_shadow": FOCUS_RING},
    }

"""Sizes and styles of the inbox screen (the app-wide tokens live in ``inboxapp.styles``)."""

from __future__ import annotations

from typing import Any

from inboxapp import styles

LIST_WIDTH = ["100%", "100%", "360px", "400px"]
# Navbar, page padding, header, tabs and toolbar: what is left is for the two panes.
PANES_HEIGHT = "calc(100vh - 224px)"
PANES_MIN_HEIGHT = "520px"

inbox_card_style: dict[str, Any] = {
    "background_color": styles.SURFACE_BG,
    "border": styles.BORDER,
    "border_radius": "var(--radius-4)",
    "box_shadow": styles.SHADOW,
    "overflow": "hidden",
    "width": "100%",
}

list_pane_style: dict[str, Any] = {
    "width": ["100%", "100%", LIST_WIDTH],
    "min_width": ["0", "0", LIST_WIDTH],
    "border_right": ["none", "none", styles.BORDER],
    "border_bottom": [styles.BORDER, styles.BORDER, "none"],
    "display": "flex",
    "flex_direction": "column",
    "height": ["auto", "auto", "100%"],
    "max_height": ["none", "none", "none"],
    "min_height": "0",
}

row_style: dict[str, Any] = {
    "padding": "10px 14px 10px 11px",
    "border_bottom": "1px solid var(--gray-4)",
    "border_left": "3px solid transparent",
    "cursor": "pointer",
    "user_select": "none",  # a shift-click checks a range of rows, it selects no text
    "width": "100%",
    "outline": "none",
    "transition": "background-color 80ms ease-out",
    "_hover": {"background_color": "var(--gray-2)"},
    "_focus_visible": {"box_shadow": "inset 0 0 0 2px var(--accent-8)"},
}

small_select_style: dict[str, Any] = {
    **styles.select_style,
    "height": "30px",
    "min_width": "0",
    "max_width": "200px",
    "font_size": "13px",
    "padding": "0 28px 0 10px",
    "background_position": "calc(100% - 14px) 50%, calc(100% - 9px) 50%",
}

bubble_in_style: dict[str, Any] = {
    "background_color": "var(--gray-3)",
    "border_radius": "12px 12px 12px 4px",
    "padding": "10px 12px",
    "max_width": "min(560px, 85%)",
}

bubble_out_style: dict[str, Any] = {
    "background_color": "var(--accent-3)",
    "border_radius": "12px 12px 4px 12px",
    "padding": "10px 12px",
    "max_width": "min(560px, 85%)",
}

message_body_style: dict[str, Any] = {
    "white_space": "pre-wrap",
    "overflow_wrap": "anywhere",
    "font_size": "14px",
    "line_height": "1.5",
    "color": "var(--gray-12)",
}

draft_card_style: dict[str, Any] = {
    "border": "1px solid var(--violet-6)",
    "background_color": "var(--violet-2)",
    "border_radius": "var(--radius-3)",
    "padding": "12px 14px",
    "width": "100%",
}

kbd_style: dict[str, Any] = {
    "font_family": "ui-monospace, SFMono-Regular, Menlo, monospace",
    "font_size": "11px",
    "padding": "1px 5px",
    "border": "1px solid var(--gray-6)",
    "border_bottom_width": "2px",
    "border_radius": "4px",
    "background_color": "var(--gray-2)",
    "color": "var(--gray-11)",
}

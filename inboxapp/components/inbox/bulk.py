"""Bulk selection: the check box on each row and the bar that acts on the checked rows.

The check box is a visual control (``aria-hidden``; the row says ``aria-checked``): a row is an
``option`` whose children are presentational, and the list stays one Tab stop; ``x`` on a row
is the keyboard's way to check it.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from inboxapp import styles
from inboxapp.components.inbox.controls import small_select
from inboxapp.components.inbox.undo import undo_offer
from inboxapp.components.shared.controls import button, small_text
from inboxapp.components.shared.testids import testid
from inboxapp.domain.vocabulary import LEAD_STATUSES, status_label
from inboxapp.inbox.view import SNOOZE_PRESETS
from inboxapp.state.inbox import InboxState

S: Any = InboxState


def is_checked(row: ObjectVar[dict[str, str]]) -> Any:
    return S.checked_ids.contains(row["id"])


def row_check(row: ObjectVar[dict[str, str]]) -> rx.Component:
    checked = is_checked(row)
    return rx.box(
        rx.icon("check", size=12, color="white", opacity=rx.cond(checked, "1", "0")),
        on_click=lambda e: S.toggle_checked(row["id"], e["shift_key"]),
        aria_hidden="true",
        title="Select (x); shift-click selects a range",
        class_name="row-check",
        display="flex",
        align_items="center",
        justify_content="center",
        width="16px",
        height="16px",
        min_width="16px",
        border_radius="4px",
        border=rx.cond(checked, "1px solid var(--accent-9)", "1px solid var(--gray-8)"),
        background_color=rx.cond(checked, "var(--accent-9)", styles.SURFACE_BG),
        cursor="pointer",
        custom_attrs={"data-testid": "row-check", "data-checked": rx.cond(checked, "true", "")},
    )


def _select(placeholder: str, action: str, *options: rx.Component, test_id: str) -> rx.Component:
    return small_select(
        rx.el.option(placeholder, value="", disabled=True, hidden=True),
        *options,
        value="",
        on_change=lambda value: S.bulk_action(action, value),
        disabled=InboxState.bulk_busy,
        aria_label=f"{placeholder.rstrip('…')} the selected conversations",
        width="auto",
        custom_attrs=testid(test_id),
    )


def _setter_option(item: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.el.option(item["name"], value=item["id"])


def bulk_bar() -> rx.Component:
    selected = rx.hstack(
        rx.text(
            S.checked_count.to_string(),
            " selected",
            size="2",
            weight="medium",
            custom_attrs=testid("bulk-count"),
        ),
        button(
            "Mark read",
            icon="check_check",
            on_click=S.bulk_action("read", ""),
            loading=InboxState.bulk_busy,
            variant="soft",
            test_id="bulk-read",
        ),
        _select(
            "Snooze…",
            "snooze",
            *(rx.el.option(label, value=key) for key, label in SNOOZE_PRESETS.items()),
            test_id="bulk-snooze",
        ),
        _select(
            "Set status…",
            "status",
            *(rx.el.option(status_label(s), value=s) for s in LEAD_STATUSES),
            test_id="bulk-status",
        ),
        rx.cond(
            InboxState.can_manage,
            _select(
                "Assign…",
                "assign",
                rx.el.option("Unassigned", value="none"),
                rx.foreach(InboxState.setters, _setter_option),
                test_id="bulk-assign",
            ),
        ),
        button(
            "Clear",
            on_click=InboxState.check_none,
            variant="ghost",
            color_scheme="gray",
            test_id="bulk-clear",
        ),
        align="center",
        spacing="2",
        wrap="wrap",
    )
    shown = (S.checked_count > 0) | (S.bulk_undo_label != "") | (S.bulk_error != "")
    return rx.vstack(
        rx.cond(S.checked_count > 0, selected),
        rx.cond(
            InboxState.bulk_error != "",
            small_text(InboxState.bulk_error, role="alert", custom_attrs=testid("bulk-error")),
        ),
        undo_offer(
            InboxState.bulk_undo_label,
            InboxState.bulk_undo,
            InboxState.dismiss_bulk_undo,
            prefix="bulk-",
        ),
        spacing="2",
        width="100%",
        padding=rx.cond(shown, "8px 14px", "0"),
        border_bottom=rx.cond(S.checked_count > 0, "1px solid var(--gray-4)", "none"),
        custom_attrs=testid("bulk-bar"),
    )

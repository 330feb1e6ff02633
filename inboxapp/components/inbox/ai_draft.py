"""The AI draft in the conversation: the card (approve, edit, reject), the auto-send line with
Cancel, Regenerate with an optional instruction, and "Draft a reply" when there is none."""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp import styles
from inboxapp.components.inbox.styles import draft_card_style, message_body_style
from inboxapp.components.shared.testids import testid
from inboxapp.state.inbox import InboxState

S: Any = InboxState


def drafting_note() -> rx.Component:
    return rx.hstack(
        rx.spinner(size="1"),
        rx.text("Drafting a new reply…", size="1", color=styles.SUBTLE_TEXT),
        spacing="2",
        align="center",
        role="status",
        custom_attrs=testid("draft-drafting"),
    )


def regenerate_row() -> rx.Component:
    busy = InboxState.busy != ""
    return rx.form(
        rx.hstack(
            rx.input(
                value=InboxState.regen_instruction,
                on_change=S.set_regen_instruction,
                placeholder="What should change? (optional)",
                aria_label="Instruction for a new draft",
                max_length=500,
                size="1",
                flex="1",
                custom_attrs=testid("draft-instruction"),
            ),
            rx.button(
                rx.icon("refresh-cw", size=14),
                "Regenerate",
                type="submit",
                loading=(InboxState.busy == "regenerate") | InboxState.regenerating,
                disabled=busy,
                variant="soft",
                color_scheme="violet",
                size="1",
                custom_attrs=testid("draft-regenerate"),
            ),
            spacing="2",
            width="100%",
            align="center",
        ),
        rx.cond(InboxState.regenerating, drafting_note()),
        on_submit=lambda _: S.regenerate_draft(),
        reset_on_submit=False,
        width="100%",
        margin_top="8px",
    )


def auto_send_line() -> rx.Component:
    d = InboxState.draft
    return rx.hstack(
        rx.icon("clock", size=14, color="var(--amber-11)"),
        rx.text(
            rx.cond(d["sends_at"] != "", "Sends by itself at " + d["sends_at"], "Sending now"),
            size="1",
            color="var(--amber-12)",
            custom_attrs=testid("draft-auto-send"),
        ),
        rx.cond(
            InboxState.can_write,
            rx.button(
                "Cancel auto-send",
                on_click=InboxState.cancel_auto_send,
                loading=InboxState.busy == "cancel_auto",
                disabled=InboxState.busy != "",
                variant="ghost",
                color_scheme="amber",
                size="1",
                custom_attrs=testid("draft-cancel-auto"),
            ),
        ),
        spacing="2",
        align="center",
        margin_top="8px",
    )


def ask_for_draft() -> rx.Component:
    """No pending draft: ask the AI for one (the lead's newest reply is answered)."""
    return rx.box(
        rx.cond(
            InboxState.regenerating,
            drafting_note(),
            rx.button(
                rx.icon("sparkles", size=14),
                "Draft a reply with AI",
                on_click=InboxState.regenerate_draft,
                loading=InboxState.busy == "regenerate",
                disabled=InboxState.busy != "",
                variant="soft",
                color_scheme="violet",
                size="1",
                custom_attrs=testid("draft-ask"),
            ),
        ),
        width="100%",
    )


def draft_card() -> rx.Component:
    d = InboxState.draft
    busy = InboxState.busy != ""
    return rx.box(
        rx.hstack(
            rx.icon("sparkles", size=14, color="var(--violet-11)"),
            rx.text("AI draft", size="2", weight="bold", color="var(--violet-11)"),
            rx.badge(d["action"], color_scheme="violet", variant="soft", size="1"),
            rx.text(d["channel_label"], size="1", color=styles.SUBTLE_TEXT),
            rx.spacer(),
            rx.text(d["created"], size="1", color=styles.SUBTLE_TEXT),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.cond(
            InboxState.editing_draft,
            rx.text_area(
                id="draft-input",
                key=d["id"],
                default_value=InboxState.draft_text,
                on_change=S.set_draft_text.debounce(250),
                on_blur=InboxState.set_draft_text,
                rows="5",
                resize="vertical",
                width="100%",
                margin_top="8px",
                aria_label="Edit the AI draft",
                custom_attrs=testid("draft-input"),
            ),
            rx.text(d["body"], style=message_body_style, margin_top="6px"),
        ),
        rx.cond(
            InboxState.can_write,
            rx.hstack(
                rx.button(
                    rx.icon("send", size=14),
                    rx.cond(InboxState.editing_draft, "Send edited", "Approve & send"),
                    on_click=InboxState.approve_draft,
                    loading=InboxState.busy == "approve",
                    disabled=busy,
                    color_scheme="violet",
                    size="1",
                    custom_attrs=testid("draft-approve"),
                ),
                rx.cond(
                    InboxState.editing_draft,
                    rx.hstack(
                        rx.button(
                            "Save draft",
                            on_click=InboxState.save_draft,
                            loading=InboxState.busy == "edit",
                            disabled=busy,
                            variant="soft",
                            color_scheme="violet",
                            size="1",
                            custom_attrs=testid("draft-save"),
                        ),
                        rx.button(
                            "Cancel",
                            on_click=InboxState.cancel_edit_draft,
                            variant="ghost",
                            color_scheme="gray",
                            size="1",
                            custom_attrs=testid("draft-cancel"),
                        ),
                        spacing="2",
                    ),
                    rx.button(
                        rx.icon("pencil", size=14),
                        "Edit",
                        on_click=InboxState.start_edit_draft,
                        disabled=busy,
                        variant="soft",
                        color_scheme="violet",
                        size="1",
                        custom_attrs=testid("draft-edit"),
                    ),
                ),
                rx.spacer(),
                rx.button(
                    rx.icon("x", size=14),
                    "Reject",
                    on_click=InboxState.reject_draft,
                    loading=InboxState.busy == "reject",
                    disabled=busy,
                    variant="ghost",
                    color_scheme="red",
                    size="1",
                    custom_attrs=testid("draft-reject"),
                ),
                align="center",
                spacing="2",
                width="100%",
                margin_top="10px",
            ),
        ),
        rx.cond(d["auto"] != "", auto_send_line()),
        rx.cond(InboxState.can_write, regenerate_row()),
        style=draft_card_style,
        custom_attrs=testid("draft-card"),
    )

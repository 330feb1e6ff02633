"""The AI draft in the conversation: the card (approve, edit, reject), the auto-send line with
Cancel, Regenerate with an optional instruction, and "Draft a reply" when there is none."""

from __future__ import annotations

from typing import Any

import reflex as rx

from inboxapp.components.inbox.controls import action_button, any_busy
from inboxapp.components.inbox.styles import draft_card_style, message_body_style
from inboxapp.components.shared.controls import button, small_text
from inboxapp.components.shared.testids import testid
from inboxapp.state.inbox import InboxState

S: Any = InboxState


def drafting_note() -> rx.Component:
    return rx.hstack(
        rx.spinner(size="1"),
        small_text("Drafting a new reply…"),
        spacing="2",
        align="center",
        role="status",
        custom_attrs=testid("draft-drafting"),
    )


def regenerate_row() -> rx.Component:
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
            action_button(
                "Regenerate",
                "regenerate",
                icon="refresh-cw",
                type="submit",
                loading=(InboxState.busy == "regenerate") | InboxState.regenerating,
                color_scheme="violet",
                test_id="draft-regenerate",
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
            action_button(
                "Cancel auto-send",
                "cancel_auto",
                on_click=InboxState.cancel_auto_send,
                variant="ghost",
                color_scheme="amber",
                test_id="draft-cancel-auto",
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
            action_button(
                "Draft a reply with AI",
                "regenerate",
                icon="sparkles",
                on_click=InboxState.regenerate_draft,
                color_scheme="violet",
                test_id="draft-ask",
            ),
        ),
        width="100%",
    )


def draft_card() -> rx.Component:
    d = InboxState.draft
    return rx.box(
        rx.hstack(
            rx.icon("sparkles", size=14, color="var(--violet-11)"),
            rx.text("AI draft", size="2", weight="bold", color="var(--violet-11)"),
            rx.badge(d["action"], color_scheme="violet", variant="soft", size="1"),
            small_text(d["channel_label"]),
            rx.spacer(),
            small_text(d["created"]),
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
                action_button(
                    rx.cond(InboxState.editing_draft, "Send edited", "Approve & send"),
                    "approve",
                    icon="send",
                    on_click=InboxState.approve_draft,
                    variant=None,
                    color_scheme="violet",
                    test_id="draft-approve",
                ),
                rx.cond(
                    InboxState.editing_draft,
                    rx.hstack(
                        action_button(
                            "Save draft",
                            "edit",
                            on_click=InboxState.save_draft,
                            color_scheme="violet",
                            test_id="draft-save",
                        ),
                        button(
                            "Cancel",
                            on_click=InboxState.cancel_edit_draft,
                            variant="ghost",
                            color_scheme="gray",
                            test_id="draft-cancel",
                        ),
                        spacing="2",
                    ),
                    button(
                        "Edit",
                        icon="pencil",
                        on_click=InboxState.start_edit_draft,
                        disabled=any_busy(),
                        color_scheme="violet",
                        test_id="draft-edit",
                    ),
                ),
                rx.spacer(),
                action_button(
                    "Reject",
                    "reject",
                    icon="x",
                    on_click=InboxState.reject_draft,
                    variant="ghost",
                    color_scheme="red",
                    test_id="draft-reject",
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

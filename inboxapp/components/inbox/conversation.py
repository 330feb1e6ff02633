"""The open conversation: lead header and details, actions, the message thread, the pending AI
draft and the reply box (Ctrl/Cmd+Enter sends).

Write controls are rendered for roles that may write (everyone but CLIENT_PORTAL) and assignment
for OWNER/ADMIN/INBOX_MANAGER only; the service layer and row level security enforce the same.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar
from reflex.vars.function import FunctionStringVar

from inboxapp import styles
from inboxapp.components.inbox.ai_draft import ask_for_draft, draft_card
from inboxapp.components.inbox.controls import (
    action_button,
    any_busy,
    kbd,
    key_hints,
    sentiment_badge,
    small_select,
    status_badge,
)
from inboxapp.components.inbox.styles import bubble_in_style, bubble_out_style, message_body_style
from inboxapp.components.inbox.undo import undo_bar
from inboxapp.components.shared.controls import (
    button,
    centred_panel,
    icon_button,
    icon_text,
    message_text,
    muted_text,
    small_text,
)
from inboxapp.components.shared.feedback import dismissible_callout
from inboxapp.components.shared.testids import testid
from inboxapp.domain.vocabulary import LEAD_STATUSES, SENTIMENT_TAGS, status_label
from inboxapp.inbox.view import SNOOZE_PRESETS
from inboxapp.state import browser
from inboxapp.state.inbox import InboxState

# At runtime InboxState's attributes are Vars and EventHandlers (``.length()``, ``.contains()``,
# ``handler(arg)``, ``.debounce()``); mypy only sees their Python annotations.
S: Any = InboxState

# Ctrl/Cmd+Enter in the reply box submits its form, entirely in the browser (no event per key).
SUBMIT_ON_CTRL_ENTER: Any = FunctionStringVar.create(browser.SUBMIT_ON_CTRL_ENTER)

L: Any = InboxState.lead


def _channel_icon(channel: Any, size: int = 12) -> rx.Component:
    return rx.match(
        channel,
        ("sms", rx.icon("message_square", size=size)),
        ("linkedin", rx.icon("briefcase", size=size)),
        rx.icon("mail", size=size),
    )


# ---------------------------------------------------------------------------------- header


def _detail(icon: str, value: Any, label: str) -> rx.Component:
    return rx.cond(
        value != "",
        icon_text(
            icon,
            value,
            icon_props={"size": 13, "aria_hidden": "true"},
            text_props={"truncate": True},
            spacing="1",
            max_width="260px",
            title=label,
        ),
    )


def lead_badges() -> rx.Component:
    return rx.hstack(
        sentiment_badge(L, "lead-sentiment"),
        status_badge(L, "lead-status"),
        rx.cond(
            L["snoozed_until"] != "",
            rx.badge(
                rx.icon("alarm_clock", size=12),
                "Snoozed until ",
                L["snoozed_until"],
                color_scheme="purple",
                variant="soft",
                custom_attrs=testid("lead-snoozed"),
            ),
        ),
        align="center",
        spacing="2",
        wrap="wrap",
    )


def lead_details() -> rx.Component:
    return rx.hstack(
        _detail("mail", L["email"], "Email"),
        _detail("phone", L["phone"], "Phone"),
        _detail("building_2", L["company"], "Company"),
        _detail("megaphone", L["campaign"], "Campaign"),
        _detail("star", L["score"], "Score"),
        _detail("calendar_check", L["booked"], "Meeting booked"),
        _detail("corner_down_left", L["last_inbound"], "Last reply from the lead"),
        _detail("corner_up_right", L["last_outbound"], "Last message to the lead"),
        spacing="3",
        wrap="wrap",
        row_gap="2px",
        width="100%",
        custom_attrs=testid("lead-details"),
    )


def lead_header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.avatar(fallback=L["initials"], size="3", radius="full", variant="soft"),
            rx.vstack(
                rx.heading(
                    L["name"],
                    size="4",
                    weight="bold",
                    truncate=True,
                    max_width="100%",
                    custom_attrs=testid("lead-name"),
                ),
                lead_badges(),
                spacing="1",
                min_width="0",
                flex="1",
            ),
            assign_control(),
            icon_button(
                "x",
                "Close conversation",
                InboxState.close_conversation,
                icon_size=16,
                tooltip="Close (Esc)",
                size="3",
                test_id="conversation-close",
            ),
            align="start",
            spacing="3",
            width="100%",
        ),
        lead_details(),
        spacing="2",
        width="100%",
    )


# ---------------------------------------------------------------------------------- actions


def _assign_option(item: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.el.option(item["name"], value=item["id"])


def assign_control() -> rx.Component:
    person = {"aria_hidden": "true"}
    return rx.cond(
        InboxState.can_manage,
        rx.hstack(
            rx.icon("user_round", size=14, color=styles.SUBTLE_TEXT, **person),
            small_select(
                rx.el.option("Unassigned", value=""),
                rx.foreach(InboxState.assign_options, _assign_option),
                value=L["assignee_id"],
                width="auto",
                max_width="220px",
                on_change=InboxState.assign_to,
                disabled=any_busy(),
                aria_label="Assign to a setter",
                title="Assign to a setter",
                custom_attrs=testid("assign-select"),
            ),
            align="center",
            spacing="1",
        ),
        icon_text(
            "user_round",
            rx.cond(L["assignee"] != "", L["assignee"], "Unassigned"),
            icon_props=person,
            spacing="1",
            test_id="lead-assignee",
        ),
    )


def _mark_button(label: str, key: str, icon: str, on_click: Any, title: str) -> rx.Component:
    return action_button(
        label,
        key,
        icon=icon,
        on_click=on_click,
        color_scheme="gray",
        height="30px",
        title=title,
        test_id=key.replace("_", "-"),
    )


def snooze_picker() -> rx.Component:
    """Snooze until a date and time of one's choosing (the presets are in the select)."""
    return rx.popover.root(
        rx.popover.trigger(
            rx.icon_button(
                rx.icon("calendar_clock", size=14),
                variant="soft",
                color_scheme="gray",
                size="1",
                height="30px",
                aria_label="Snooze until a date and time",
                title="Snooze until…",
                custom_attrs=testid("snooze-custom"),
            ),
        ),
        rx.popover.content(
            rx.form(
                rx.vstack(
                    rx.el.label(
                        rx.text("Snooze until", size="1", color=styles.MUTED_TEXT),
                        rx.input(
                            type="datetime-local",
                            name="until",
                            required=True,
                            size="2",
                            custom_attrs=testid("snooze-until-input"),
                        ),
                    ),
                    rx.popover.close(
                        rx.button(
                            "Snooze", type="submit", size="1", custom_attrs=testid("snooze-until")
                        )
                    ),
                    spacing="2",
                ),
                on_submit=InboxState.snooze_to,
                reset_on_submit=True,
            ),
            size="1",
        ),
    )


def action_bar() -> rx.Component:
    busy = any_busy()
    return rx.hstack(
        rx.cond(
            L["unread"] == "0",
            _mark_button(
                "Mark unread",
                "mark_unread",
                "mail",
                InboxState.mark_unread,
                "Mark the lead's newest message unread (u)",
            ),
            _mark_button(
                "Mark read",
                "mark_read",
                "check_check",
                InboxState.mark_read,
                "Mark every message from the lead as read (opening it does, after a moment)",
            ),
        ),
        small_select(
            rx.el.option("Snooze…", value="", disabled=True, hidden=True),
            *(
                rx.el.option(label, value=key)
                for key, label in SNOOZE_PRESETS.items()
                if key != "clear"
            ),
            rx.cond(
                L["snoozed_until"] != "",
                rx.el.option(SNOOZE_PRESETS["clear"], value="clear"),
            ),
            value="",
            width="128px",
            on_change=InboxState.snooze,
            disabled=busy,
            aria_label="Snooze",
            title="Hide from the inbox until…",
            custom_attrs=testid("snooze-select"),
        ),
        snooze_picker(),
        small_select(
            rx.cond(
                L["sentiment_known"] == "",
                rx.el.option(
                    rx.cond(L["sentiment"] != "", L["sentiment"], "No sentiment"),
                    value=L["sentiment"],
                    disabled=True,
                ),
            ),
            *(rx.el.option(tag, value=tag) for tag in SENTIMENT_TAGS),
            value=L["sentiment"],
            width="176px",
            on_change=InboxState.change_sentiment,
            disabled=busy,
            aria_label="Sentiment",
            title="Sentiment",
            custom_attrs=testid("sentiment-select"),
        ),
        small_select(
            rx.cond(
                L["status_known"] == "",
                rx.el.option(L["status_label"], value=L["status"], disabled=True),
            ),
            *(rx.el.option(status_label(s), value=s) for s in LEAD_STATUSES),
            value=L["status"],
            width="150px",
            on_change=InboxState.change_status,
            disabled=busy,
            aria_label="Status",
            title="Status",
            custom_attrs=testid("status-select"),
        ),
        align="center",
        spacing="2",
        wrap="wrap",
        width="100%",
        custom_attrs=testid("conversation-actions"),
    )


def read_only_note() -> rx.Component:
    return icon_text(
        "eye",
        "Read-only access: you can follow this conversation, but not reply or change it.",
        width="100%",
        test_id="read-only-note",
    )


def action_error() -> rx.Component:
    return rx.cond(
        InboxState.action_error != "",
        dismissible_callout(
            InboxState.action_error,
            InboxState.dismiss_action_error,
            "action-error",
            color="red",
            icon="circle_alert",
            role="alert",
            inset=("10px", "40px"),
        ),
    )


# ---------------------------------------------------------------------------------- thread


def delivery_line(m: ObjectVar[dict[str, str]]) -> rx.Component:
    """ "Sent" / "Queued" / "Sending..." under one of our messages; "Not sent: <reason>" and
    a Retry button when its send failed."""
    failed = m["delivery"] == "failed"
    return rx.hstack(
        rx.text(
            m["delivery_label"],
            size="1",
            color=rx.cond(failed, "var(--red-11)", styles.SUBTLE_TEXT),
            custom_attrs={"data-testid": "delivery-status", "data-delivery": m["delivery"]},
        ),
        rx.cond(
            failed,
            button(
                "Retry",
                color_scheme="red",
                on_click=S.retry_delivery(m["id"]),
                disabled=any_busy(),
                test_id="retry-delivery",
            ),
        ),
        align="center",
        spacing="2",
        justify="end",
        width="100%",
    )


def message_item(m: ObjectVar[dict[str, str]]) -> rx.Component:
    outbound = m["direction"] == "outbound"
    return rx.flex(
        rx.vstack(
            rx.hstack(
                _channel_icon(m["channel"]),
                small_text(m["sender"], weight="medium", color="var(--gray-12)"),
                small_text("·"),
                small_text(m["channel_label"]),
                small_text("·"),
                small_text(m["time"], title=m["time_title"]),
                rx.cond(
                    m["unread"] != "",
                    rx.badge("New", size="1", variant="solid", radius="full"),
                ),
                align="center",
                spacing="1",
                color=styles.SUBTLE_TEXT,
            ),
            rx.cond(
                m["subject"] != "",
                rx.text(m["subject"], size="2", weight="bold", color="var(--gray-12)"),
            ),
            rx.text(m["body"], style=message_body_style),
            rx.cond(m["delivery"] != "", delivery_line(m)),
            spacing="1",
            style=bubble_in_style,
            background_color=rx.cond(outbound, "var(--accent-3)", "var(--gray-3)"),
            border_radius=rx.cond(
                outbound,
                bubble_out_style["border_radius"],
                bubble_in_style["border_radius"],
            ),
        ),
        justify=rx.cond(outbound, "end", "start"),
        width="100%",
        custom_attrs={"data-testid": "thread-message", "data-direction": m["direction"]},
    )


def thread() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.cond(
                S.messages.length() > 0,
                rx.foreach(InboxState.messages, message_item),
                rx.center(
                    small_text("No messages yet.", size="2"),
                    padding="32px",
                    width="100%",
                ),
            ),
            rx.cond(
                S.draft.contains("id"),
                draft_card(),
                rx.cond(InboxState.can_write & (S.messages.length() > 0), ask_for_draft()),
            ),
            spacing="3",
            width="100%",
            padding="16px 20px",
        ),
        id="thread",
        flex="1",
        min_height="0",
        overflow_y="auto",
        width="100%",
        background_color="var(--gray-1)",
        border_top="1px solid var(--gray-4)",
        border_bottom="1px solid var(--gray-4)",
        custom_attrs=testid("thread"),
    )


# ---------------------------------------------------------------------------------- reply


def reply_box() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text_area(
                id="reply-input",
                name="body",
                placeholder="Write a reply…",
                rows="2",
                resize="vertical",
                width="100%",
                on_key_down=SUBMIT_ON_CTRL_ENTER,
                default_value=InboxState.reply_text,
                on_change=S.keep_reply.debounce(400),
                on_blur=S.keep_reply,
                aria_label="Reply",
                custom_attrs=testid("reply-input"),
            ),
            rx.hstack(
                key_hints(kbd("Ctrl"), "+", kbd("Enter"), "to send"),
                rx.spacer(),
                rx.el.label(
                    rx.checkbox(
                        checked=InboxState.auto_advance == "1",
                        on_change=InboxState.set_auto_advance,
                        aria_label="Open the next conversation after sending",
                        custom_attrs=testid("auto-advance"),
                    ),
                    rx.text("Next after send", size="1", color=styles.MUTED_TEXT),
                    display="flex",
                    align_items="center",
                    gap="6px",
                    cursor="pointer",
                ),
                action_button(
                    "Send",
                    "reply",
                    icon="send",
                    type="submit",
                    variant=None,
                    size="2",
                    test_id="reply-send",
                ),
                align="center",
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        id="reply-form",
        key=InboxState.reply_key,
        on_submit=InboxState.send_reply,
        reset_on_submit=False,
        padding="12px 20px 14px",
        width="100%",
        aria_label="Reply",
    )


# ---------------------------------------------------------------------------------- pane


def conversation_view() -> rx.Component:
    return rx.flex(
        rx.vstack(
            lead_header(),
            rx.cond(InboxState.can_write, action_bar(), read_only_note()),
            action_error(),
            undo_bar(),
            spacing="3",
            padding="14px 20px 12px",
            width="100%",
        ),
        thread(),
        rx.cond(InboxState.can_write, reply_box()),
        direction="column",
        height="100%",
        width="100%",
        min_height="0",
        custom_attrs={"data-testid": "conversation-view", "data-lead-id": L["id"]},
    )


def conversation_placeholder() -> rx.Component:
    return centred_panel(
        rx.icon("messages_square", size=28, color=styles.SUBTLE_TEXT),
        rx.text("Select a conversation", size="3", weight="medium"),
        key_hints(kbd("j"), kbd("k"), "to move through the list,", kbd("r"), "to reply"),
        spacing="2",
        height="100%",
        min_height="240px",
        width="100%",
        custom_attrs=testid("conversation-placeholder"),
    )


def conversation_skeleton() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.skeleton(rx.box(width="40px", height="40px", border_radius="50%")),
            rx.vstack(
                rx.skeleton(rx.box(width="180px", height="18px")),
                rx.skeleton(rx.box(width="260px", height="12px")),
                spacing="2",
            ),
            spacing="3",
        ),
        rx.skeleton(rx.box(width="70%", height="64px")),
        rx.skeleton(rx.box(width="55%", height="48px"), align_self="end"),
        rx.skeleton(rx.box(width="65%", height="56px")),
        spacing="4",
        padding="20px",
        width="100%",
        aria_busy="true",
        custom_attrs=testid("conversation-skeleton"),
    )


def conversation_error() -> rx.Component:
    return centred_panel(
        rx.icon("message_square_off", size=24, color=styles.SUBTLE_TEXT),
        message_text(InboxState.conversation_error, role="alert"),
        rx.hstack(
            button("Try again", on_click=InboxState.load_conversation),
            button(
                "Close",
                on_click=InboxState.close_conversation,
                variant="ghost",
                color_scheme="gray",
            ),
            spacing="2",
        ),
        rx.cond(InboxState.orphan_reply != "", orphan_reply()),
        max_width="340px",
        height="100%",
        min_height="240px",
        width="100%",
        custom_attrs=testid("conversation-error"),
    )


def orphan_reply() -> rx.Component:
    """The conversation can no longer be opened (reassigned): the unsent text, to copy."""
    return rx.vstack(
        rx.text(InboxState.orphan_note, weight="medium", custom_attrs=testid("orphan-assignee")),
        muted_text("Your unsent reply is kept here to copy:"),
        rx.text_area(
            value=InboxState.orphan_reply,
            read_only=True,
            rows="4",
            width="100%",
            aria_label="Your unsent reply",
            custom_attrs=testid("orphan-reply"),
        ),
        width="100%",
        spacing="1",
    )


def conversation_pane() -> rx.Component:
    return rx.box(
        rx.cond(
            InboxState.selected_id == "",
            conversation_placeholder(),
            rx.cond(
                InboxState.conversation_error != "",
                conversation_error(),
                rx.cond(
                    InboxState.conversation_loaded,
                    conversation_view(),
                    conversation_skeleton(),
                ),
            ),
        ),
        flex="1",
        min_width="0",
        height=["auto", "auto", "100%"],
        min_height="0",
        custom_attrs=testid("conversation-pane"),
    )

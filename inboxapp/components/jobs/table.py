"""The ``/jobs`` page blocks: live indicator, notices and the per-kind status table.

Stateless apart from reading :class:`~inboxapp.state.jobs.JobsState`; every value shown is a
display string prepared on the server (``inboxapp.jobs.view.job_row``).
"""

from __future__ import annotations

from typing import cast

import reflex as rx
from reflex.vars import ObjectVar

from inboxapp import styles
from inboxapp.components.shared.feedback import empty_state, error_callout
from inboxapp.components.shared.testids import testid
from inboxapp.state.jobs import JobsState
from inboxapp.state.workspace import WorkspaceState

COLUMNS = (
    "Job",
    "State",
    "Attempts",
    "Last success",
    "Last duration",
    "Last error",
    "Queue depth",
    "Dead-lettered",
)


def _state_badge(state: rx.Var, label: rx.Var) -> rx.Component:
    def badge(color: str) -> rx.Component:
        return rx.badge(
            label,
            color_scheme=color,
            variant="soft",
            radius="full",
            size="1",
            custom_attrs=testid("jobs-state"),
        )

    return rx.match(
        state,
        ("queued", badge("gray")),
        ("running", badge("blue")),
        ("succeeded", badge("green")),
        ("failed", badge("red")),
        ("retrying", badge("amber")),
        badge("gray"),
    )


def _dash(value: rx.Var, test_id: str, *, mono: bool = False) -> rx.Component:
    """A cell value, or a muted dash when empty."""
    return rx.cond(
        value != "",
        rx.text(
            value,
            size="2",
            font_family="var(--code-font-family)" if mono else None,
            custom_attrs=testid(test_id),
        ),
        rx.text("—", size="2", color=styles.SUBTLE_TEXT, custom_attrs=testid(test_id)),
    )


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row["label"], size="2", weight="medium", white_space="nowrap"),
                rx.code(row["kind"], size="1", variant="ghost", color_scheme="gray"),
                spacing="0",
                align="start",
            ),
        ),
        rx.table.cell(_state_badge(row["state"], row["state_label"])),
        rx.table.cell(_dash(row["attempts"], "jobs-attempts")),
        rx.table.cell(
            rx.text(
                row["last_success"],
                size="2",
                title=row["last_success_at"],
                custom_attrs=testid("jobs-last-success"),
            ),
        ),
        rx.table.cell(_dash(row["duration"], "jobs-duration")),
        rx.table.cell(_dash(row["error"], "jobs-error-code", mono=True)),
        rx.table.cell(rx.text(row["depth"], size="2", custom_attrs=testid("jobs-depth"))),
        rx.table.cell(
            rx.text(
                row["dead"],
                size="2",
                color=rx.cond(row["dead"] != "0", "var(--red-11)", "inherit"),
                weight=rx.cond(row["dead"] != "0", "bold", "regular"),
                custom_attrs=testid("jobs-dead"),
            ),
        ),
        align="center",
        custom_attrs={"data-testid": "jobs-row", "data-job-kind": row["kind"]},
    )


def jobs_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *(rx.table.column_header_cell(title, white_space="nowrap") for title in COLUMNS)
                ),
            ),
            rx.table.body(rx.foreach(JobsState.job_rows, _row)),
            variant="surface",
            size="2",
            width="100%",
            aria_label="Background jobs of this workspace",
        ),
        width="100%",
        overflow_x="auto",
        custom_attrs=testid("jobs-table"),
    )


def live_indicator() -> rx.Component:
    """The "Live" badge while the poller runs; "Paused" and a Resume button once it stopped."""
    return rx.cond(
        JobsState.live,
        rx.badge(
            rx.box(
                width="6px",
                height="6px",
                border_radius="50%",
                background_color="var(--green-9)",
            ),
            "Live · refreshes every 2 s",
            color_scheme="green",
            variant="soft",
            radius="full",
            size="1",
            custom_attrs=testid("jobs-live"),
        ),
        rx.hstack(
            rx.text(
                rx.cond(JobsState.paused, "Live updates paused", "Live updates off"),
                size="1",
                color=styles.MUTED_TEXT,
            ),
            rx.button(
                rx.icon("refresh_cw", size=12),
                "Resume",
                on_click=JobsState.resume,
                size="1",
                variant="soft",
                custom_attrs=testid("jobs-resume"),
            ),
            align="center",
            spacing="2",
            custom_attrs=testid("jobs-paused"),
        ),
    )


def unavailable_notice() -> rx.Component:
    return rx.callout(
        "Job status is unavailable right now: the status store can't be reached. Queue depth "
        "and dead-lettered counts still come from the database; the rest returns by itself.",
        icon="triangle_alert",
        color_scheme="amber",
        variant="surface",
        size="1",
        role="status",
        width="100%",
        custom_attrs=testid("jobs-unavailable"),
    )


def dead_letter_hint() -> rx.Component:
    return rx.callout(
        rx.text(
            "Dead-lettered jobs ran out of attempts and stay failed until retried: ",
            rx.code(
                "python -m inboxapp jobs retry --all-failed --client-id " + JobsState.jobs_client,
                size="1",
            ),
            size="2",
        ),
        icon="info",
        color_scheme="red",
        variant="surface",
        size="1",
        width="100%",
        custom_attrs=testid("jobs-dead-hint"),
    )


def forbidden_state() -> rx.Component:
    return empty_state(
        "lock",
        "Admins only",
        "Only the owners and admins of this workspace can see its background jobs.",
        "jobs-forbidden",
    )


def jobs_error() -> rx.Component:
    return rx.cond(JobsState.jobs_error != "", error_callout(JobsState.jobs_error, "jobs-error"))


def jobs_loading() -> rx.Component:
    return rx.hstack(
        rx.spinner(size="2"),
        rx.text("Loading job status…", size="2", color=styles.MUTED_TEXT),
        align="center",
        spacing="2",
        padding_y="24px",
        role="status",
        custom_attrs=testid("loading-spinner"),
    )


def shown_here() -> rx.Var[bool]:
    """The vars hold the active workspace's data (never another workspace's)."""
    return cast(rx.Var[bool], JobsState.jobs_client == WorkspaceState.active_id)

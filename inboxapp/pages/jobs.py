"""Background jobs page (/jobs?clientId=<uuid>): job status of the workspace, live (admins).

The page's ``on_load`` is the workspace load; once it settles the workspace,
``JobsState.workspace_ready`` checks the role and starts the bounded live poller
(see :mod:`inboxapp.state.jobs`).
"""

from __future__ import annotations

import reflex as rx

from inboxapp.components.jobs.table import (
    dead_letter_hint,
    forbidden_state,
    jobs_error,
    jobs_loading,
    jobs_table,
    live_indicator,
    shown_here,
    unavailable_notice,
)
from inboxapp.components.shared.controls import header_row, muted_text, page_title, small_text
from inboxapp.components.shared.template import template
from inboxapp.components.shared.testids import testid
from inboxapp.components.shared.workspace_gate import workspace_gate
from inboxapp.state.jobs import JOBS_ROUTE, JobsState
from inboxapp.state.workspace import WorkspaceState, on_workspace_ready

on_workspace_ready(JOBS_ROUTE, JobsState.workspace_ready)


def jobs_header() -> rx.Component:
    return header_row(
        page_title(
            "Background jobs",
            muted_text(WorkspaceState.active_name, size="2", custom_attrs=testid("jobs-workspace")),
        ),
        rx.hstack(
            rx.cond(shown_here() & ~JobsState.jobs_forbidden, live_indicator()),
            rx.link(
                rx.hstack(rx.icon("arrow_left", size=14), rx.text("Inbox"), align="center"),
                href=f"/?clientId={WorkspaceState.active_id}",
                size="2",
                class_name="nav-link",
                custom_attrs=testid("jobs-back"),
            ),
            align="center",
            spacing="4",
        ),
    )


def jobs_view() -> rx.Component:
    return rx.vstack(
        jobs_header(),
        rx.cond(
            shown_here() & JobsState.jobs_forbidden,
            forbidden_state(),
            rx.cond(
                shown_here() & JobsState.jobs_loaded,
                rx.vstack(
                    rx.cond(JobsState.status_unavailable, unavailable_notice()),
                    jobs_error(),
                    jobs_table(),
                    rx.cond(JobsState.has_dead_letters, dead_letter_hint()),
                    small_text(
                        "Queue depth counts queued and running jobs; dead-lettered jobs failed "
                        "every attempt. Times are relative to now."
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.vstack(jobs_error(), jobs_loading(), width="100%"),
            ),
        ),
        spacing="4",
        width="100%",
        custom_attrs=testid("jobs-page"),
    )


@template(route=JOBS_ROUTE, title="Jobs", on_load=WorkspaceState.load, wide=True)
def jobs() -> rx.Component:
    """Spinner until the workspace is known, then the jobs view (or the empty state)."""
    return workspace_gate(jobs_view(), "Job status is shown per workspace.")

"""Workspace switcher: a native ``<select>`` (keyboard and screen-reader friendly).

Each option's value is the workspace id; choosing one moves the URL to ``?clientId=``.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from inboxapp import styles
from inboxapp.components.shared.testids import testid
from inboxapp.state.workspace import WorkspaceState


def _option(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.el.option(row["name"], value=row["id"])


def workspace_switcher() -> rx.Component:
    return rx.cond(
        WorkspaceState.has_workspaces,
        rx.hstack(
            rx.separator(orientation="vertical", size="1", margin_right="8px"),
            rx.icon("building_2", size=16, color=styles.SUBTLE_TEXT, aria_hidden="true"),
            rx.el.select(
                rx.foreach(WorkspaceState.workspaces, _option),
                value=WorkspaceState.active_id,
                on_change=WorkspaceState.switch_workspace,
                aria_label="Workspace",
                title="Switch workspace",
                style=styles.select_style,
                custom_attrs=testid("workspace-switcher"),
            ),
            align="center",
            spacing="2",
        ),
    )

"""The ``/jobs`` admin page: background job status of the active workspace, refreshed live.

The data comes from :func:`inboxapp.jobs.overview.job_status_for`, the same service as
``GET /api/jobs/status``: it checks membership and role in the database on every call, so the
"admins only" rule is enforced on the server for every refresh, not by hiding the UI.

Live refresh is ONE bounded background task per browser tab (the poller):

* Started by ``workspace_ready`` (after the page's ``on_load`` settled the workspace) or by the
  "Resume" button. Each start takes a new generation number ``_poll_gen`` and marks a start
  pending; the ``poll`` task takes the pending start and claims that generation under the
  state lock (``_poll_claimed``). A ``poll`` event with nothing pending (a stray, replayed or
  second queued one) returns at once, so a tab never gets a second task. A start while a task
  of the same workspace is running only extends that task's lifetime.
* Every ~2 s it fetches off the state lock, then takes the lock ONCE to check that it still
  owns the page and to apply the result. The result is dropped (and the task ends) when a newer
  generation took over, the workspace or the user changed, or the tab is on another route.
* Leaving the page or closing the tab: Reflex cancels the unfinished page-load chain the
  poller belongs to. The poller checks on its own too (the Resume button starts it outside that
  chain): the route, as above, and the tab's websocket (before each fetch, confirmed under the
  lock so a tab that reconnected meanwhile keeps its poller).
* It also ends when the role check refuses (no longer an owner/admin) and after
  ``JobsPageSettings.live_max_s`` (10 minutes by default): the page then shows "Live updates
  paused" with a Resume button, and the next ``on_load`` (reload, navigation back, websocket
  reconnect) starts it again.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

import reflex as rx

from inboxapp.config import jobs_page_settings
from inboxapp.domain import roles
from inboxapp.domain.roles import Capability
from inboxapp.errors import AppError, Forbidden
from inboxapp.jobs.overview import job_status_for
from inboxapp.jobs.view import job_rows
from inboxapp.logs import get_logger
from inboxapp.observability.load_slots import bounded
from inboxapp.state.base import next_request
from inboxapp.state.workspace import WorkspaceState

log = get_logger("inboxapp.ui")

JOBS_ROUTE = "/jobs"


ERROR_BACKOFF_MAX_S = 15.0

# The pollers running in this process, by generation.
_RUNNING: dict[int, asyncio.Task[Any]] = {}

MSG_LOAD_FAILED = "We couldn't load job status. Retrying…"
MSG_BAD_WORKSPACE = "This workspace link isn't valid."


def poll_delay(failures: int) -> float:
    """The pause before the next refresh: the interval, backing off after failed fetches."""
    interval = jobs_page_settings().poll_s
    if failures <= 0:
        return interval
    return max(interval, min(interval * 2 ** min(failures, 4), ERROR_BACKOFF_MAX_S))


def _poller_alive(gen: int) -> bool:
    """Whether the poller of ``gen`` runs in this process and is not being cancelled.

    A poller of another process (Redis state manager, several workers) counts as gone: a new
    one is started and the other ends, without applying anything, at its next check.
    """
    task = _RUNNING.get(gen)
    return task is not None and not task.done() and not task.cancelling()


# ------------------------------------------------------------------------------ fetching


async def _fetch(user_id: str, client_id: str) -> tuple[str, dict[str, Any] | None]:
    """``("ok", payload)`` or ``(outcome, None)``: "forbidden", "invalid" or "error"."""
    try:
        fetch = partial(asyncio.to_thread, job_status_for, user_id, client_id)
        return "ok", await bounded(user_id, fetch)
    except Forbidden:
        return "forbidden", None
    except AppError:
        return "invalid", None
    except Exception:
        log.exception("ui.jobs_status_failed", clientId=client_id)
        return "error", None


async def _tab_connected(token: str) -> bool:
    """Whether this tab's websocket is still connected (True when it cannot be told)."""
    if not token:
        return True
    try:
        from reflex_base.registry import RegistrationContext

        namespace = RegistrationContext.get().app.event_namespace
        if namespace is None:
            return True
        return bool(await namespace._token_manager.is_token_connected(token))
    except Exception:  # private API moved, no app context: the other bounds still apply
        return True


def _on_route(path: str) -> bool:
    return (path.rstrip("/") or "/") == JOBS_ROUTE


# ------------------------------------------------------------------------------ state


class JobsState(WorkspaceState):
    """Job status of the active workspace (owners and admins), kept fresh by the poller."""

    # The workspace whose data the vars hold ("" = none yet); shown only while == active_id.
    jobs_client: str = ""
    job_rows: list[dict[str, str]] = []
    jobs_loaded: bool = False
    jobs_forbidden: bool = False
    status_unavailable: bool = False
    jobs_error: str = ""
    live: bool = False
    paused: bool = False

    _jobs_user: str = ""
    _poll_gen: int = 0
    _poll_claimed: int = 0
    _poll_client: str = ""
    _poll_deadline: float = 0.0
    _poll_pending: bool = False

    def _reset_jobs(self, client_id: str, user_id: str) -> None:
        self.jobs_client = client_id
        self._jobs_user = user_id
        self._put("job_rows", [])
        self._put("jobs_loaded", False)
        self._put("jobs_forbidden", False)
        self._put("status_unavailable", False)
        self._put("jobs_error", "")

    def _jobs_role(self) -> str:
        return next(
            (row.get("role", "") for row in self.workspaces if row.get("id") == self.active_id),
            "",
        )

    def _jobs_stop(self, *, paused: bool = False) -> None:
        """No poller of this tab applies anything any more (a running one ends at its check)."""
        self._poll_gen = next_request()
        self._poll_pending = False
        self._put("live", False)
        self._put("paused", paused)

    def _jobs_start(self) -> Any:
        """Start the poller for ``jobs_client``, or give the running one a new lifetime."""
        self._poll_deadline = time.time() + jobs_page_settings().live_max_s
        self._put("live", True)
        self._put("paused", False)
        if (
            self._poll_claimed == self._poll_gen != 0
            and self._poll_client == self.jobs_client
            and _poller_alive(self._poll_gen)
        ):
            return None  # already polling this workspace: one poller per tab
        self._poll_gen = next_request()
        self._poll_client = self.jobs_client
        self._poll_pending = True
        return JobsState.poll

    # ------------------------------------------------------------------ computed
    @rx.var
    def has_dead_letters(self) -> bool:
        return any(row.get("dead", "0") != "0" for row in self.job_rows)

    # ------------------------------------------------------------------ events
    @rx.event
    def workspace_ready(self) -> Any:
        """``/jobs`` settled on ``active_id``: check the role, then (re)start the poller."""
        client, user = self.active_id, self._user_id
        if not client or not user:
            return None
        if client != self.jobs_client or user != self._jobs_user:
            self._reset_jobs(client, user)
        if not roles.can(self._jobs_role(), Capability.ADMIN):
            # The role comes from the server (me()); the poller re-checks it in the database
            # on every refresh, so a promoted member gets in after a reload.
            self._put("jobs_forbidden", True)
            self._put("job_rows", [])
            self._jobs_stop()
            return None
        self._put("jobs_forbidden", False)
        return self._jobs_start()

    @rx.event
    def resume(self) -> Any:
        """The "Resume live updates" button."""
        if (
            not self.jobs_client
            or self.jobs_client != self.active_id
            or self.jobs_forbidden
            or not _on_route(self.router.url.path)
        ):
            return None
        return self._jobs_start()

    @rx.event(background=True)
    async def poll(self) -> None:
        """The poller (see the module docstring for its bounds)."""
        async with self:
            if not self._poll_pending:
                return  # not started by the server (or its start was already taken)
            # Two quick starts queue two polls: the first takes the latest generation, the
            # second finds nothing pending and returns.
            self._poll_pending = False
            gen = self._poll_gen
            self._poll_claimed = gen
            client, user = self._poll_client, self._user_id
            token = self.router.session.client_token
        task = asyncio.current_task()
        if task is not None:
            _RUNNING[gen] = task
        log.info("ui.jobs_live_started", clientId=client, gen=gen)
        reason = ""
        failures = 0
        try:
            while not reason:
                payload: dict[str, Any] | None = None
                rows: list[dict[str, str]] | None = None
                if await _tab_connected(token):
                    outcome, payload = await _fetch(user, client)
                    if payload is not None:
                        rows = job_rows(payload, datetime.now(UTC))
                else:
                    outcome = "disconnected"
                async with self:
                    if outcome == "disconnected" and await _tab_connected(token):
                        outcome = "skip"  # the tab reconnected meanwhile: go on
                    reason = self._apply_poll(gen, client, user, outcome, payload, rows)
                if reason:
                    break
                failures = failures + 1 if outcome == "error" else 0
                await asyncio.sleep(poll_delay(failures))
        except asyncio.CancelledError:
            # Reflex cancels the unfinished page-load chain this task belongs to when the tab
            # navigates to another page or disconnects.
            reason = "cancelled"
            raise
        finally:
            _RUNNING.pop(gen, None)
            if reason in ("", "cancelled"):
                reason = reason or "crashed"
                await self._release(gen)
            log.info("ui.jobs_live_stopped", clientId=client, gen=gen, reason=reason)

    async def _release(self, gen: int) -> None:
        """Drop the claim of a poller that ended outside ``_apply_poll`` (no lock held)."""
        try:
            async with self:
                if self._poll_claimed == gen:
                    self._poll_claimed = 0
                if self._poll_gen == gen:
                    self._put("live", False)
        except Exception:  # state gone with the session: nothing left to release
            log.debug("ui.jobs_release_skipped", gen=gen)

    def _apply_poll(
        self,
        gen: int,
        client: str,
        user: str,
        outcome: str,
        payload: dict[str, Any] | None,
        rows: list[dict[str, str]] | None,
    ) -> str:
        """Under the lock: apply one result if the poller still owns the page.

        Returns "" to keep polling, or why the poller ends (its claim is released here).
        """
        reason = ""
        if gen != self._poll_gen:
            reason = "superseded"
        elif client != self.active_id or client != self.jobs_client or user != self._user_id:
            reason = "workspace_changed"
        elif not _on_route(self.router.url.path):
            reason = "left_page"
        if reason:
            if self._poll_claimed == gen:
                self._poll_claimed = 0
            if reason != "superseded":
                self._jobs_stop()
            return reason  # the result is dropped
        if outcome == "ok" and payload is not None and rows is not None:
            self._put("job_rows", rows)
            self._put("status_unavailable", payload.get("redis") == "unavailable")
            self._put("jobs_error", "")
            self._put("jobs_loaded", True)
        elif outcome == "forbidden":
            self._put("jobs_forbidden", True)
            self._put("job_rows", [])
            reason = "forbidden"
        elif outcome == "invalid":
            self._put("jobs_error", MSG_BAD_WORKSPACE)
            reason = "invalid"
        elif outcome == "disconnected":
            reason = "disconnected"
        elif outcome == "error":
            self._put("jobs_error", MSG_LOAD_FAILED)
        if not reason and time.time() >= self._poll_deadline:
            reason = "expired"
        if reason:
            self._poll_claimed = 0
            self._jobs_stop(paused=reason == "expired")
        return reason

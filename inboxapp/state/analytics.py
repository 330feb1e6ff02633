"""The analytics screen's state: tabs, the window, progressive loads and the session cache.

Discipline (the same as :mod:`inboxapp.state.inbox`):

* Only display-ready primitives reach the browser (strings, numbers for the charts); every
  write goes through the guarded setter ``_put``; nothing is written while rendering.
* The *view* is ``workspace | tab | window``. Only the active tab loads. Every load is one
  background task that takes a new request number and captures the view under the state lock;
  a result is applied only while its request is the latest AND the view is unchanged, so a late
  answer for an old window, tab or workspace is dropped. The task sets its loading flags itself
  and the latest task clears them in ``finally`` (flags always end).
* A load waits :data:`SETTLE_S` before it asks the database, so a burst of clicks costs one
  query (the superseded tasks end without fetching).
* The overview is progressive: ``parts=core`` (KPI cards) first, then ``parts=breakdowns``
  (charts; skeletons meanwhile).
* Reads go through :mod:`inboxapp.analytics.read` (``screen_*``), which decides the
  ``ANALYTICS_READ_API_V1`` flag per request. Everything blocking runs in a thread. What the
  screen shows is built by :mod:`inboxapp.analytics.view`.

Session cache (browser ``sessionStorage``, see ``assets/js/analytics_cache.js``): raw API
payloads keyed by ``user | workspace | tab | window | parts``, 10-minute TTL, at most 20 entries
(LRU). Opening a view asks the browser for its entries (``rx.call_script`` + callback): a hit is
shown at once, marked as saved, and replaced by the fresh answer when it arrives; each fresh
answer is written back. The box belongs to one user (another user's box is dropped unread) and
sign-out removes it (:func:`inboxapp.state.auth.on_logout`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import reflex as rx

from inboxapp.analytics import read
from inboxapp.analytics.view import (
    CRM_SORT_KEYS,
    DEFAULT_TAB,
    EMPTY_BREAKDOWN_VARS,
    EMPTY_TAB_VARS,
    MSG_BREAKDOWNS_FAILED,
    MSG_LOAD_FAILED,
    MSG_MORE_FAILED,
    TAB_KEYS,
    as_int,
    as_number,
    breakdowns_view,
    cache_key,
    cache_parts,
    crm_view,
    freshness_note,
    human_error,
    kpi_view,
    period_label,
    tab_view,
    window_from_query,
    window_token,
)
from inboxapp.analytics.windows import CUSTOM, DEFAULT_WINDOW, PRESETS, WindowSpec, parse_window
from inboxapp.domain.roles import Role
from inboxapp.domain.vocabulary import LEAD_STATUSES
from inboxapp.errors import AppError
from inboxapp.labels import text as _s
from inboxapp.logs import get_logger
from inboxapp.observability.load_slots import coalesced
from inboxapp.state.auth import on_logout
from inboxapp.state.base import next_request, one_of, workspace_role
from inboxapp.state.browser import (
    CLEAR_CACHE_SCRIPT,
    analytics_url_script,
    cache_get_script,
    cache_put_script,
)
from inboxapp.state.workspace import WorkspaceState

log = get_logger("inboxapp.ui")

ANALYTICS_ROUTE = "/analytics"

# Coalesced load kinds (one read per tab and kind at a time): the view, and "load more" rows.
VIEW_LOAD = "analytics.view"
MORE_LOAD = "analytics.crm_more"

SETTLE_S = 0.12
"""A load waits this long before it queries; a newer click meanwhile supersedes it."""
STALE_RELOAD_S = 3.0
STALE_RELOADS = 10
"""A view whose payload says ``freshness.stale`` (a rollup is queued) loads again every
``STALE_RELOAD_S`` until it is fresh, at most this many times, so "these numbers refresh
shortly" holds without a click."""

# Sign-out (in any page of this tab) forgets every cached analytics payload.
on_logout(rx.call_script(CLEAR_CACHE_SCRIPT))


# ---------------------------------------------------------------------------------- state


class AnalyticsState(WorkspaceState):
    """Tabs, window, KPIs, charts and tables of the active workspace's analytics."""

    # What is shown: the workspace whose data the vars hold ("" = none yet), tab and window.
    an_client: str = ""
    an_role: str = ""
    an_tab: str = DEFAULT_TAB
    an_window: str = DEFAULT_WINDOW
    an_from: str = ""
    an_to: str = ""
    custom_open: bool = False
    window_error: str = ""

    period: str = ""
    freshness: str = ""
    from_cache: bool = False
    cache_age: str = ""
    view_error: str = ""
    view_loading: bool = False

    # Overview.
    core_loaded: bool = False
    kpi_values: dict[str, str] = {}
    kpi_hints: dict[str, str] = {}
    breakdowns_loaded: bool = False
    breakdowns_loading: bool = False
    breakdowns_error: str = ""
    sentiment_data: list[dict[str, Any]] = []
    weekly_data: list[dict[str, Any]] = []
    status_data: list[dict[str, Any]] = []
    setter_timing_data: list[dict[str, Any]] = []
    setter_timing_rows: list[dict[str, str]] = []
    setter_timing_unit: str = "minutes"

    # Other tabs (only the active one is ever loaded).
    tab_loaded: bool = False
    campaign_rows: list[dict[str, str]] = []
    campaign_cohorts: list[dict[str, str]] = []
    campaign_chart: list[dict[str, Any]] = []
    setter_rows: list[dict[str, str]] = []
    setter_cohorts: list[dict[str, str]] = []
    setter_chart: list[dict[str, Any]] = []
    timing_summary: dict[str, str] = {}
    timing_buckets: list[dict[str, Any]] = []
    timing_hours: list[dict[str, Any]] = []
    timing_unit: str = "minutes"
    crm_rows: list[dict[str, str]] = []
    crm_next_cursor: str = ""
    crm_sort: str = CRM_SORT_KEYS[0]
    crm_status: str = ""
    crm_more_loading: bool = False
    crm_error: str = ""

    _an_user: str = ""
    _view: str = ""
    _fresh: list[str] = []
    _load_request: int = 0
    _stale_reloads: int = 0
    _more_request: int = 0

    def _view_key(self) -> str:
        return "|".join((self.an_client, self.an_tab, self._window_token()))

    def _window_token(self) -> str:
        return window_token(self.an_window, self.an_from, self.an_to)

    def _spec(self) -> WindowSpec:
        if self.an_window == CUSTOM:
            return parse_window(CUSTOM, self.an_from, self.an_to)
        return parse_window(self.an_window)

    def _keys(self) -> dict[str, str]:
        """Cache key per part of the current view."""
        return {
            part: cache_key(self._user_id, self.an_client, self.an_tab, self._window_token(), part)
            for part in cache_parts(self.an_tab, self.crm_sort, self.crm_status)
        }

    def _clear_view(self) -> None:
        """The view changed: in-flight results become stale and nothing old stays shown."""
        self._view = self._view_key()
        self._fresh = []
        self._stale_reloads = 0
        self._put_all(
            {
                "core_loaded": False,
                "kpi_values": {},
                "kpi_hints": {},
                "breakdowns_loaded": False,
                "breakdowns_error": "",
                "tab_loaded": False,
                "crm_more_loading": False,
                "crm_error": "",
                "view_error": "",
                "period": "",
                "freshness": "",
                "from_cache": False,
                "cache_age": "",
                **EMPTY_BREAKDOWN_VARS,
                **EMPTY_TAB_VARS,
            }
        )

    def _start_view(self) -> list[Any]:
        """Forget the old view, show the cached one at once, load the fresh one."""
        self._clear_view()
        if not self.an_client or not self._user_id:
            return []
        keys = list(self._keys().values())
        query = {"tab": self.an_tab, "window": self.an_window}
        if self.an_window == CUSTOM:
            query |= {"from": self.an_from, "to": self.an_to}
        return [
            rx.call_script(analytics_url_script(self.an_client, query)),
            rx.call_script(
                cache_get_script(self._user_id, keys), callback=AnalyticsState.apply_cached
            ),
            AnalyticsState.load_view,
        ]

    # ------------------------------------------------------------------ computed
    @rx.var
    def is_setter(self) -> bool:
        return self.an_role == Role.SETTER

    @rx.var
    def shown_here(self) -> bool:
        """The vars hold the active workspace's analytics for the signed-in user (never another
        workspace's, nor what another user of this browser tab saw)."""
        return (
            self.an_client != ""
            and self.an_client == self.active_id
            and self._an_user == self._user_id
        )

    @rx.var
    def has_sentiment(self) -> bool:
        return len(self.sentiment_data) > 0

    @rx.var
    def has_status(self) -> bool:
        return len(self.status_data) > 0

    @rx.var
    def has_weekly_traffic(self) -> bool:
        return any(as_int(r.get("inbound")) or as_int(r.get("outbound")) for r in self.weekly_data)

    @rx.var
    def has_setter_timing(self) -> bool:
        return len(self.setter_timing_rows) > 0

    @rx.var
    def has_campaign_chart(self) -> bool:
        return len(self.campaign_chart) > 0

    @rx.var
    def has_setter_chart(self) -> bool:
        return any(as_int(r.get("assigned")) for r in self.setter_chart)

    @rx.var
    def has_timing(self) -> bool:
        return any(as_int(b.get("setter")) or as_int(b.get("ai")) for b in self.timing_buckets)

    @rx.var
    def crm_has_more(self) -> bool:
        return self.crm_next_cursor != ""

    @rx.var
    def busy(self) -> bool:
        """A load of the shown view is in flight (the header's spinner)."""
        return self.view_loading or self.breakdowns_loading or self.crm_more_loading

    # ------------------------------------------------------------------ page lifecycle
    @rx.event
    def workspace_ready(self) -> list[Any]:
        """The analytics page settled on ``active_id``: (re)load the shown view.

        ``?tab=&window=&from=&to=`` in the URL win over what this tab showed before.
        """
        client, user = self.active_id, self._user_id
        if not client or not user:
            return []
        self._put("an_role", workspace_role(self.workspaces, client))
        if user != self._an_user:
            self._reset_for_user(user)
        self.an_client = client
        params = self.router.url.query_parameters
        if _s(params.get("tab")) in TAB_KEYS:
            self.an_tab = _s(params.get("tab"))
        chosen = window_from_query(params)
        if chosen is not None:
            self.an_window, self.an_from, self.an_to = chosen
            self._put("custom_open", self.an_window == CUSTOM)
        self._put("window_error", "")
        return self._start_view()

    def _reset_for_user(self, user: str) -> None:
        """Another user signed in in this browser tab: start from the defaults."""
        self._an_user = user
        self.an_tab = DEFAULT_TAB
        self.an_window = DEFAULT_WINDOW
        self.an_from = self.an_to = ""
        self._put("custom_open", False)
        self.crm_sort = CRM_SORT_KEYS[0]
        self.crm_status = ""

    # ------------------------------------------------------------------ controls
    @rx.event
    def select_tab(self, key: str) -> list[Any]:
        if not one_of(key, TAB_KEYS) or key == self.an_tab:
            return []
        self.an_tab = key
        return self._start_view()

    @rx.event
    def select_window(self, key: str) -> list[Any]:
        if key == CUSTOM:
            self._put("custom_open", True)
            return []
        if not one_of(key, PRESETS):
            return []
        self._put("custom_open", False)
        self._put("window_error", "")
        if key == self.an_window:
            return []
        self.an_window, self.an_from, self.an_to = key, "", ""
        return self._start_view()

    @rx.event
    def apply_custom(self, form_data: dict[str, Any]) -> list[Any]:
        """Apply the custom range; a bad one shows the server's reason inline."""
        start = _s(form_data.get("from")).strip()
        end = _s(form_data.get("to")).strip()
        try:
            parse_window(CUSTOM, start, end)
        except AppError as exc:
            self._put("window_error", human_error(exc.message))
            return []
        self._put("window_error", "")
        if (self.an_window, self.an_from, self.an_to) == (CUSTOM, start, end):
            return []
        self.an_window, self.an_from, self.an_to = CUSTOM, start, end
        return self._start_view()

    @rx.event
    def cancel_custom(self) -> None:
        self._put("custom_open", False)
        self._put("window_error", "")

    @rx.event
    def set_crm_sort(self, value: str) -> list[Any]:
        if not one_of(value, CRM_SORT_KEYS) or value == self.crm_sort:
            return []
        self.crm_sort = value
        return self._start_view()

    @rx.event
    def set_crm_status(self, value: str) -> list[Any]:
        value = value if one_of(value, LEAD_STATUSES) else ""
        if value == self.crm_status:
            return []
        self.crm_status = value
        return self._start_view()

    @rx.event
    def retry(self) -> list[Any]:
        return self._start_view()

    # ------------------------------------------------------------------ session cache
    @rx.event
    def apply_cached(self, hits: Any) -> None:
        """The browser's cached payloads of the view (``{key: {ts, age, data}}`` or null).

        Shown only for the current view and only where no fresh answer has landed yet.
        Anything malformed is ignored (the fresh load follows anyway).
        """
        if not isinstance(hits, dict) or not hits or not self.shown_here:
            return
        keys = self._keys()
        ages: list[float] = []
        for part, key in keys.items():
            hit = hits.get(key)
            if part in self._fresh or not isinstance(hit, dict):
                continue
            data = hit.get("data")
            if not isinstance(data, dict) or data.get("clientId") != self.an_client:
                continue
            try:
                self._apply_part(part, data)
            except Exception:
                log.warning("ui.analytics_cache_unusable", part=part, exc_info=True)
                continue
            ages.append(as_number(hit.get("age")) or 0.0)
        if ages:
            self._put("from_cache", True)
            minutes = int(max(ages) // 60000)
            self._put("cache_age", "just now" if minutes < 1 else f"{minutes} min ago")

    def _apply_part(self, part: str, data: Mapping[str, Any]) -> None:
        """Show one payload (fresh or cached) of the current view."""
        if part == "core":
            values, hints = kpi_view(data.get("core") or {})
            self._put_all({"kpi_values": values, "kpi_hints": hints, "core_loaded": True})
        elif part == "breakdowns":
            self._put_all(breakdowns_view(data.get("breakdowns") or {}))
            self._put("breakdowns_loaded", True)
        else:
            self._put_all(tab_view(self.an_tab, data))
            self._put("tab_loaded", True)
        label = period_label(data)
        if label:
            self._put("period", label)
        self._put("freshness", freshness_note(data))

    def _apply_fresh(self, part: str, data: Mapping[str, Any]) -> None:
        self._apply_part(part, data)
        self._fresh = [*self._fresh, part]
        if all(p in self._fresh for p in cache_parts(self.an_tab, self.crm_sort, self.crm_status)):
            self._put("from_cache", False)
            self._put("cache_age", "")

    # ------------------------------------------------------------------ loads
    @rx.event(background=True)
    async def load_view(self) -> AsyncIterator[Any]:
        """Load the current view: the overview core then its breakdowns, or the active tab."""
        async with self:
            client, user, view, tab = self.an_client, self._user_id, self._view, self.an_tab
            if not client or not user or view != self._view_key():
                return
            request = next_request()
            self._load_request = request
            keys = self._keys()
            try:
                spec = self._spec()
            except AppError as exc:
                self._put("view_error", human_error(exc.message))
                return
            crm = (self.crm_sort, self.crm_status)
            self._put("view_loading", True)
            self._put("breakdowns_loading", tab == "overview")
        try:
            await asyncio.sleep(SETTLE_S)
            async with self:
                if request != self._load_request:
                    return  # superseded before it queried: the newer task owns the flags
            if tab == "overview":
                async for event in self._load_overview(request, view, user, client, spec, keys):
                    yield event
            else:
                part = cache_parts(tab, *crm)[0]
                data, error = await self._fetch(
                    lambda: (
                        read.screen_crm(user, client, spec, crm[0], crm[1], "")
                        if tab == "crm"
                        else read.screen_tab(user, client, tab, spec)
                    ),
                    client,
                    (VIEW_LOAD, request, user),
                )
                async with self:
                    if self._current(request, view, user):
                        if data is not None:
                            self._apply_fresh(part, data)
                        self._put("view_error", error)
                    # A valid payload is saved under its own key even when the view moved on;
                    # never after a sign-out (nor for the next user of this tab).
                    save = data is not None and self._user_id == user
                if save and data is not None:
                    yield rx.call_script(cache_put_script(user, keys[part], tab, data))
            if await self._wait_for_rollup(request, view, user):
                yield AnalyticsState.load_view
        finally:
            async with self:
                if request == self._load_request:
                    self._put("view_loading", False)
                    self._put("breakdowns_loading", False)

    async def _load_overview(
        self,
        request: int,
        view: str,
        user: str,
        client: str,
        spec: WindowSpec,
        keys: Mapping[str, str],
    ) -> AsyncIterator[Any]:
        """KPI cards as soon as ``core`` is in, then the charts (``breakdowns``)."""
        load = (VIEW_LOAD, request, user)
        core, error = await self._fetch(
            lambda: read.screen_overview(user, client, spec, "core"), client, load
        )
        async with self:
            if not self._current(request, view, user):
                return
            if core is not None:
                self._apply_fresh("core", core)
            self._put("view_error", error)
            self._put("view_loading", False)
        if core is not None:
            yield rx.call_script(cache_put_script(user, keys["core"], "overview", core))
        breakdowns, error = await self._fetch(
            lambda: read.screen_overview(user, client, spec, "breakdowns"), client, load
        )
        async with self:
            if not self._current(request, view, user):
                return
            if breakdowns is not None:
                self._apply_fresh("breakdowns", breakdowns)
            self._put("breakdowns_error", MSG_BREAKDOWNS_FAILED if error else "")
            self._put("breakdowns_loading", False)
        if breakdowns is not None:
            yield rx.call_script(cache_put_script(user, keys["breakdowns"], "overview", breakdowns))

    async def _wait_for_rollup(self, request: int, view: str, user: str) -> bool:
        """After a load that showed stale numbers: wait, then whether to load the view again
        (still the shown view, still stale, reloads left)."""
        async with self:
            if not (self._current(request, view, user) and self.freshness):
                return False
            if self._stale_reloads >= STALE_RELOADS:
                return False
            self._stale_reloads += 1
        await asyncio.sleep(STALE_RELOAD_S)
        async with self:
            return self._current(request, view, user) and bool(self.freshness)

    def _current(self, request: int, view: str, user: str) -> bool:
        """The load of ``request`` still owns the shown view (same user, workspace, tab, window)."""
        return (
            request == self._load_request
            and view == self._view == self._view_key()
            and user == self._user_id
        )

    @staticmethod
    async def _fetch(
        call: Any, client: str, load: tuple[str, int, str]
    ) -> tuple[dict[str, Any] | None, str]:
        """Run one blocking read in a thread: ``(payload, "")`` or ``(None, message)``;
        ``(None, "")`` when a newer load of the same ``(kind, request, user)`` superseded it
        while it waited (see :func:`~inboxapp.observability.load_slots.coalesced`)."""

        async def fetch() -> tuple[dict[str, Any] | None, str]:
            try:
                return await asyncio.to_thread(call), ""
            except AppError as exc:
                return None, human_error(exc.message)
            except Exception:
                log.exception("ui.analytics_failed", clientId=client)
                return None, MSG_LOAD_FAILED

        kind, request, user = load
        return await coalesced(kind, request, user, fetch, (None, ""))

    @rx.event(background=True)
    async def load_more_crm(self) -> None:
        """Append the next keyset page of the CRM table (not cached: only first pages are)."""
        async with self:
            client, user, view = self.an_client, self._user_id, self._view
            cursor = self.crm_next_cursor
            if self.an_tab != "crm" or not cursor or self.view_loading or self.crm_more_loading:
                return
            try:
                spec = self._spec()
            except AppError:
                return
            request = next_request()
            self._more_request = request
            sort, status = self.crm_sort, self.crm_status
            self._put("crm_more_loading", True)
            self._put("crm_error", "")
        try:
            data, error = await self._fetch(
                lambda: read.screen_crm(user, client, spec, sort, status, cursor),
                client,
                (MORE_LOAD, request, user),
            )
            async with self:
                same = view == self._view == self._view_key() and user == self._user_id
                if request == self._more_request and same and cursor == self.crm_next_cursor:
                    if data is not None:
                        self._put("crm_rows", [*self.crm_rows, *crm_view(data)])
                        self._put("crm_next_cursor", _s(data.get("nextCursor")))
                    self._put("crm_error", MSG_MORE_FAILED if error else "")
        finally:
            async with self:
                if request == self._more_request:
                    self._put("crm_more_loading", False)

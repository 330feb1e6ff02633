"""The inbox screen's state: filter tabs with counts and the conversation list (keyset pages).
The open conversation and its actions (:mod:`inboxapp.state.conversation`) and the live-update
engine (:mod:`inboxapp.state.inbox_live`) are Reflex state mixins of the same
:class:`InboxState`; what it shows is built by :mod:`inboxapp.inbox.view`.

Discipline (the Python form of "no render loops"):

* Only primitive vars reach the browser (str/int/bool, ``dict[str, int]`` counts and lists of
  ``dict[str, str]`` rows formatted by the view module); every write goes through a guarded
  setter (a no-op when the value is unchanged); nothing is written while rendering.
* Every load is a background task that takes a new request number and captures
  ``(workspace, generation)`` under the state lock. ``_gen`` moves whenever the workspace or the
  list filters change. A result is applied only if its request is still the latest of its
  kind AND the workspace and generation are unchanged; otherwise it is dropped.
* Loading flags are set by the task itself (so a flag is never set for a task that does not
  run) and cleared in ``finally`` by the latest task of its kind: a superseded task leaves the
  flag to the newer one, which always reaches its own ``finally``.
* Reads go through :mod:`inboxapp.inbox.read` (``screen_*``), which decides the
  ``INBOX_READ_API_V1`` flag per request; writes through :mod:`inboxapp.inbox.actions`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

import reflex as rx

from inboxapp.domain import roles
from inboxapp.domain.categories import COUNT_KEYS
from inboxapp.domain.roles import Capability, Role
from inboxapp.domain.vocabulary import CHANNELS, SCORE_FILTERS, SENTIMENT_TAGS
from inboxapp.errors import AppError
from inboxapp.inbox import members, read
from inboxapp.inbox.params import MAX_QUERY_CHARS
from inboxapp.inbox.view import (
    DEFAULT_TAB,
    EMPTY_COPY,
    EMPTY_FILTERED,
    MSG_BAD_LINK,
    MSG_COUNTS_FAILED,
    MSG_LIST_FAILED,
    MSG_SEARCH_HINT,
    ORDER_VALUES,
    TAB_FILTERS,
    human_error,
    list_query,
    page_title,
    row_view,
)
from inboxapp.labels import zone
from inboxapp.logs import get_logger
from inboxapp.observability.load_slots import coalesced
from inboxapp.state.base import is_uuid, next_request, one_of, workspace_role
from inboxapp.state.browser import KEYBOARD_SCRIPT, TIMEZONE_SCRIPT, view_url_script
from inboxapp.state.bulk import BulkState
from inboxapp.state.conversation import ConversationState
from inboxapp.state.draft_review import DraftReviewState
from inboxapp.state.inbox_live import InboxLiveState
from inboxapp.state.undo import UndoState
from inboxapp.state.workspace import WorkspaceState

log = get_logger("inboxapp.ui")

# A stale materialized counts row is asked for again this often, this many times.
COUNTS_STALE_DELAY_S = 1.5
COUNTS_STALE_RETRIES = 4


async def read_page(
    user_id: str, client_id: str, raw: dict[str, Any], failure_event: str
) -> tuple[dict[str, Any] | None, str]:
    """A list page off the event loop: ``(page, "")``, or ``(None, message for the user)``
    (an unexpected failure is logged as ``failure_event``)."""
    try:
        return await asyncio.to_thread(read.screen_page, user_id, client_id, raw), ""
    except AppError as exc:
        return None, human_error(exc.message)
    except Exception:
        log.exception(failure_event, clientId=client_id)
        return None, MSG_LIST_FAILED


def fetch_lookups(
    user_id: str, client_id: str, with_setters: bool
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The workspace's setters (only ``with_setters``) and campaigns."""
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    setters = members.workspace_setters(uid, cid) if with_setters else []
    return setters, members.workspace_campaigns(uid, cid)


class InboxState(
    ConversationState, DraftReviewState, UndoState, BulkState, InboxLiveState, WorkspaceState
):
    """Tabs, list, conversation and actions of the active workspace's inbox."""

    # The workspace whose data the inbox vars hold ("" = none yet). Rows and counts are shown
    # only while it equals ``active_id``, so a switch never shows another workspace's data.
    inbox_client: str = ""
    role: str = ""

    # Filters.
    tab: str = DEFAULT_TAB
    search_query: str = ""
    search_hint: str = ""
    url_notice: str = ""
    """The link's view had parameters that could not be used (they were ignored)."""
    channel_filter: str = ""
    sentiment_filter: list[str] = []
    campaign_filter: str = ""
    score_filter: str = ""
    assignee_filter: str = ""
    """Managers' assignee views: "", ``me``, ``none`` or a setter's id."""
    snoozed_only: bool = False
    list_order: str = ""
    """"" (newest activity first) or "oldest" (who has waited longest first); not a filter."""
    """The Snoozed view (snoozed leads are hidden everywhere else)."""

    # Counts.
    counts: dict[str, int] = {key: 0 for key in COUNT_KEYS}
    counts_loaded: bool = False
    counts_loading: bool = False
    counts_error: str = ""

    # List.
    rows: list[dict[str, str]] = []
    next_cursor: str = ""
    list_loaded: bool = False
    list_loading: bool = False
    more_loading: bool = False
    list_error: str = ""

    # Lookups (the setters of the assign dropdown are the conversation's).
    campaigns: list[dict[str, str]] = []

    _gen: int = 0
    _list_request: int = 0
    _counts_request: int = 0
    _lookups_request: int = 0
    _inbox_user: str = ""
    _tz: str = ""

    def _bump(self) -> None:
        """The list's inputs changed: in-flight list results become stale."""
        self._gen += 1
        self._clear_checked()
        self._put("rows", [])
        self._put("next_cursor", "")
        self._put("list_loaded", False)
        self._put("list_error", "")

    def _relist(self) -> list[Any]:
        """The view changed: reload the list and put the view in the address bar."""
        self._bump()
        self._put("list_loading", True)  # shown as loading from this very delta on
        return [InboxState.load_list,
                rx.call_script(view_url_script(self.inbox_client, self._view_query()))]  # fmt: skip

    def _view_query(self) -> dict[str, str]:
        return {
            "filter": self.tab if self.tab != DEFAULT_TAB else "",
            "q": self.search_query,
            "channel": self.channel_filter,
            "sentiment": ",".join(self.sentiment_filter),
            "campaign": self.campaign_filter,
            "score": self.score_filter,
            "assignee": self.assignee_filter,
            "snoozed": "1" if self.snoozed_only else "",
            "order": self.list_order,
        }

    def _apply_view_query(self, query: Mapping[str, str]) -> bool:
        """Take the view from the address bar (a shared or reloaded link); False when some
        parameter was not usable (it is ignored, and the tab says so)."""
        ok = True
        tab = query.get("filter", "")
        if tab:
            ok &= one_of(tab, TAB_FILTERS)
            self.tab = tab if one_of(tab, TAB_FILTERS) else self.tab
        text = " ".join(str(query.get("q", "")).split())[:MAX_QUERY_CHARS]
        self._put("search_query", text if len(text) >= 3 else "")
        ok &= not text or len(text) >= 3
        for name, allowed, attr in (("channel", CHANNELS, "channel_filter"),
                                    ("score", SCORE_FILTERS, "score_filter")):  # fmt: skip
            value = query.get(name, "")
            ok &= not value or one_of(value, allowed)
            setattr(self, attr, value if one_of(value, allowed) else "")
        tags = [t for t in query.get("sentiment", "").split(",") if t]
        ok &= all(one_of(t, SENTIMENT_TAGS) for t in tags)
        self.sentiment_filter = [t for t in SENTIMENT_TAGS if t in tags]
        campaign = query.get("campaign", "")
        ok &= not campaign or is_uuid(campaign)
        self._put("campaign_filter", campaign if is_uuid(campaign) else "")
        who = query.get("assignee", "")
        usable = who in ("me", "none") or is_uuid(who)
        ok &= not who or usable
        self._put("assignee_filter", who if usable else "")
        snoozed = query.get("snoozed", "")
        ok &= snoozed in ("", "1")
        self._put("snoozed_only", snoozed == "1")
        order = query.get("order", "")
        ok &= order in ORDER_VALUES
        self._put("list_order", order if order in ORDER_VALUES else "")
        return bool(ok)

    def _reset_workspace(self, client_id: str, user_id: str) -> None:
        """A new workspace (or user): forget everything once, keep the tab and view filters."""
        self._bump()
        self.inbox_client = client_id
        self._inbox_user = user_id
        self._put("counts", {key: 0 for key in COUNT_KEYS})
        self._put("counts_loaded", False)
        self._put("counts_error", "")
        self._put("search_query", "")
        self._put("search_hint", "")
        self._put("campaign_filter", "")
        self._put("assignee_filter", "")
        self._put("setters", [])
        self._put("campaigns", [])
        self._put("selected_id", "")
        self._put("busy", "")
        self._clear_conversation()

    # ------------------------------------------------------------------ computed
    @rx.var
    def is_setter(self) -> bool:
        return self.role == Role.SETTER

    @rx.var
    def filters_active(self) -> bool:
        return bool(
            self.search_query
            or self.channel_filter
            or self.sentiment_filter
            or self.campaign_filter
            or self.score_filter
            or self.assignee_filter
            or self.snoozed_only
        )

    @rx.var
    def page_title(self) -> str:
        shown = self.counts_loaded and self.inbox_client == self.active_id
        return page_title(self.counts.get("unread", 0) if shown else 0)

    @rx.var
    def sentiment_summary(self) -> str:
        chosen = self.sentiment_filter
        if not chosen:
            return "Sentiment"
        return chosen[0] if len(chosen) == 1 else f"{len(chosen)} sentiments"

    @rx.var
    def empty_title(self) -> str:
        if self.filters_active:
            return EMPTY_FILTERED[0]
        return EMPTY_COPY.get(self.tab, EMPTY_COPY["total"])[0]

    @rx.var
    def empty_body(self) -> str:
        if self.filters_active:
            return EMPTY_FILTERED[1]
        return EMPTY_COPY.get(self.tab, EMPTY_COPY["total"])[1]

    @rx.var
    def loading_any(self) -> bool:
        """A list or counts load is in flight (drives the ``loading-spinner``)."""
        return self.list_loading or self.counts_loading or self.more_loading

    @rx.var
    def has_more(self) -> bool:
        return self.next_cursor != ""

    # ------------------------------------------------------------------ page lifecycle
    @rx.event
    def workspace_ready(self) -> list[Any]:
        """The workspace page settled on ``active_id``: (re)load what the inbox shows."""
        client, user = self.active_id, self._user_id
        if not client or not user:
            return []
        self._put("role", workspace_role(self.workspaces, client))
        wanted = self.router.url.query_parameters.get("leadId", "")
        wanted = wanted if is_uuid(wanted) else ""
        events: list[Any] = [rx.call_script(KEYBOARD_SCRIPT)]
        if not self._tz:
            events.append(rx.call_script(TIMEZONE_SCRIPT, callback=InboxState.set_timezone))
        query = self.router.url.query_parameters
        if client != self.inbox_client or user != self._inbox_user:
            self._reset_workspace(client, user)
        view_ok = self._apply_view_query(query)
        self._put("url_notice", "" if view_ok else MSG_BAD_LINK)
        events.append(rx.set_value("inbox-search", self.search_query))
        events.append(rx.call_script(view_url_script(client, self._view_query())))
        if wanted and wanted != self.selected_id:
            self._put("selected_id", wanted)
            self._clear_conversation()
        events += [InboxState.load_counts, InboxState.load_list, InboxState.load_lookups]
        if self.selected_id:
            events.append(InboxState.load_conversation)
        # Every settled load (first load, reconnect, workspace switch) starts the tab's
        # listener; it supersedes the tab's previous one (see ``live_updates``).
        events.append(InboxState.live_updates)
        return events

    @rx.event
    def set_timezone(self, name: str) -> None:
        if isinstance(name, str) and zone(name) is not UTC:
            self._tz = name
        elif not self._tz:
            self._tz = "UTC"

    # ------------------------------------------------------------------ filters
    @rx.event
    def select_tab(self, key: str) -> Any:
        if not one_of(key, TAB_FILTERS) or key == self.tab:
            return None
        self.tab = key
        return self._relist()

    @rx.event
    def set_search(self, value: str) -> Any:
        text = " ".join(str(value or "").split())
        self._put("search_hint", MSG_SEARCH_HINT if 0 < len(text) < 3 else "")
        applied = text if len(text) >= 3 else ""
        if applied == self.search_query:
            return None
        self.search_query = applied
        return self._relist()

    @rx.event
    def set_channel_filter(self, value: str) -> Any:
        value = value if one_of(value, CHANNELS) else ""
        if value == self.channel_filter:
            return None
        self.channel_filter = value
        return self._relist()

    @rx.event
    def set_score_filter(self, value: str) -> Any:
        value = value if one_of(value, SCORE_FILTERS) else ""
        if value == self.score_filter:
            return None
        self.score_filter = value
        return self._relist()

    @rx.event
    def set_campaign_filter(self, value: str) -> Any:
        known = any(c["id"] == value for c in self.campaigns)
        value = value if known else ""
        if value == self.campaign_filter:
            return None
        self.campaign_filter = value
        return self._relist()

    @rx.event
    def toggle_sentiment(self, tag: str, checked: bool) -> Any:
        if not one_of(tag, SENTIMENT_TAGS):
            return None
        chosen = [t for t in self.sentiment_filter if t != tag]
        if checked:
            chosen.append(tag)
        chosen = [t for t in SENTIMENT_TAGS if t in chosen]  # stable order
        if chosen == self.sentiment_filter:
            return None
        self.sentiment_filter = chosen
        return self._relist()

    @rx.event
    def set_assignee_filter(self, value: str) -> Any:
        allowed = value in ("me", "none") or any(s.get("id") == value for s in self.setters)
        value = value if isinstance(value, str) and allowed else ""
        if value == self.assignee_filter:
            return None
        self.assignee_filter = value
        return self._relist()

    @rx.event
    def set_snoozed_only(self, checked: bool) -> Any:
        value = checked is True
        if value == self.snoozed_only:
            return None
        self.snoozed_only = value
        return self._relist()

    @rx.event
    def set_list_order(self, value: str) -> Any:
        value = value if one_of(value, ORDER_VALUES) else ""
        if value == self.list_order:
            return None
        self.list_order = value
        return self._relist()

    @rx.event
    def clear_filters(self) -> list[Any]:
        events: list[Any] = [rx.set_value("inbox-search", "")]
        self._put("search_hint", "")
        if not self.filters_active:
            return events
        self.search_query = ""
        self.channel_filter = ""
        self.sentiment_filter = []
        self.campaign_filter = ""
        self.score_filter = ""
        self.assignee_filter = ""
        self.snoozed_only = False
        return [*events, *self._relist()]

    @rx.event
    def dismiss_url_notice(self) -> None:
        self._put("url_notice", "")

    @rx.event
    def retry(self) -> list[Any]:
        events: list[Any] = []
        if self.list_error or not self.list_loaded:
            events.append(InboxState.load_list)
        if self.counts_error or not self.counts_loaded:
            events.append(InboxState.load_counts)
        return events

    # ------------------------------------------------------------------ loads
    @rx.event(background=True)
    async def load_counts(self) -> None:
        """The counts of the shown workspace. A stale materialized row (its recompute is
        queued) is shown at once and asked for again a few times, quietly, until fresh."""
        async with self:
            client, user = self.inbox_client, self._user_id
            if not client or not user:
                return
            request = next_request()
            self._counts_request = request
            self._put("counts_loading", True)
        stale = await self._counts_round(request, client, user, first=True)
        for _ in range(COUNTS_STALE_RETRIES):
            if not stale:
                return
            await asyncio.sleep(COUNTS_STALE_DELAY_S)
            async with self:
                if request != self._counts_request or client != self.inbox_client:
                    return
            stale = await self._counts_round(request, client, user, first=False)

    async def _counts_round(self, request: int, client: str, user: str, *, first: bool) -> bool:
        """One counts fetch; applied only if still the latest for this workspace."""
        counts: dict[str, int] | None = None
        stale = False
        error = ""
        try:
            fetch = partial(asyncio.to_thread, read.screen_counts, user, client)
            counts, stale = await coalesced("inbox.counts", request, user, fetch, (None, False))
        except AppError as exc:
            error = human_error(exc.message)
        except Exception:
            log.exception("ui.counts_failed", clientId=client)
            error = MSG_COUNTS_FAILED
        finally:
            async with self:
                if request == self._counts_request:
                    if client == self.inbox_client:
                        if counts is not None:
                            self._put("counts", counts)
                            self._put("counts_loaded", True)
                        if first or counts is not None:
                            self._put("counts_error", error)
                    self._put("counts_loading", False)
        return stale and counts is not None

    def _list_raw(self, cursor: str | None) -> dict[str, Any]:
        return list_query(
            self.tab,
            cursor=cursor,
            q=self.search_query,
            channel=self.channel_filter,
            sentiments=self.sentiment_filter,
            campaign_id=self.campaign_filter,
            score=self.score_filter,
            assignee=self.assignee_filter,
            snoozed=self.snoozed_only,
            order=self.list_order,
        )

    def _formatted(self, items: list[dict[str, Any]]) -> list[dict[str, str]]:
        now, tz = datetime.now(UTC), zone(self._tz)
        return [row_view(item, now, tz) for item in items]

    @rx.event(background=True)
    async def load_list(self) -> None:
        """The first page of the list for the current workspace, tab and filters."""
        async with self:
            client, user, gen = self.inbox_client, self._user_id, self._gen
            if not client or not user:
                self._put("list_loading", False)
                return
            request = next_request()
            self._list_request = request
            raw = self._list_raw(None)
            self._put("list_loading", True)
        page: dict[str, Any] | None = None
        error = ""
        try:
            fetch = partial(read_page, user, client, raw, "ui.list_failed")
            page, error = await coalesced("inbox.list", request, user, fetch, (None, ""))
        finally:
            async with self:
                if request == self._list_request:
                    if client == self.inbox_client and gen == self._gen:
                        if page is not None:
                            self._put("rows", self._formatted(page.get("items") or []))
                            self._put("next_cursor", page.get("nextCursor") or "")
                            self._put("list_loaded", True)
                        self._put("list_error", error)
                    self._put("list_loading", False)
                    self._put("more_loading", False)

    @rx.event(background=True)
    async def load_more(self) -> None:
        """Append the next keyset page (``nextCursor``) to the list."""
        async with self:
            client, user, gen = self.inbox_client, self._user_id, self._gen
            cursor = self.next_cursor
            if not client or not user or not cursor or self.list_loading or self.more_loading:
                return
            request = next_request()
            self._list_request = request
            raw = self._list_raw(cursor)
            self._put("more_loading", True)
        page: dict[str, Any] | None = None
        error = ""
        try:
            fetch = partial(read_page, user, client, raw, "ui.list_more_failed")
            page, error = await coalesced("inbox.list", request, user, fetch, (None, ""))
        finally:
            async with self:
                if request == self._list_request:
                    same = client == self.inbox_client and gen == self._gen
                    if same and cursor == self.next_cursor:
                        if page is not None:
                            more = self._formatted(page.get("items") or [])
                            self._put("rows", [*self.rows, *more])
                            self._put("next_cursor", page.get("nextCursor") or "")
                        self._put("list_error", error)
                    self._put("list_loading", False)
                    self._put("more_loading", False)

    @rx.event(background=True)
    async def load_lookups(self) -> None:
        """The workspace's setters (assign dropdown, managers only) and campaigns (filter)."""
        async with self:
            client, user = self.inbox_client, self._user_id
            if not client or not user:
                return
            request = next_request()
            self._lookups_request = request
            with_setters = roles.can(self.role, Capability.MANAGE)
        result: tuple[list[dict[str, str]], list[dict[str, str]]] | None = None
        try:
            fetch = partial(asyncio.to_thread, fetch_lookups, user, client, with_setters)
            result = await coalesced("inbox.lookups", request, user, fetch, None)
        except Exception:
            # Not fatal: the assign dropdown and the campaign filter stay empty.
            log.exception("ui.lookups_failed", clientId=client)
        finally:
            async with self:
                if request == self._lookups_request and client == self.inbox_client and result:
                    self._put("setters", result[0])
                    self._put("campaigns", result[1])

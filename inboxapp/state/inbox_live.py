"""The inbox's live-update engine: one realtime listener per browser tab.

:class:`InboxLiveState` is a Reflex state mixin of :class:`~inboxapp.state.inbox.InboxState`
(the listener applies counts, the first page of the list and the open conversation under ONE
lock of that state). What needs no Reflex lives in :mod:`inboxapp.state.live` (tab ownership,
shared re-reads, debounce, pacing, token rotation, counters); reads go through
:mod:`inboxapp.inbox.read` (``screen_*``), like every other load of the screen.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import reflex as rx

from inboxapp.auth.tokens import AuthError
from inboxapp.config import live_settings
from inboxapp.errors import AppError
from inboxapp.inbox import read
from inboxapp.inbox.view import PAGE_SIZE, format_rows
from inboxapp.logs import get_logger
from inboxapp.realtime import Subscription, SubscriptionClosed, process_hub, subscribe
from inboxapp.state import live
from inboxapp.state.auth import HOME_ROUTE, AuthState
from inboxapp.state.base import ScreenPart, next_request
from inboxapp.state.guard import require_live

log = get_logger("inboxapp.ui")


class InboxLiveState(ScreenPart, rx.State, mixin=True):
    """The tab's realtime listener and what it shows (mixed into ``InboxState``)."""

    live_status: str = ""
    """"", "connecting", "live", "reconnecting" or "offline" (the live indicator)."""

    _live_id: str = ""
    """The tab's current live listener (a newer one takes over; an older one then leaves)."""

    if TYPE_CHECKING:  # provided by InboxState (and its bases), which this mixin is part of
        inbox_client: str
        active_id: str
        selected_id: str
        rows: list[dict[str, str]]
        more_loading: bool
        access_token: str
        refresh_token: str
        _gen: int
        _tz: str
        _user_id: str
        _session_id: str
        _counts_request: int
        _list_request: int
        _conversation_request: int

        def _list_raw(self, cursor: str | None) -> dict[str, Any]: ...
        def _apply_conversation(self, data: Mapping[str, Any]) -> None: ...
        def _store_pair(self, pair: Any) -> None: ...

    def _live_view(self) -> live.View:
        return live.View(
            client_id=self.inbox_client,
            user_id=self._user_id,
            gen=self._gen,
            list_params=self._list_raw(None),
            selected=self.selected_id,
            tz=self._tz,
            session_id=self._session_id,
        )

    def _live_check(self, run: live.Run) -> str:
        """Under the lock: why ``run`` may no longer touch this tab ("" while it may)."""
        view = run.view
        if self._live_id != run.listener:
            return "superseded"
        if (
            self.inbox_client != view.client_id
            or self.active_id != view.client_id
            or self._user_id != view.user_id
        ):
            return "workspace_changed"
        if (self.router.url.path.rstrip("/") or "/") != HOME_ROUTE:
            return "left_page"
        return ""

    @rx.event(background=True)
    async def live_updates(self) -> AsyncIterator[Any]:
        """The tab's realtime listener: at most one per tab, for the shown workspace.

        Single-listener guard (``on_load`` re-runs on every reconnect and workspace switch,
        and each settled load starts a listener):

        1. ``_live_id`` (state): each start writes a new id under the lock; an older listener
           finds another id at its next ``async with self`` and leaves without applying.
        2. :func:`live.claim` (process): the newest listener owns the tab; it subscribes with
           ``key=tab``, which closes the previous subscription of the tab in the hub at once
           (its ``next_event`` raises ``SubscriptionClosed("superseded")``). A superseded
           listener that still owns the tab (an older one re-registered late) resubscribes.
        3. Reflex cancels the unfinished page-load chain (this task belongs to it) on
           navigation, reconnect and disconnect; the listener also ends when the tab is no
           longer connected to this process (checked every ``LiveSettings.tab_check_s``),
           when the workspace, the user or the page changed, or when the session is gone.

        Per signal: debounce (``LiveSettings.debounce_s``), drain, ONE shared re-read per
        (workspace, scope, list parameters, version) in this process, then ONE
        ``async with self`` that applies it. A heartbeat (60 s +- 10 %) refetches without a
        signal. Errors show "reconnecting" and retry with backoff (1-30 s).
        """
        async with self:
            tab = self.router.session.client_token
            if not self.inbox_client or not self._user_id or not tab or not self.access_token:
                return
            run = live.Run(live.new_listener_id(), tab, self._live_view(), self.access_token)
            self._live_id = run.listener
            if self.live_status in ("", live.STATUS_OFFLINE):
                self._put("live_status", live.STATUS_CONNECTING)
        live.claim(run.tab, run.listener)
        log.info("ui.live_started", clientId=run.view.client_id)
        attempt = 0
        auth_failures = 0
        resync = False
        try:
            while not run.reason:
                if not live.owns(run.tab, run.listener):
                    run.reason = "superseded"
                    break
                try:
                    async with subscribe(
                        run.view.client_id,
                        run.token,
                        key=run.tab,
                        refresh=partial(self._live_token, run),
                    ) as sub:
                        if not live.owns(run.tab, run.listener):
                            run.reason = "superseded"  # a newer listener claimed the tab
                            break
                        attempt = auth_failures = 0
                        async for events in self._live_listen(run, sub, resync=resync):
                            yield events
                        resync = True  # a later subscription may have missed changes
                except AuthError:
                    # Expired or signed out: take the tab's current session (rotated if needed)
                    # and subscribe again, or stop.
                    auth_failures += 1
                    resync = True
                    try:
                        if auth_failures > 2:
                            raise
                        await self._live_token(run)
                    except AuthError:
                        run.reason = "signed_out"
                except AppError as exc:  # not a member (any more), bad workspace id
                    log.info("ui.live_refused", clientId=run.view.client_id, code=exc.code)
                    run.reason = "refused"
                except Exception:
                    attempt += 1
                    resync = True
                    delay = live.backoff_delay(attempt)
                    log.warning(
                        "ui.live_retry",
                        clientId=run.view.client_id,
                        attempt=attempt,
                        retryInS=round(delay, 1),
                        exc_info=True,
                    )
                    async with self:
                        run.reason = self._live_check(run)
                        if not run.reason:
                            self._put("live_status", live.STATUS_RECONNECTING)
                    if not run.reason:
                        await asyncio.sleep(delay)
                        if not live.tab_connected(run.tab):
                            run.reason = "tab_gone"
            if run.reason in ("signed_out", "refused"):
                async with self:
                    if self._live_id == run.listener:
                        self._put("live_status", live.STATUS_OFFLINE)
        except asyncio.CancelledError:
            run.reason = run.reason or "cancelled"  # Reflex ended the page-load chain
            raise
        finally:
            live.release(run.tab, run.listener)
            log.info(
                "ui.live_stopped",
                clientId=run.view.client_id,
                reason=run.reason or "crashed",
                refreshes=run.refreshes,
            )

    async def _live_listen(
        self, run: live.Run, sub: Subscription, *, resync: bool
    ) -> AsyncIterator[list[Any]]:
        """Wait for signals on ``sub`` and refresh; returns when the subscription must be
        renewed (``run.reason`` empty) or the listener stops (``run.reason`` set)."""
        clock = live.clock
        heartbeat_at = clock() + live.heartbeat_delay()
        last_refresh = 0.0
        # The first pass shows the status; after a reconnect it also re-reads everything.
        signal: live.Signal | None = live.Signal(clock(), ops={"RESYNC"}) if resync else None
        pending_first = True
        while not run.reason:
            if not pending_first:
                signal = None
                wait = max(0.0, min(heartbeat_at - clock(), live_settings().tab_check_s))
                try:
                    event = await sub.next_event(timeout=wait)
                    if event is None:
                        if not live.tab_connected(run.tab):
                            run.reason = "tab_gone"
                            return
                        if clock() >= heartbeat_at:
                            signal = live.Signal(clock(), heartbeat=True)
                        elif sub.live == (run.shown == live.STATUS_LIVE):
                            continue  # nothing to show; otherwise the feed dropped or came back
                    else:
                        signal = live.Signal(clock())
                        signal.add(event.op, event.lead_ids, event.version)
                        delay = live.debounce_wait(signal.first_at, last_refresh, clock())
                        if delay > 0:
                            await asyncio.sleep(delay)
                        while sub.pending:
                            more = await sub.next_event(0)
                            if more is not None:
                                signal.add(more.op, more.lead_ids, more.version)
                except SubscriptionClosed as exc:
                    if exc.reason == "superseded" and live.owns(run.tab, run.listener):
                        return  # an older listener of this tab registered late: take it back
                    run.reason = exc.reason
                    return
            pending_first = False
            if signal is not None:
                heartbeat_at = clock() + live.heartbeat_delay()
            events = await self._live_refresh(run, sub, signal)
            if signal is not None:
                last_refresh = clock()
            if events:
                yield events

    async def _live_refresh(
        self, run: live.Run, sub: Subscription, signal: live.Signal | None
    ) -> list[Any]:
        """Re-read what ``signal`` invalidated (shared per process), then apply it to this tab
        in ONE ``async with self``. ``signal`` None: only show the live/reconnecting status."""
        view = run.view
        counts: tuple[dict[str, int], bool] | None = None
        page: dict[str, Any] | None = None
        rows: list[dict[str, str]] | None = None
        conversation: dict[str, Any] | None = None
        try:  # every refresh, heartbeat included, is for a live session only
            await require_live(view.user_id, view.session_id)
        except AuthError as exc:
            if exc.status != 503:
                run.reason = "signed_out"
                return [AuthState.check_session]  # the guard signs the tab out
            signal = None  # cannot tell now: show the status, read nothing
        if signal is not None:
            hub = process_hub()
            shared = live.sharing_enabled()
            version: Any = signal.version
            if signal.heartbeat or signal.version == 0:
                version = ("now", hub.version(uuid.UUID(view.client_id)), signal.first_at // 2)
            base = (view.client_id, sub.scope, version)
            list_key = ("list", *base, view.list_key)
            # Many tabs on this workspace: count exactly now rather than show the stale
            # materialized row and update every tab again when its recompute lands.
            exact = (
                hub.subscriber_count(uuid.UUID(view.client_id)) >= live_settings().exact_counts_tabs
            )
            wanted: dict[str, tuple[Any, Callable[[], Any]]] = {
                "counts": (
                    ("counts", *base, exact),
                    partial(
                        read.screen_fresh_counts if exact else read.screen_counts,
                        view.user_id,
                        view.client_id,
                    ),
                )
            }
            if signal.reads == live.READ_ALL:
                wanted["list"] = (
                    list_key,
                    partial(read.screen_page, view.user_id, view.client_id, dict(view.list_params)),
                )
            if view.selected and (signal.resync or view.selected in signal.lead_ids):
                wanted["conversation"] = (
                    ("conversation", *base, view.selected),
                    partial(read.screen_conversation, view.user_id, view.client_id, view.selected),
                )
            done: dict[str, Any] = {}
            missing: dict[str, asyncio.Future[Any]] = {}
            for name, (key, compute) in wanted.items():
                found, value = live.shared_now(hub, key) if shared else (False, None)
                if found:
                    done[name] = value  # another tab of this scope read it: no wait at all
                else:  # start (or join) every read first, then wait for them one by one
                    missing[name] = live.shared_future(hub, key, compute, shared=shared)
            if missing:
                read_started = live.clock()
                for name, future in missing.items():
                    try:
                        done[name] = await asyncio.shield(future)
                    except Exception as exc:
                        done[name] = exc
                live.STATS["read_ms"] += round((live.clock() - read_started) * 1000)
            for result in done.values():
                if isinstance(result, Exception) and not isinstance(result, AppError):
                    log.warning("ui.live_read_failed", clientId=view.client_id, exc_info=result)
                elif isinstance(result, BaseException) and not isinstance(result, Exception):
                    raise result  # cancelled
            ok = {k: v for k, v in done.items() if not isinstance(v, BaseException)}
            counts = ok.get("counts")
            page = ok.get("list")
            conversation = ok.get("conversation")
            if page is not None:
                rows = live.formatted_rows(list_key, view.tz, page, format_rows)
            if (
                counts is not None
                and counts[0] == run.shown_counts
                and (signal.reads != live.READ_ALL or (rows is not None and rows == run.shown_rows))
                and "conversation" not in wanted
                and run.shown == (live.STATUS_LIVE if sub.live else live.STATUS_RECONNECTING)
            ):
                live.STATS["unchanged"] += 1
                return []  # this tab already shows exactly that: no lock, no delta
        waited = live.clock()
        async with live.apply_slot(), self:
            entered = live.clock()
            # The state itself, not the background task's proxy: every attribute access through
            # the proxy costs a wrapper (hundreds of tabs apply each change). Same lock, same
            # dirty tracking; the delta goes out when the block exits.
            state: InboxLiveState = getattr(self, "__wrapped__", self)
            events = state._live_apply(run, sub, signal, counts, page, rows, conversation)
        live.STATS["apply_wait_us"] += round((entered - waited) * 1e6)
        live.STATS["apply_us"] += round((live.clock() - entered) * 1e6)
        live.STATS["applies"] += 1
        if signal is not None:
            live.STATS["signal_to_applied_ms"] += round((live.clock() - signal.first_at) * 1000)
        return events

    def _live_apply(
        self,
        run: live.Run,
        sub: Subscription,
        signal: live.Signal | None,
        counts: tuple[dict[str, int], bool] | None,
        page: dict[str, Any] | None,
        rows: list[dict[str, str]] | None,
        conversation: dict[str, Any] | None,
    ) -> list[Any]:
        """Under the lock: apply one refresh if ``run`` still owns the tab; returns fallback
        events (per-tab loads) for whatever the shared reads could not serve."""
        run.reason = self._live_check(run)
        if run.reason:
            live.STATS["dropped"] += 1
            return []
        run.shown = live.STATUS_LIVE if sub.live else live.STATUS_RECONNECTING
        self._put("live_status", run.shown)
        if signal is None:
            live.STATS["status"] += 1
            run.view = self._live_view()
            return []
        run.refreshes += 1
        live.STATS["refreshes"] += 1
        events: list[Any] = []
        # Counts: this result is at least as fresh as any load in flight, which is dropped.
        if counts is not None:
            self._counts_request = next_request()
            self._put("counts", counts[0])
            self._put("counts_loaded", True)
            self._put("counts_error", "")
            self._put("counts_loading", False)
            run.shown_counts = counts[0]
        else:
            events.append(self._events().load_counts)
        now = self._live_view()
        if signal.reads == live.READ_ALL:
            same = now.gen == run.view.gen and now.list_key == run.view.list_key
            if page is not None and rows is not None and same and not self.more_loading:
                more_shown = len(self.rows) > PAGE_SIZE
                self._list_request = next_request()
                self._put("rows", live.merge_first_page(self.rows, rows, PAGE_SIZE))
                if not more_shown:
                    self._put("next_cursor", page.get("nextCursor") or "")
                self._put("list_loaded", True)
                self._put("list_error", "")
                self._put("list_loading", False)
                run.shown_rows = rows
            elif not self.more_loading:
                events.append(self._events().load_list)  # other filters by now, or the read failed
        selected = self.selected_id
        if selected and (signal.resync or selected in signal.lead_ids):
            if conversation is not None and selected == run.view.selected:
                self._conversation_request = next_request()
                self._apply_conversation(conversation)
                self._put("conversation_error", "")
                self._put("conversation_loading", False)
            else:
                events.append(self._events().load_conversation)
        run.view = now
        live.STATS["fallbacks"] += len(events)
        return events

    async def _live_token(self, run: live.Run) -> str:
        """A valid access token for the subscription (also its ``refresh=`` callback).

        The tab's own current token when it is newer (another tab or a page load rotated the
        session; localStorage sync brought it here), else the session rotated once per process
        (:func:`live.rotate_once`). Raises ``AuthError`` when the session is gone.
        """
        async with self:
            if self._live_id != run.listener:
                raise AuthError("INVALID_TOKEN", "This listener was superseded")
            access, refresh = self.access_token, self.refresh_token
            expiry = live.token_expiry(access)
            if access != run.token and expiry > live.wall() + live.REFRESH_MARGIN_S:
                run.token = access
                return access
            # Under the tab's lock: the tab's own page loads cannot rotate concurrently.
            pair = await live.rotate_once(refresh)
            if self.refresh_token == refresh:
                self._store_pair(pair)
            run.token = pair.access_token
            return pair.access_token

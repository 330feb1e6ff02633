"""The analytics read path (HTTP API and Reflex UI alike): access check and the workspace's
time zone on every call (never cached), then a Redis read-through cache (TTL 120 s,
single-flight) keyed by workspace + version + user + role + kind + window + parts/filters. A
cached entry is served only when it still matches its payload model (``analytics/payloads.py``).

The ``analytics`` version is bumped by every committed workspace write
(:func:`inboxapp.inbox.hooks.workspace_changed`) and by every rollup run, so a payload never
outlives the data it was computed from. When the window has dirty (not yet rolled up) days the
payload says ``freshness.stale`` and a (de-duplicated) rollup job is queued.

UI usage (all return :class:`~inboxapp.inbox.read.ReadResult`; ``.data`` is the JSON payload,
``.cache`` is ``hit``/``miss``/``bypass``; errors are :class:`inboxapp.errors.AppError`)::

    spec = parse_window("30d")  # or parse_window("custom", "2026-01-01", "2026-01-31")
    overview(user_id, client_id, spec, "core")  # then "breakdowns" (or "all")
    campaigns(user_id, client_id, spec)
    setters(user_id, client_id, spec)
    response_timing(user_id, client_id, spec)
    crm_rows(user_id, client_id, parse_crm_params(window=spec, sort="-createdAt", limit=50))

The ``screen_*`` functions are what the Reflex analytics screen calls: they decide the
``ANALYTICS_READ_API_V1`` flag per request (this read path when on, the legacy direct queries
when off), so no state makes that decision itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from inboxapp.analytics import queries
from inboxapp.analytics.payloads import (
    CampaignsPayload,
    CrmPage,
    OverviewPayload,
    ResponseTimingPayload,
    SettersPayload,
)
from inboxapp.analytics.queries import CrmParams
from inboxapp.analytics.rollup import NAMESPACE, workspace_timezone
from inboxapp.analytics.windows import Window, WindowSpec, resolve
from inboxapp.db.engine import user_session
from inboxapp.domain.access import Access
from inboxapp.flags import ANALYTICS_READ_API, read_flag
from inboxapp.inbox.queries import require_access
from inboxapp.inbox.read import ReadResult, cached_read
from inboxapp.logs import get_logger
from inboxapp.observability.metrics import timed_read

TTL_S = 120
log = get_logger(__name__)


def access_and_window(
    user_id: uuid.UUID, client_id: uuid.UUID, spec: WindowSpec | None, now: datetime | None = None
) -> tuple[Access, Window | None]:
    """Membership + effective role (403 ``NOT_A_MEMBER``) and the window in the workspace's zone."""
    with user_session(user_id) as s:
        access = require_access(s, user_id, client_id)
        tz = workspace_timezone(s, client_id)
    return access, (resolve(spec, tz, now) if spec is not None else None)


def request_rollup(client_id: uuid.UUID) -> None:
    """Queue the workspace's rollup (one queued per workspace); never fails the read."""
    try:
        from inboxapp.jobs.tasks import enqueue_rollup

        enqueue_rollup(client_id)
    except Exception:
        log.warning("could not queue the analytics rollup", clientId=str(client_id), exc_info=True)


def _compute(
    access: Access, fn: Callable[..., dict[str, Any]], *args: Any
) -> Callable[[], dict[str, Any]]:
    def compute() -> dict[str, Any]:
        with user_session(access.user_id) as s:
            data = fn(s, access, *args)
        if data.get("freshness", {}).get("pendingDays"):
            request_rollup(access.client_id)
        return data

    return compute


def _tab(
    kind: str,
    fn: Callable[..., dict[str, Any]],
    model: type[BaseModel],
    user_id: uuid.UUID,
    client_id: uuid.UUID,
    spec: WindowSpec,
    extra: dict[str, Any] | None = None,
    *args: Any,
) -> ReadResult:
    access, window = access_and_window(user_id, client_id, spec)
    assert window is not None
    params = {**window.cache_fields(), **(extra or {})}
    compute = _compute(access, fn, window, *args)
    return cached_read(NAMESPACE, access, kind, params, TTL_S, compute, model)


@timed_read(NAMESPACE, "overview")
def overview(
    user_id: uuid.UUID, client_id: uuid.UUID, spec: WindowSpec, parts: str = "all"
) -> ReadResult:
    """KPIs (``core``), charts (``breakdowns``) or both (``all``)."""
    extra = {"parts": parts}
    return _tab(
        "overview", queries.overview, OverviewPayload, user_id, client_id, spec, extra, parts
    )


@timed_read(NAMESPACE, "campaigns")
def campaigns(user_id: uuid.UUID, client_id: uuid.UUID, spec: WindowSpec) -> ReadResult:
    return _tab("campaigns", queries.campaigns, CampaignsPayload, user_id, client_id, spec)


@timed_read(NAMESPACE, "setters")
def setters(user_id: uuid.UUID, client_id: uuid.UUID, spec: WindowSpec) -> ReadResult:
    return _tab("setters", queries.setters, SettersPayload, user_id, client_id, spec)


@timed_read(NAMESPACE, "response-timing")
def response_timing(user_id: uuid.UUID, client_id: uuid.UUID, spec: WindowSpec) -> ReadResult:
    timing = queries.response_timing
    return _tab("response-timing", timing, ResponseTimingPayload, user_id, client_id, spec)


@timed_read(NAMESPACE, "crm")
def crm_rows(user_id: uuid.UUID, client_id: uuid.UUID, params: CrmParams) -> ReadResult:
    """A page of the CRM table; only first pages are cached (deeper pages go straight through)."""
    access, window = access_and_window(user_id, client_id, params.window)

    def compute() -> dict[str, Any]:
        with user_session(user_id) as s:
            return queries.crm_rows(s, access, params, window)

    if params.cursor is not None:
        return ReadResult(compute(), "bypass", access)
    fields = {**params.cache_fields(), **(window.cache_fields() if window else {"window": None})}
    return cached_read(NAMESPACE, access, "crm", fields, TTL_S, compute, CrmPage)


# ---------------------------------------------------------------------------------- screens
# The Reflex analytics screen reads through these: the cached read path above while
# ``ANALYTICS_READ_API_V1`` is on (read per request), else the legacy direct queries (access
# check and the query, no shared cache). Ids arrive as the strings the UI holds.

CRM_PAGE_SIZE = 50


def read_api_enabled() -> bool:
    return read_flag(ANALYTICS_READ_API).enabled


def _direct(user_id: uuid.UUID, client_id: uuid.UUID, spec: WindowSpec, fn: Any, *args: Any) -> Any:
    """The legacy path (flag off): access check and the query, no shared cache."""
    access, window = access_and_window(user_id, client_id, spec)
    with user_session(user_id) as s:
        return fn(s, access, window, *args)


def screen_overview(user_id: str, client_id: str, spec: WindowSpec, parts: str) -> dict[str, Any]:
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    if read_api_enabled():
        return overview(uid, cid, spec, parts).data
    result: dict[str, Any] = _direct(uid, cid, spec, queries.overview, parts)
    return result


_TAB_READS = {
    "campaigns": (campaigns, queries.campaigns),
    "setters": (setters, queries.setters),
    "timing": (response_timing, queries.response_timing),
}


def screen_tab(user_id: str, client_id: str, tab: str, spec: WindowSpec) -> dict[str, Any]:
    """The payload of a non-overview, non-CRM tab (``campaigns``, ``setters``, ``timing``)."""
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    cached_read_of, query = _TAB_READS[tab]
    if read_api_enabled():
        return cached_read_of(uid, cid, spec).data
    result: dict[str, Any] = _direct(uid, cid, spec, query)
    return result


def screen_crm(
    user_id: str, client_id: str, spec: WindowSpec, sort: str, status: str, cursor: str
) -> dict[str, Any]:
    """A page of the CRM table (``CRM_PAGE_SIZE`` rows; ``cursor`` "" for the first)."""
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    params = queries.parse_crm_params(
        window=spec,
        sort=sort,
        cursor=cursor or None,
        limit=CRM_PAGE_SIZE,
        status=status or None,
    )
    if read_api_enabled():
        return crm_rows(uid, cid, params).data
    access, window = access_and_window(uid, cid, params.window)
    with user_session(uid) as s:
        return queries.crm_rows(s, access, params, window)

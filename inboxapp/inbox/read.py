"""The inbox read path: access check, then a tenant-scoped Redis read-through cache in front of
the queries. Used by the HTTP GET endpoints and by the Reflex inbox state alike. A cached entry
is served only when it still matches its payload model (:mod:`inboxapp.inbox.payloads`).

The ``screen_*`` functions are what the Reflex screens call: they decide the
``INBOX_READ_API_V1`` flag per request (read path when on, legacy direct queries when off), so no
state makes that decision itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from inboxapp.cache.store import CacheStatus, get_cache
from inboxapp.db.engine import user_session
from inboxapp.domain.categories import COUNT_KEYS
from inboxapp.flags import INBOX_READ_API, read_flag
from inboxapp.inbox import queries
from inboxapp.inbox.params import ListParams, parse_list_params
from inboxapp.inbox.payloads import ConversationPage, CountsPayload
from inboxapp.inbox.queries import Access, require_access
from inboxapp.observability.metrics import timed_read

NAMESPACE = "inbox"
COUNTS_TTL_S = 30
FIRST_PAGE_TTL_S = 45


@dataclass(frozen=True)
class ReadResult:
    data: dict[str, Any]
    cache: CacheStatus
    access: Access


def access_for(user_id: uuid.UUID, client_id: uuid.UUID) -> Access:
    """Membership and effective role, checked on every read (never served from cache)."""
    with user_session(user_id) as s:
        return require_access(s, user_id, client_id)


def cached_read(
    namespace: str,
    access: Access,
    kind: str,
    params: dict[str, Any],
    ttl_s: int,
    compute: Callable[[], dict[str, Any]],
    model: type[BaseModel],
) -> ReadResult:
    """``compute()`` through the workspace's versioned cache; an entry that does not match
    ``model`` is a miss (recomputed and overwritten)."""
    cache = get_cache()
    version = cache.version(namespace, access.client_id)
    if version is None:
        return ReadResult(compute(), "bypass", access)
    key = cache.key(namespace, access.client_id, version, access.user_id, access.role, kind, params)
    result = cache.get_or_compute(
        key, ttl_s, compute, validate=model.model_validate, family=f"{namespace}:{kind}"
    )
    return ReadResult(result.value, result.status, access)


def counts_payload(access: Access) -> dict[str, Any]:
    """Materialized row when present (served even if stale, while a recompute is queued);
    the live query only when the row is missing."""
    from inboxapp.counts.read import read_materialized

    with user_session(access.user_id) as s:
        data = read_materialized(s, access)
        if data is None:
            data = {**queries.live_payload(s, access), "stale": True}
    if data["stale"]:
        request_recompute(access.client_id)
    return data


def request_recompute(client_id: uuid.UUID) -> None:
    """Queue a (de-duplicated) recompute of the workspace's materialized counts."""
    from inboxapp.jobs.tasks import enqueue_recompute

    enqueue_recompute(client_id)


@timed_read(NAMESPACE, "counts")
def counts(user_id: uuid.UUID, client_id: uuid.UUID) -> ReadResult:
    access = access_for(user_id, client_id)
    return cached_read(
        NAMESPACE, access, "counts", {}, COUNTS_TTL_S, lambda: counts_payload(access), CountsPayload
    )


@timed_read(NAMESPACE, "list")
def conversations(user_id: uuid.UUID, client_id: uuid.UUID, params: ListParams) -> ReadResult:
    """A page of the list; only the first page is cached (deeper pages go straight through)."""
    access = access_for(user_id, client_id)

    def compute() -> dict[str, Any]:
        return queries.list_conversations(user_id, client_id, params)

    if params.cursor is not None:
        return ReadResult(compute(), "bypass", access)
    fields = params.cache_fields()
    return cached_read(
        NAMESPACE, access, "list", fields, FIRST_PAGE_TTL_S, compute, ConversationPage
    )


@timed_read(NAMESPACE, "conversation")
def conversation(user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID) -> ReadResult:
    """One conversation; not cached (it is read right after writes and is cheap by id)."""
    with user_session(user_id) as s:
        access = require_access(s, user_id, client_id)
        data = queries.fetch_conversation(s, access, lead_id)
    return ReadResult(data, "bypass", access)


# ---------------------------------------------------------------------------------- screens
# The Reflex inbox reads through these: the read path above while ``INBOX_READ_API_V1`` is on
# (read per request), else the legacy direct queries. Ids arrive as the strings the UI holds.

LIVE_EXACT_COUNTS_MAX = 20_000
"""Largest scope (leads) whose counts a live update computes exactly while the materialized
row is stale: the live query takes ~30 ms at 10,000 leads and ~1.7 s at a million."""


def read_api_enabled() -> bool:
    return read_flag(INBOX_READ_API).enabled


def _counts_of(data: dict[str, Any]) -> dict[str, int]:
    counts = data.get("counts") or {}
    return {key: int(counts.get(key) or 0) for key in COUNT_KEYS}


def screen_counts(user_id: str, client_id: str) -> tuple[dict[str, int], bool]:
    """The eight counts, and whether they are a stale materialized row (a recompute is
    queued: worth asking again shortly). Live counts are exact, never stale."""
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    data = counts(uid, cid).data if read_api_enabled() else queries.live_counts(uid, cid)
    stale = data.get("source") == "materialized" and bool(data.get("stale"))
    return _counts_of(data), stale


def screen_fresh_counts(user_id: str, client_id: str) -> tuple[dict[str, int], bool]:
    """Counts for a live update: :func:`screen_counts`, but exact when its materialized row is
    stale (a change just marked it dirty; its recompute is queued) and the scope is small enough
    for the live query (``LIVE_EXACT_COUNTS_MAX`` leads). Otherwise the stale row is shown until
    the recompute's ``COUNTS`` event."""
    shown, stale = screen_counts(user_id, client_id)
    if stale and shown.get("total", 0) <= LIVE_EXACT_COUNTS_MAX:
        return _counts_of(queries.live_counts(uuid.UUID(user_id), uuid.UUID(client_id))), False
    return shown, stale


def screen_page(user_id: str, client_id: str, raw: dict[str, Any]) -> dict[str, Any]:
    """A page of the list for raw (unvalidated) list parameters (400 when they are bad)."""
    params = parse_list_params(**raw)
    uid, cid = uuid.UUID(user_id), uuid.UUID(client_id)
    if read_api_enabled():
        return conversations(uid, cid, params).data
    return queries.list_conversations(uid, cid, params)


def screen_conversation(user_id: str, client_id: str, lead_id: str) -> dict[str, Any]:
    uid, cid, lid = uuid.UUID(user_id), uuid.UUID(client_id), uuid.UUID(lead_id)
    if read_api_enabled():
        return conversation(uid, cid, lid).data
    return queries.conversation(uid, cid, lid)

"""The inbox read path: access check, then a tenant-scoped Redis read-through cache in front of
the queries. Used by the HTTP GET endpoints and by the Reflex inbox state alike. A cached entry
is served only when it still matches its payload model (:mod:`inboxapp.inbox.payloads`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from inboxapp.cache.store import CacheStatus, get_cache
from inboxapp.db.engine import user_session
from inboxapp.inbox import queries
from inboxapp.inbox.params import ListParams
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

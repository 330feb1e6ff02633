"""Job status per workspace and job kind, in Redis: ``jobs:v1:status:{clientId}:{job}``.

A hash with ``state`` (queued/running/succeeded/failed/retrying), ``attempts``, ``jobId``,
``lastSuccessAt``, ``lastDurationMs``, ``lastErrorCode`` (an exception class name or an app error
code, never a message: messages can carry PII), ``queueDepth`` (active jobs of that kind for the
workspace when written) and ``updatedAt``. ``jobs:v1:kinds:{clientId}`` lists the kinds seen.
Written by the enqueue path and by the worker's task middleware; read by the status API.

Redis is best effort here: when it is down the jobs still run, writes are skipped with a
rate-limited warning, and after a short cool-down writes resume by themselves. The database
(``procrastinate_jobs``) stays the source of truth for live queue depth and dead jobs.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast

import redis
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inboxapp.cache.invalid import is_garbage_error, report_invalid
from inboxapp.cache.store import get_cache
from inboxapp.config import get_settings
from inboxapp.jobs.app import job_kind, open_sync
from inboxapp.logs import get_logger
from inboxapp.payloads import Count, OneOf, Timestamp

State = Literal["queued", "running", "succeeded", "failed", "retrying"]
STATES: tuple[State, ...] = ("queued", "running", "succeeded", "failed", "retrying")
KEY_PREFIX = "jobs:v1:status"
TTL_S = 30 * 86400
COOLDOWN_S = 2.0
WARN_EVERY_S = 30.0
FAMILY = "jobs:status"
JOB_KIND_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
ERROR_CODE_PATTERN = "^(?:[A-Za-z_][A-Za-z0-9_.]{0,99})?$"
"""What :func:`inboxapp.jobs.queue.error_code` writes (an app error code or a class name), or
empty once a later run cleared it."""

log = get_logger(__name__)


def status_key(client_id: str, job: str) -> str:
    return f"{KEY_PREFIX}:{client_id}:{job}"


def kinds_key(client_id: str) -> str:
    return f"jobs:v1:kinds:{client_id}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def valid_client_id(value: object) -> str | None:
    """The canonical UUID string, or None (status is only kept for real workspace ids)."""
    if not isinstance(value, str | uuid.UUID):
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


class _Health:
    """Own cool-down and rate-limited warning for status writes (independent of the cache)."""

    def __init__(self) -> None:
        self.down_until = 0.0
        self.last_warning = 0.0
        self.skipped = 0
        self.outage = False
        self.lock = threading.Lock()

    def failed(self, reason: str) -> None:
        now = time.monotonic()
        with self.lock:
            self.down_until = now + COOLDOWN_S
            self.skipped += 1
            self.outage = True
            warn = now - self.last_warning >= WARN_EVERY_S
            if warn:
                self.last_warning = now
            skipped = self.skipped
        if warn:
            log.warning(
                "job status writes skipped: redis unavailable", error=reason, skipped=skipped
            )

    def skip(self) -> bool:
        with self.lock:
            if time.monotonic() < self.down_until:
                self.skipped += 1
                return True
            return False

    def ok(self) -> None:
        with self.lock:
            if not self.outage:
                return
            self.outage = False
            skipped, self.skipped = self.skipped, 0
        log.info("job status writes resumed", skipped=skipped)


_health = _Health()


def reset_health() -> None:
    """Forget outage state (tests)."""
    global _health
    _health = _Health()


def _encode(fields: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in fields.items() if v is not None}


def write_status(client_id: str, job: str, **fields: Any) -> bool:
    """Merge ``fields`` into the status hash; False when skipped (no Redis, or Redis down)."""
    cid = valid_client_id(client_id)
    if cid is None:
        return False
    if not get_settings().redis_url:  # Redis not configured: nothing to write, nothing to warn
        return False
    cache = get_cache()
    if _health.skip():
        return False
    if not cache.available:
        _health.failed("cache cool-down")
        return False
    state = fields.get("state")
    if state is not None and state not in STATES:
        raise ValueError(f"unknown job state {state!r}")
    values = _encode({**fields, "updatedAt": now_iso()})
    key = status_key(cid, job)
    try:
        pipe = cache.client.pipeline(transaction=True)
        pipe.hset(key, mapping=cast(Any, values))
        pipe.expire(key, TTL_S)
        pipe.sadd(kinds_key(cid), job)
        pipe.expire(kinds_key(cid), TTL_S)
        pipe.execute()
    except redis.RedisError as exc:
        _health.failed(type(exc).__name__)
        return False
    _health.ok()
    return True


class StoredStatus(BaseModel):
    """The status hash as :func:`write_status` writes it (Redis keeps every value as text, so
    numbers are parsed; unknown fields are ignored and never served)."""

    model_config = ConfigDict(extra="ignore")

    state: Annotated[str, OneOf(STATES)] | None = None
    attempts: Count | None = None
    jobId: Count | None = None
    queueDepth: Count | None = None
    lastDurationMs: Count | None = None
    nextRetryInMs: Count | None = None
    lastErrorCode: Annotated[str, Field(pattern=ERROR_CODE_PATTERN)] | None = None
    startedAt: Timestamp | None = None
    lastSuccessAt: Timestamp | None = None
    updatedAt: Timestamp | None = None


def _decode(raw: dict[bytes, bytes]) -> dict[str, Any] | None:
    """The stored fields, or None when the hash is garbage (reported; the caller deletes it)."""
    try:
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return StoredStatus.model_validate(fields).model_dump(exclude_unset=True)
    except UnicodeDecodeError:
        report_invalid(FAMILY, "undecodable")
    except ValidationError:
        report_invalid(FAMILY, "wrong_shape")
    return None


def _valid_kinds(client: redis.Redis, cid: str, members: set[bytes]) -> list[str]:
    """Job kind names from the kinds set; garbage members are reported and removed."""
    names = {member: member.decode(errors="replace") for member in members}
    garbage = [member for member, name in names.items() if not JOB_KIND_RE.fullmatch(name)]
    if garbage:
        report_invalid("jobs:kinds", "not_a_job_kind")
        client.srem(kinds_key(cid), *garbage)
    return sorted(name for member, name in names.items() if member not in garbage)


def read_statuses(client_id: str) -> dict[str, dict[str, Any]] | None:
    """Every job kind's status for one workspace; None when Redis is unavailable.

    A garbage hash (or a key of another type) counts as no status and is deleted: the next
    status write recreates it, and the database keeps the truth about the queue meanwhile."""
    cid = valid_client_id(client_id)
    if cid is None:
        return {}
    if not get_settings().redis_url or not get_cache().available:
        return None
    client = get_cache().client
    try:
        try:
            members = cast(set[bytes], client.smembers(kinds_key(cid)))
        except redis.ResponseError as exc:
            if not is_garbage_error(exc):
                raise
            report_invalid("jobs:kinds", "wrong_type")
            client.delete(kinds_key(cid))
            members = set()
        kinds = _valid_kinds(client, cid, members)
        pipe = client.pipeline(transaction=False)
        for kind in kinds:
            pipe.hgetall(status_key(cid, kind))
        rows = pipe.execute(raise_on_error=False)
        out: dict[str, dict[str, Any]] = {}
        for kind, row in zip(kinds, rows, strict=True):
            decoded = _decoded_row(client, status_key(cid, kind), row)
            if decoded:
                out[kind] = decoded
    except redis.RedisError:
        return None
    return out


def read_status(client_id: str, job: str) -> dict[str, Any] | None:
    """One status hash (empty dict when absent or garbage); None when Redis is unavailable."""
    cid = valid_client_id(client_id)
    if cid is None or not get_settings().redis_url or not get_cache().available:
        return None
    client, key = get_cache().client, status_key(cid, job)
    try:
        pipe = client.pipeline(transaction=False)
        pipe.hgetall(key)
        return _decoded_row(client, key, pipe.execute(raise_on_error=False)[0])
    except redis.RedisError:
        return None


def _decoded_row(client: redis.Redis, key: str, row: object) -> dict[str, Any]:
    """One ``HGETALL`` answer (a reply or the error it raised) as status fields; garbage and
    keys of another type are reported and deleted."""
    if isinstance(row, Exception) and is_garbage_error(row):
        report_invalid(FAMILY, "wrong_type")
        client.delete(key)
        return {}
    if isinstance(row, Exception):
        raise row
    decoded = _decode(cast(dict[bytes, bytes], row))
    if decoded is None:
        client.delete(key)
        return {}
    return decoded


# -- the status API payload ------------------------------------------------------------------

DEFAULT_KINDS = ("recompute_inbox_counts", "rollup_analytics")
_LIVE = (
    "SELECT task_name, status::text AS status, count(*)::int AS n FROM procrastinate_jobs"
    " WHERE args ->> 'client_id' = %(client_id)s AND status IN ('todo', 'doing', 'failed')"
    " GROUP BY task_name, status"
)


def live_counts(client_id: str) -> dict[str, dict[str, int]]:
    """Active and dead jobs of one workspace per kind, from the database (source of truth)."""
    connector = open_sync().connector.get_sync_connector()
    out: dict[str, dict[str, int]] = {}
    for row in connector.execute_query_all(_LIVE, client_id=client_id):
        kind = job_kind(str(row["task_name"]))
        counts = out.setdefault(kind, {"queued": 0, "running": 0, "deadLettered": 0})
        key = {"todo": "queued", "doing": "running", "failed": "deadLettered"}[row["status"]]
        counts[key] += int(row["n"])
    return out


def _derived_state(live: dict[str, int]) -> str | None:
    if live.get("running"):
        return "running"
    if live.get("queued"):
        return "queued"
    return "failed" if live.get("deadLettered") else None


def workspace_job_status(client_id: str) -> dict[str, Any]:
    """What ``GET /api/jobs/status`` returns: Redis status merged with live database counts.

    ``queueDepth`` (queued + running) and ``deadLettered`` always come from the database; the
    rest from Redis (``redis: "unavailable"`` and only the derived ``state`` while it is down).
    """
    cid = valid_client_id(client_id)
    if cid is None:
        raise ValueError("client_id must be a UUID")
    stored = read_statuses(cid)
    live = live_counts(cid)
    kinds = sorted(set(DEFAULT_KINDS) | set(stored or {}) | set(live))
    jobs: list[dict[str, Any]] = []
    for kind in kinds:
        st = (stored or {}).get(kind, {})
        lv = live.get(kind, {})
        jobs.append(
            {
                "job": kind,
                "state": st.get("state") or _derived_state(lv),
                "attempts": st.get("attempts"),
                "lastSuccessAt": st.get("lastSuccessAt"),
                "lastDurationMs": st.get("lastDurationMs"),
                "lastErrorCode": st.get("lastErrorCode"),
                "queueDepth": lv.get("queued", 0) + lv.get("running", 0),
                "deadLettered": lv.get("deadLettered", 0),
                "updatedAt": st.get("updatedAt"),
            }
        )
    return {
        "clientId": cid,
        "redis": "ok" if stored is not None else "unavailable",
        "jobs": jobs,
        "generatedAt": now_iso(),
    }

"""The processing job, its enqueue, the stranded-event sweep and replays.

* ``process_webhook_event(client_id, event_id)`` on queue ``webhooks``: parses the stored
  body with the provider's adapter and applies it (:mod:`.process`) in ONE workspace
  transaction that also marks the event ``processed``; a worker killed midway rolls all of it
  back, and a second run of a processed event does nothing (each event is applied once).
  ``lock`` and ``queueing_lock`` ``webhook:<event id>``: one queued and one running job per
  event. Retries with :data:`~inboxapp.jobs.tasks.RETRY` (exponential backoff); a bad body
  fails at once. An event whose job fails for good is marked ``failed`` and its job stays in
  the dead letter (``jobs status``, ``GET /api/jobs/status``) until replayed.
* ``requeue_stranded_webhooks`` (periodic): events still ``pending`` a minute after they
  arrived with no job (the web process died between storing and queueing) are queued again.
* :func:`replay`: ``webhooks replay --event-id E | --failed``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from procrastinate import Blueprint
from procrastinate.job_context import JobContext

from inboxapp.ai.jobs import enqueue_draft
from inboxapp.db.engine import owner_session, workspace_session
from inboxapp.inbox.hooks import workspace_changed
from inboxapp.jobs.app import register
from inboxapp.jobs.queue import error_code, retry_failed
from inboxapp.jobs.tasks import (
    RETRY,
    InvalidJobInput,
    _enqueue,
    dead_jobs,
    defer_once,
    is_non_retriable,
    parse_client_id,
    requeue_stranded_rows,
    stranded_by_lock,
)
from inboxapp.logs import get_logger
from inboxapp.pipeline.providers import Provider

from . import adapters
from .event import INBOUND_KINDS, Ignored
from .models import WebhookEvent
from .process import apply_event
from .settings import inbound_settings

W: sa.Table = WebhookEvent.__table__  # type: ignore[attr-defined]
QUEUE = "webhooks"
TASK = "process_webhook_event"
log = get_logger(__name__)
blueprint = Blueprint()


def event_lock(event_id: uuid.UUID | str) -> str:
    return f"webhook:{event_id}"


@blueprint.task(name=TASK, queue=QUEUE, retry=RETRY, pass_context=True)
def process_webhook_event(
    context: JobContext, client_id: str, event_id: str, request_id: str | None = None
) -> None:
    cid = parse_client_id(client_id)
    try:
        eid = uuid.UUID(str(event_id))
    except ValueError:
        raise InvalidJobInput("event_id must be a UUID") from None
    attempt = context.job.attempts + 1
    try:
        process_stored(cid, eid, attempt)
    except Exception as exc:
        if is_non_retriable(exc) or attempt >= RETRY.max_attempts:
            mark_failed(cid, eid, attempt, _code(exc))
        raise


def _code(exc: BaseException) -> str:
    return error_code(exc)


def process_stored(client_id: uuid.UUID, event_id: uuid.UUID, attempt: int = 1) -> str:
    """Apply one stored event (if still pending); returns its status afterwards."""
    with workspace_session(client_id) as s:
        row = s.execute(sa.select(W).where(W.c.id == event_id).with_for_update()).first()
        if row is None:
            raise InvalidJobInput("no such event in this workspace")
        if row.status != "pending":
            return str(row.status)
        parsed = adapters.parse(Provider(row.provider), row.payload)
        done: dict[str, Any] = {"attempts": attempt, "processedAt": sa.func.now()}
        if isinstance(parsed, Ignored):
            s.execute(sa.update(W).where(W.c.id == event_id).values(status="ignored", **done))
            return "ignored"
        applied = apply_event(s, client_id, parsed)
        s.execute(
            sa.update(W)
            .where(W.c.id == event_id)
            .values(
                status="processed",
                lastErrorCode=None,
                leadId=applied.lead_id,
                messageId=applied.message_id,
                **done,
            )
        )
    if applied.changed:
        workspace_changed(client_id)
        if (
            applied.message_id is not None
            and applied.lead_id is not None
            and (parsed.kind in INBOUND_KINDS)
        ):
            enqueue_draft(client_id, applied.lead_id, applied.message_id)
    return "processed"


def mark_failed(client_id: uuid.UUID, event_id: uuid.UUID, attempt: int, code: str) -> None:
    """The event's last attempt failed: ``failed`` until replayed (its job is dead-lettered)."""
    with workspace_session(client_id) as s:
        s.execute(
            sa.update(W)
            .where(W.c.id == event_id, W.c.status == "pending")
            .values(status="failed", attempts=attempt, lastErrorCode=code[:100])
        )


def enqueue_event(
    client_id: uuid.UUID | str, event_id: uuid.UUID | str, *, fresh: bool = False
) -> int | None:
    """Queue the processing of one stored event (no-op when one is already queued).

    ``fresh``: the event was stored just now, so no job can exist yet: defer at once (the
    accept path saves the look-up round trips of :func:`~inboxapp.jobs.tasks._enqueue`).
    """
    lock = event_lock(event_id)
    cid = parse_client_id(client_id)
    if not fresh:
        return _enqueue(
            process_webhook_event, cid, lock=lock, queueing_lock=lock, event_id=str(event_id)
        )
    return defer_once(process_webhook_event, cid, lock=lock, event_id=str(event_id))


# -- stranded events -------------------------------------------------------------------------

_STRANDED = stranded_by_lock("WebhookEvent", "t.status = 'pending'", "receivedAt", "webhook")


def requeue_stranded(older_than_s: float | None = None) -> list[str]:
    """Queue pending events that have no job (returns their ids)."""
    age = inbound_settings().stranded_after_s if older_than_s is None else older_than_s
    return requeue_stranded_rows(_STRANDED, age, enqueue_event, "webhook.stranded_requeued")


@blueprint.task(name="requeue_stranded_webhooks", queue="maintenance", retry=False)
def requeue_stranded_webhooks(timestamp: int) -> None:
    requeue_stranded()


# -- replay ----------------------------------------------------------------------------------


def replay(
    event_ids: Sequence[uuid.UUID] = (),
    *,
    failed: bool = False,
    client_id: uuid.UUID | None = None,
) -> dict[str, list[str]]:
    """Process events again: each goes back to ``pending`` and is queued (a dead-lettered job
    of the event is re-queued itself, which clears it from the dead letter). Processing is
    idempotent, so replaying a processed event changes nothing; an ``ignored`` one is parsed
    again with today's adapters."""
    ids = [str(e) for e in event_ids]
    with owner_session() as s:
        if failed:
            query = sa.select(W.c.id).where(W.c.status == "failed").order_by(W.c.receivedAt)
            if client_id is not None:
                query = query.where(W.c.clientId == client_id)
            ids += [str(e) for e in s.execute(query).scalars()]
    replayed: list[str] = []
    missing: list[str] = []
    for event_id in dict.fromkeys(ids):
        with owner_session() as s:
            row = s.execute(
                sa.update(W)
                .where(W.c.id == event_id)
                .values(status="pending", lastErrorCode=None, processedAt=None)
                .returning(W.c.clientId)
            ).first()
        if row is None:
            missing.append(event_id)
            continue
        dead = dead_jobs(event_lock(event_id))
        if dead:
            retry_failed(dead)
        else:
            enqueue_event(row.clientId, event_id)
        replayed.append(event_id)
    return {"replayed": replayed, "missing": missing}


register(blueprint)  # last: every task above is on the blueprint

"""The delivery job: claim the outbox row, send it once, record sent / retry / failed.

``deliver_message(client_id, outbox_id)`` on queue ``outbox`` (``lock`` and ``queueing_lock``
``outbox:<id>``: one queued and one running job per message):

1. **Claim** (one workspace transaction): a row already ``sent`` or ``failed`` is left alone; a
   blacklisted (bounced, unsubscribed) lead is never sent to: ``failed`` at once; missing or
   unreadable credentials fail it too. Otherwise the row and its message become ``sending``.
2. **Send** through the provider's sender with the row's idempotency key (outside any
   transaction). A worker killed here leaves the row ``sending``: the job is retried (stalled
   job recovery) with the same key, so the provider sees one message, not two.
3. **Record**: ``sent`` (with the provider's message id), or for a retryable failure (timeout,
   5xx, 429) back to ``queued`` with ``nextAttemptAt`` and the reason, and the job retries with
   exponential backoff (a 429's ``Retry-After`` is honoured); after the last attempt, or for a
   failure a retry cannot fix (refused key, no thread to answer), ``failed`` with the reason:
   "Not sent: <reason>" in the conversation, retryable by a person
   (:func:`inboxapp.inbox.actions.retry_delivery`).

``requeue_stranded_outbox`` (periodic) queues rows still waiting with no job (the process died
between commit and enqueue, or a job was lost).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from procrastinate import Blueprint
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job
from procrastinate.retry import RetryDecision

from inboxapp.config import outbound_settings
from inboxapp.db.engine import workspace_session
from inboxapp.domain.categories import L, M
from inboxapp.inbox.hooks import workspace_changed
from inboxapp.jobs.app import register
from inboxapp.jobs.queue import retry_failed
from inboxapp.jobs.tasks import (
    InvalidJobInput,
    JitteredBackoff,
    dead_jobs,
    defer_once,
    parse_client_id,
    requeue_stranded_rows,
    stranded_by_lock,
)
from inboxapp.logs import get_logger
from inboxapp.pipeline.providers import LABELS, Provider
from inboxapp.secrets_box import SecretError

from . import credentials, senders
from .outbox import OB
from .send import Credentials, DeliveryError, Outgoing, Thread
from .thread import thread_of

QUEUE = "outbox"
TASK = "deliver_message"
BLACKLISTED = "the lead unsubscribed or bounced (blacklisted): nothing is sent to it"
log = get_logger(__name__)
blueprint = Blueprint()


class RetryLater(Exception):
    """A retryable send failure: the job runs again after the backoff (or ``Retry-After``)."""

    def __init__(self, error: DeliveryError) -> None:
        super().__init__(error.code)
        self.code = error.code
        self.retry_after_s = error.retry_after_s


class DeliveryBackoff(JitteredBackoff):
    """The job backoff, never shorter than a provider's ``Retry-After``."""

    def delay_for(self, job_id: int | None, attempts: int, retry_after_s: float | None) -> float:
        return max(self.delay_s(job_id, attempts), retry_after_s or 0.0)

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not self.will_retry(exception, job):
            return None
        delay = self.delay_for(job.id, job.attempts, getattr(exception, "retry_after_s", None))
        return RetryDecision(retry_at=datetime.now(UTC) + timedelta(seconds=delay))


RETRY = DeliveryBackoff()


def outbox_lock(outbox_id: uuid.UUID | str) -> str:
    return f"outbox:{outbox_id}"


@blueprint.task(name=TASK, queue=QUEUE, retry=RETRY, pass_context=True)
def deliver_message(
    context: JobContext, client_id: str, outbox_id: str, request_id: str | None = None
) -> None:
    cid = parse_client_id(client_id)
    try:
        oid = uuid.UUID(str(outbox_id))
    except ValueError:
        raise InvalidJobInput("outbox_id must be a UUID") from None
    state = deliver(cid, oid, attempt=context.job.attempts + 1, job_id=context.job.id)
    log.info("delivery.done", outboxId=str(oid), state=state)


# -- the three steps -------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    outbox_id: uuid.UUID
    message_id: uuid.UUID
    credentials: Credentials
    thread: Thread
    message: Outgoing


def deliver(
    client_id: uuid.UUID, outbox_id: uuid.UUID, *, attempt: int = 1, job_id: int | None = None
) -> str:
    """Run one delivery attempt; the row's state afterwards. Raises :class:`RetryLater` when
    the job should run again."""
    claim = _claim(client_id, outbox_id)
    if isinstance(claim, str):
        return claim
    try:
        with httpx.Client(timeout=outbound_settings().timeout_s) as http:
            provider_id = senders.send(http, claim.credentials, claim.thread, claim.message)
    except DeliveryError as exc:
        last = not exc.retryable or attempt >= RETRY.max_attempts
        delay = 0.0 if last else RETRY.delay_for(job_id, attempt - 1, exc.retry_after_s)
        _record_failure(client_id, claim, exc.reason, final=last, delay_s=delay)
        log.warning(
            "delivery.failed",
            outboxId=str(outbox_id),
            provider=claim.credentials.provider.value,
            errorCode=exc.code,
            final=last,
            attempt=attempt,
        )
        if last:
            return "failed"
        raise RetryLater(exc) from None
    except Exception:
        if attempt >= RETRY.max_attempts:
            _record_failure(client_id, claim, "an internal error stopped the send", final=True)
        raise
    _record_sent(client_id, claim, provider_id)
    return "sent"


def _claim(client_id: uuid.UUID, outbox_id: uuid.UUID) -> Claim | str:
    failed: str | None = None
    with workspace_session(client_id) as s:
        row = s.execute(sa.select(OB).where(OB.c.id == outbox_id).with_for_update()).first()
        if row is None:
            raise InvalidJobInput("no such outbox row in this workspace")
        if row.state in ("sent", "failed"):
            return str(row.state)
        message = s.execute(sa.select(M).where(M.c.id == row.messageId)).one()
        lead = s.execute(sa.select(L).where(L.c.id == row.leadId)).one()
        provider = Provider(row.provider)
        creds: Credentials | None = None
        if lead.status == "blacklisted" or lead.sentimentTag == "Blacklist":
            failed = BLACKLISTED
        elif row.attempts >= 2 * RETRY.max_attempts:
            failed = f"gave up after {row.attempts} attempts"
        else:
            try:
                creds = credentials.load(s, client_id, provider)
            except SecretError:
                failed = f"the stored {LABELS[provider]} API key cannot be read"
            if creds is None and failed is None:
                failed = f"no {LABELS[provider]} credentials are set up in this workspace"
        if failed is not None or creds is None:
            _fail(s, row, failed or "not sendable")
        else:
            attempts = row.attempts + 1
            _set_state(
                s,
                OB.c.id == outbox_id,
                row.messageId,
                outbox=dict(state="sending", attempts=attempts),
                message=dict(deliveryStatus="sending", deliveryAttempts=attempts),
            )
            return Claim(
                outbox_id,
                row.messageId,
                creds,
                thread_of(s, lead, provider),
                Outgoing(message.body, message.channel, row.idempotencyKey, message.subject),
            )
    log.warning("delivery.refused", outboxId=str(outbox_id), provider=row.provider)
    workspace_changed(client_id)
    return "failed"


def _set_state(
    s: Any,
    where: sa.ColumnElement[bool],
    message_id: uuid.UUID,
    *,
    outbox: dict[str, Any],
    message: dict[str, Any],
) -> None:
    """One delivery step: the outbox row ``where`` finds (``updatedAt`` now) and its message."""
    s.execute(sa.update(OB).where(where).values(**outbox, updatedAt=sa.func.now()))
    s.execute(sa.update(M).where(M.c.id == message_id).values(**message))


def _fail(s: Any, row: Any, reason: str) -> None:
    _set_state(
        s,
        OB.c.id == row.id,
        row.messageId,
        outbox=dict(state="failed", lastError=reason),
        message=dict(deliveryStatus="failed", deliveryError=reason),
    )


def _record_failure(
    client_id: uuid.UUID, claim: Claim, reason: str, *, final: bool, delay_s: float = 0.0
) -> None:
    state = "failed" if final else "queued"
    with workspace_session(client_id) as s:
        _set_state(
            s,
            sa.and_(OB.c.id == claim.outbox_id, OB.c.state == "sending"),
            claim.message_id,
            outbox=dict(
                state=state,
                lastError=reason,
                nextAttemptAt=sa.func.now() + timedelta(seconds=delay_s),
            ),
            message=dict(deliveryStatus=state, deliveryError=reason),
        )
    workspace_changed(client_id)


def _record_sent(client_id: uuid.UUID, claim: Claim, provider_id: str | None) -> None:
    provider = claim.credentials.provider.value
    with workspace_session(client_id) as s:
        _set_state(
            s,
            OB.c.id == claim.outbox_id,
            claim.message_id,
            outbox=dict(
                state="sent", providerMessageId=provider_id, lastError=None, sentAt=sa.func.now()
            ),
            message=dict(deliveryStatus="sent", deliveryError=None, provider=provider),
        )
        if provider_id:
            # The provider may report our own message back (a webhook of the sent message);
            # whichever row holds its id first keeps it.
            s.execute(
                sa.update(M)
                .where(
                    M.c.id == claim.message_id,
                    ~sa.exists().where(
                        M.c.clientId == client_id,
                        M.c.provider == provider,
                        M.c.providerMessageId == provider_id,
                    ),
                )
                .values(providerMessageId=provider_id)
            )
    workspace_changed(client_id)


# -- enqueue and the stranded-row sweep --------------------------------------------------------


def enqueue_delivery(client_id: uuid.UUID | str, outbox_id: uuid.UUID | str) -> int | None:
    """Queue the delivery of one outbox row (no-op when one is queued already)."""
    cid = parse_client_id(client_id)
    return defer_once(deliver_message, cid, lock=outbox_lock(outbox_id), outbox_id=str(outbox_id))


def enqueue_after_commit(client_id: uuid.UUID, outbox_id: uuid.UUID) -> None:
    """:func:`enqueue_delivery`, never failing the caller (the row is stored: the sweep
    queues it later)."""
    try:
        enqueue_delivery(client_id, outbox_id)
    except Exception as exc:
        log.warning(
            "delivery.enqueue_failed", errorType=type(exc).__name__, outboxId=str(outbox_id)
        )


_STRANDED = stranded_by_lock(
    "Outbox", "t.state IN ('queued', 'sending')", "nextAttemptAt", "outbox"
)


def requeue_stranded(older_than_s: float | None = None) -> list[str]:
    """Queue outbox rows that wait with no job (returns their ids)."""
    age = outbound_settings().stranded_after_s if older_than_s is None else older_than_s
    return requeue_stranded_rows(_STRANDED, age, enqueue_delivery, "delivery.stranded_requeued")


@blueprint.task(name="requeue_stranded_outbox", queue="maintenance", retry=False)
def requeue_stranded_outbox(timestamp: int) -> None:
    requeue_stranded()


def requeue(client_id: uuid.UUID, outbox_id: uuid.UUID) -> None:
    """Queue a row a person put back to ``queued``: its dead-lettered job is retried (which
    clears it from the dead letter), else a new job is queued."""
    dead = dead_jobs(outbox_lock(outbox_id))
    if dead:
        retry_failed(dead)
    else:
        enqueue_after_commit(client_id, outbox_id)


register(blueprint)  # last: every task above is on the blueprint

"""The draft job, the auto-send job and the sweep that rescues auto-sends without a job.

* ``draft_reply(client_id, message_id[, instruction])`` on queue ``ai``: drafts an answer to an
  inbound message that needs one (:func:`draft_for_message`); the pipeline queues it after a
  reply is stored, Regenerate queues it with the person's instruction. ``lock`` per lead, so
  two drafts of one lead never race; ``queueing_lock`` per message.
* ``auto_send_draft(client_id, draft_id)``: scheduled at the draft's ``sendAfter``; sends it when
  it is still pending and scheduled (nobody cancelled, approved or rejected it) and passes the
  safety checks again against the lead as it is now.
* ``requeue_stranded_auto_sends`` (periodic): due auto-send drafts with no job are queued again.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from procrastinate import Blueprint
from procrastinate import exceptions as pexc

from inboxapp.db.engine import workspace_session
from inboxapp.domain.categories import D, L, M
from inboxapp.domain.vocabulary import AUTO_SEND_ACTIONS, NO_DRAFT_TAGS
from inboxapp.inbox.actions import send_as_workspace
from inboxapp.inbox.hooks import workspace_changed
from inboxapp.jobs.app import SCHEMA, open_sync, register
from inboxapp.jobs.tasks import RETRY, InvalidJobInput, parse_client_id, requeue_stranded_rows
from inboxapp.logs import get_logger
from inboxapp.pipeline.outbound.delivery import enqueue_after_commit

from . import drafting
from .settings import load

QUEUE = "ai"
log = get_logger(__name__)
blueprint = Blueprint()


def _uuid(value: object, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidJobInput(f"{name} must be a UUID") from None


def needs_answer(s: Any, message: Any) -> bool:
    """An inbound message that is its lead's newest, of a tag that wants a reply, from a lead
    that did not opt out, in a workspace whose AI drafting is on."""
    lead = s.execute(sa.select(L.c.status).where(L.c.id == message.leadId)).one()
    return (
        message.direction == "inbound"
        and (message.sentiment or "Neutral") not in NO_DRAFT_TAGS
        and lead.status != "blacklisted"
        and drafting.is_latest_inbound(s, message.leadId, message.id)
    )


def draft_for_message(
    client_id: uuid.UUID, message_id: uuid.UUID, instruction: str | None = None
) -> uuid.UUID | None:
    """Draft (and store) an answer to ``message_id``; None when it needs none. With an
    ``instruction`` (Regenerate) the message only has to be the lead's newest inbound one."""
    with workspace_session(client_id) as s:
        message = s.execute(
            sa.select(M).where(M.c.id == message_id, M.c.clientId == client_id)
        ).first()
        if message is None:
            raise InvalidJobInput("no such message in this workspace")
        settings = load(s, client_id)
        if settings.auto_send_mode == "off" and instruction is None:
            return None
        if instruction is None and not needs_answer(s, message):
            return None
        if instruction is not None and not drafting.is_latest_inbound(
            s, message.leadId, message.id
        ):
            return None
        if instruction is None:
            done = s.execute(
                sa.select(D.c.id).where(D.c.triggerMessageId == message_id, D.c.status != "replay")
            ).first()
            if done is not None:  # a repeat of this job: the draft exists (or was handled)
                return None
    outcome = drafting.generate(client_id, message_id, instruction=instruction, settings=settings)
    draft_id = drafting.store(client_id, outcome)
    log.info(
        "ai.drafted", clientId=str(client_id), draftId=str(draft_id), safe=outcome.safe,
        checks=[f.code for f in outcome.failures], provider=settings.provider,
    )  # fmt: skip
    workspace_changed(client_id)
    if outcome.safe and settings.auto_send_mode == "send":
        schedule_auto_send(client_id, draft_id)
    return draft_id


@blueprint.task(name="draft_reply", queue=QUEUE, retry=RETRY)
def draft_reply(
    client_id: str, message_id: str, instruction: str | None = None, request_id: str | None = None
) -> None:
    cid = parse_client_id(client_id)
    draft_for_message(cid, _uuid(message_id, "message_id"), instruction)


def enqueue_draft(
    client_id: uuid.UUID, lead_id: uuid.UUID, message_id: uuid.UUID, instruction: str | None = None
) -> int | None:
    """Queue the draft job (never failing the caller: it has committed)."""
    payload: dict[str, Any] = {"client_id": str(client_id), "message_id": str(message_id)}
    if instruction:
        payload["instruction"] = instruction
    queueing_lock = f"ai:draft:{message_id}" if not instruction else None
    try:
        open_sync()
        return draft_reply.configure(lock=f"ai:lead:{lead_id}", queueing_lock=queueing_lock).defer(
            **payload
        )
    except pexc.AlreadyEnqueued:
        return None
    except Exception as exc:
        log.warning("ai.enqueue_failed", errorType=type(exc).__name__, clientId=str(client_id))
        return None


# -- auto-send ---------------------------------------------------------------------------------


def schedule_auto_send(client_id: uuid.UUID, draft_id: uuid.UUID) -> int | None:
    with workspace_session(client_id) as s:
        when: datetime | None = s.execute(
            sa.select(D.c.sendAfter).where(D.c.id == draft_id)
        ).scalar_one_or_none()
    try:
        open_sync()
        return auto_send_draft.configure(
            queueing_lock=f"ai:send:{draft_id}", schedule_at=when
        ).defer(client_id=str(client_id), draft_id=str(draft_id))
    except pexc.AlreadyEnqueued:
        return None


def send_due_draft(client_id: uuid.UUID, draft_id: uuid.UUID) -> str:
    """Send one scheduled draft if it still should go; returns what happened."""
    with workspace_session(client_id) as s:
        draft = s.execute(sa.select(D).where(D.c.id == draft_id).with_for_update()).first()
        if (
            draft is None
            or draft.status != "pending"
            or draft.autoSendAction not in AUTO_SEND_ACTIONS
        ):
            return "cancelled"
        due = s.execute(sa.select(D.c.sendAfter <= sa.func.now()).where(D.c.id == draft_id))
        if draft.sendAfter is not None and not due.scalar_one():
            return "early"
        failures = drafting.recheck(s, client_id, draft)
        if failures:
            s.execute(
                sa.update(D).where(D.c.id == draft_id).values(
                    status="blocked", body="", autoSendAction="error",
                    safety=[f.as_json() for f in failures], updatedAt=sa.func.now(),
                )
            )  # fmt: skip
            outcome = "blocked"
        else:
            queued = send_as_workspace(s, client_id, draft)
            outcome = "sent"
    if outcome == "sent":
        enqueue_after_commit(client_id, queued.outbox_id)
    workspace_changed(client_id)
    log.info("ai.auto_send", clientId=str(client_id), draftId=str(draft_id), outcome=outcome)
    return outcome


@blueprint.task(name="auto_send_draft", queue=QUEUE, retry=RETRY)
def auto_send_draft(client_id: str, draft_id: str, request_id: str | None = None) -> None:
    send_due_draft(parse_client_id(client_id), _uuid(draft_id, "draft_id"))


_STRANDED = sa.text(
    f"""
    SELECT d.id, d."clientId" FROM public."AIDraft" d
    WHERE d.status = 'pending' AND d."autoSendAction" IN ('send_immediate', 'send_delayed')
      AND coalesce(d."sendAfter", d."createdAt") < now() - make_interval(secs => :age)
      AND NOT EXISTS (
        SELECT 1 FROM {SCHEMA}.procrastinate_jobs j
        WHERE j.task_name = 'auto_send_draft' AND j.args ->> 'draft_id' = d.id::text
          AND j.status IN ('todo', 'doing'))
    ORDER BY d."sendAfter" LIMIT :limit
    """
)


def requeue_stranded() -> list[str]:
    return requeue_stranded_rows(_STRANDED, 60.0, schedule_auto_send, "ai.stranded_requeued")


@blueprint.task(name="requeue_stranded_auto_sends", queue="maintenance", retry=False)
def requeue_stranded_auto_sends(timestamp: int) -> None:
    requeue_stranded()


register(blueprint)

"""Inbox writes: the one service layer every change goes through (UI, API, simulator, jobs).

Each action runs in one ``user_session`` transaction (RLS checks the write), keeps the lead's
rollups exact by recomputing them from its messages in SQL, and after commit announces the
change through :func:`inboxapp.inbox.hooks.workspace_changed`.

A reply or an approved draft is a message ``queued`` for delivery plus its outbox row, in the
same transaction (:mod:`inboxapp.pipeline.outbound.outbox`); its delivery job is queued after
commit. A setter may write only to the leads assigned to them: any other lead id (existing or
not) is 403 ``NOT_YOUR_LEAD`` for them, so nothing is revealed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inboxapp.db.engine import user_session
from inboxapp.db.models import ReplyDraft
from inboxapp.domain.access import Access
from inboxapp.domain.categories import D, L, M
from inboxapp.domain.vocabulary import (
    AUTO_SEND_ACTIONS,
    LEAD_STATUSES,
    POSITIVE_TAGS,
    SENTIMENT_TAGS,
)
from inboxapp.errors import BadRequest, Conflict, Forbidden, NotFound, reject_nul
from inboxapp.inbox.hooks import workspace_changed
from inboxapp.inbox.queries import require_access
from inboxapp.inbox.rollups import RECOMPUTE_LEAD_ROLLUPS
from inboxapp.pipeline.outbound import outbox
from inboxapp.pipeline.outbound.delivery import enqueue_after_commit, requeue
from inboxapp.pipeline.outbound.outbox import OB, Queued

RD: sa.Table = ReplyDraft.__table__  # type: ignore[attr-defined]
MAX_BODY = 10_000
MAX_SNOOZE = timedelta(days=365)


@contextmanager
def writing(user_id: uuid.UUID, client_id: uuid.UUID) -> Iterator[tuple[Session, Access]]:
    """A write transaction for a caller allowed to change leads; announces the change."""
    with user_session(user_id) as s:
        access = require_access(s, user_id, client_id)
        if not access.can_write:
            raise Forbidden("READ_ONLY_ROLE", "your role in this workspace is read-only")
        yield s, access
    workspace_changed(client_id)


def _not_visible(access: Access, code: str, message: str) -> Exception:
    """A row the caller cannot see: 403 for a setter (only their own leads), else 404."""
    if access.is_setter:
        return Forbidden("NOT_YOUR_LEAD", "setters can only act on the leads assigned to them")
    return NotFound(code, message)


def _locked(
    s: Session, access: Access, table: sa.Table, row_id: uuid.UUID, code: str, message: str
) -> Any:
    """The row of ``table`` in the caller's workspace, locked for the update; else 403/404."""
    row = s.execute(
        sa.select(table)
        .where(table.c.id == row_id, table.c.clientId == access.client_id)
        .with_for_update()
    ).first()
    if row is None:
        raise _not_visible(access, code, message)
    return row


def locked_lead(s: Session, access: Access, lead_id: uuid.UUID) -> Any:
    """The caller's lead, locked for the update (403 for a setter's other leads, else 404)."""
    message = "no such conversation in this workspace"
    return _locked(s, access, L, lead_id, "LEAD_NOT_FOUND", message)


def _clean_body(body: str) -> str:
    reject_nul(body, "message")
    text = (body or "").strip()
    if not text:
        raise BadRequest("EMPTY_BODY", "write a message first")
    if len(text) > MAX_BODY:
        raise BadRequest("BODY_TOO_LONG", f"messages are limited to {MAX_BODY} characters")
    return text


def _default_channel(s: Session, lead_id: uuid.UUID) -> str:
    channel = s.execute(
        sa.select(M.c.channel)
        .where(M.c.leadId == lead_id)
        .order_by(
            sa.case((M.c.direction == "inbound", 0), else_=1), M.c.sentAt.desc(), M.c.id.desc()
        )
        .limit(1)
    ).scalar_one_or_none()
    return channel or "email"


def _send(
    s: Session,
    client_id: uuid.UUID,
    user_id: uuid.UUID | None,
    lead: Any,
    body: str,
    *,
    channel: str | None,
    sent_by: str,
    draft_id: uuid.UUID | None = None,
    request_key: str | None = None,
) -> Queued:
    """Insert the outbound message as ``queued`` and its outbox row (delivered after commit);
    ``lead`` is the locked lead row, ``user_id`` None for the workspace's own sends (auto-send)."""
    if channel is not None and channel not in ("email", "sms", "linkedin"):
        raise BadRequest("INVALID_CHANNEL", "channel must be email, sms or linkedin")
    text = _clean_body(body)
    channel = channel or _default_channel(s, lead.id)
    provider = outbox.choose_provider(s, lead, channel)
    message_id = uuid.uuid4()
    s.execute(
        sa.insert(M).values(
            id=message_id,
            clientId=client_id,
            leadId=lead.id,
            channel=channel,
            source="zrg",
            direction="outbound",
            sentBy=sent_by,
            sentByUserId=user_id,
            aiDraftId=draft_id,
            body=text,
            sentAt=sa.func.clock_timestamp(),
            isRead=True,
            provider=provider.value,
            deliveryStatus="queued",
        )
    )
    s.execute(RECOMPUTE_LEAD_ROLLUPS, {"lead_id": lead.id})
    return outbox.queue(
        s,
        client_id=client_id,
        lead_id=lead.id,
        message_id=message_id,
        provider=provider,
        user_id=user_id,
        request_key=request_key,
    )


def send_as_workspace(s: Session, client_id: uuid.UUID, draft: Any) -> Queued:
    """Send a pending AI draft with no person involved (auto-send), inside the caller's
    ``workspace_session``: the same message and outbox row an approval writes."""
    lead = s.execute(sa.select(L).where(L.c.id == draft.leadId).with_for_update()).one()
    queued = _send(
        s, client_id, None, lead, draft.body, channel=draft.channel, sent_by="ai",
        draft_id=draft.id,
    )  # fmt: skip
    s.execute(
        sa.update(D).where(D.c.id == draft.id).values(status="approved", updatedAt=sa.func.now())
    )
    return queued


def send_reply(
    user_id: uuid.UUID,
    client_id: uuid.UUID,
    lead_id: uuid.UUID,
    body: str,
    channel: str | None = None,
    *,
    request_key: str | None = None,
) -> Queued:
    """Queue an outbound message as the caller. With ``request_key`` (an ``Idempotency-Key``)
    a repeat answers the message the first request created and queues nothing; the same key
    for another lead or body is 409 ``IDEMPOTENCY_KEY_REUSED``."""
    key = outbox.check_request_key(request_key)
    replayed: Queued | None = None
    with writing(user_id, client_id) as (s, access):
        if key is not None:
            outbox.lock_request(s, client_id, user_id, key)
            earlier = outbox.find_request(s, client_id, user_id, key)
            if earlier is not None:
                if earlier.leadId != lead_id or earlier.body != _clean_body(body):
                    raise Conflict(
                        "IDEMPOTENCY_KEY_REUSED",
                        "this Idempotency-Key was used for another message",
                    )
                replayed = Queued(
                    earlier.messageId, earlier.id, earlier.deliveryStatus or "sent", replayed=True
                )
        if replayed is None:
            lead = locked_lead(s, access, lead_id)
            queued = _send(
                s, client_id, user_id, lead, body, channel=channel, sent_by="setter",
                request_key=key,
            )  # fmt: skip
            s.execute(sa.delete(RD).where(RD.c.userId == user_id, RD.c.leadId == lead_id))
    if replayed is not None:
        return replayed
    enqueue_after_commit(client_id, queued.outbox_id)
    return queued


def reply(
    user_id: uuid.UUID,
    client_id: uuid.UUID,
    lead_id: uuid.UUID,
    body: str,
    channel: str | None = None,
) -> str:
    """Queue an outbound message as the caller; returns the new message id."""
    return str(send_reply(user_id, client_id, lead_id, body, channel).message_id)


def retry_delivery(user_id: uuid.UUID, client_id: uuid.UUID, message_id: uuid.UUID) -> Queued:
    """Put a ``failed`` send back in the queue (a fresh attempt budget); 409 ``NOT_FAILED``
    for a message that is not failed."""
    with writing(user_id, client_id) as (s, access):
        message = s.execute(
            sa.select(M.c.id, M.c.leadId).where(
                M.c.id == message_id, M.c.clientId == access.client_id
            )
        ).first()
        if message is None:
            raise _not_visible(access, "MESSAGE_NOT_FOUND", "no such message in this workspace")
        locked_lead(s, access, message.leadId)
        row = s.execute(sa.select(OB).where(OB.c.messageId == message_id).with_for_update()).first()
        if row is None:
            raise Conflict("NOT_FAILED", "this message was not sent by the app: nothing to retry")
        if row.state != "failed":
            raise Conflict("NOT_FAILED", f"only a failed send can be retried (it is {row.state})")
        s.execute(
            sa.update(OB)
            .where(OB.c.id == row.id)
            .values(
                state="queued", attempts=0, nextAttemptAt=sa.func.now(), updatedAt=sa.func.now()
            )
        )
        s.execute(
            sa.update(M)
            .where(M.c.id == message_id)
            .values(deliveryStatus="queued", deliveryError=None)
        )
    requeue(client_id, row.id)
    return Queued(message_id, row.id, "queued")


def mark_read(user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID) -> None:
    with writing(user_id, client_id) as (s, access):
        locked_lead(s, access, lead_id)
        read_in(s, lead_id)


def read_in(s: Session, lead_id: uuid.UUID) -> list[str]:
    """Mark the lead's unread inbound messages read (the lead is already checked and locked);
    returns their ids (what an undo marks unread again)."""
    done = s.execute(
        sa.update(M)
        .where(M.c.leadId == lead_id, M.c.direction == "inbound", M.c.isRead.is_(False))
        .values(isRead=True)
        .returning(M.c.id)
    ).scalars()
    ids = [str(m) for m in done]
    if ids:
        s.execute(RECOMPUTE_LEAD_ROLLUPS, {"lead_id": lead_id})
    return ids


def unread_in(s: Session, lead_id: uuid.UUID, message_ids: list[uuid.UUID]) -> None:
    """Those inbound messages of the lead unread again (an undone "mark read")."""
    s.execute(
        sa.update(M)
        .where(M.c.leadId == lead_id, M.c.direction == "inbound", M.c.id.in_(message_ids))
        .values(isRead=False)
    )
    s.execute(RECOMPUTE_LEAD_ROLLUPS, {"lead_id": lead_id})


def mark_unread(user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID) -> None:
    """The lead's newest message from them is unread again (``u`` in the inbox)."""
    with writing(user_id, client_id) as (s, access):
        locked_lead(s, access, lead_id)
        newest = (
            sa.select(M.c.id)
            .where(M.c.leadId == lead_id, M.c.direction == "inbound")
            .order_by(M.c.sentAt.desc(), M.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        done = s.execute(sa.update(M).where(M.c.id == newest).values(isRead=False))
        if not done.rowcount:  # type: ignore[attr-defined]
            raise Conflict("NOTHING_TO_MARK", "the lead has not written yet")
        s.execute(RECOMPUTE_LEAD_ROLLUPS, {"lead_id": lead_id})


def snooze(
    user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID, until: datetime | None
) -> None:
    """Snooze until ``until`` (UTC-aware), or wake the lead with ``None``."""
    check_snooze(until)
    with writing(user_id, client_id) as (s, access):
        locked_lead(s, access, lead_id)
        snooze_in(s, lead_id, until)


def check_snooze(until: datetime | None) -> None:
    """A snooze ends in the future, within a year, with a time zone (None: wake up)."""
    if until is None:
        return
    if until.tzinfo is None:
        raise BadRequest("INVALID_SNOOZE", "snooze time needs a time zone")
    now = datetime.now(UTC)
    if until <= now or until - now > MAX_SNOOZE:
        raise BadRequest("INVALID_SNOOZE", "snooze must end in the future, within a year")


def snooze_in(s: Session, lead_id: uuid.UUID, until: datetime | None) -> None:
    s.execute(
        sa.update(L).where(L.c.id == lead_id).values(snoozedUntil=until, updatedAt=sa.func.now())
    )


def set_sentiment(user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID, tag: str) -> None:
    """Change the sentiment; the first positive sentiment assigns a setter round-robin (once)."""
    if tag not in SENTIMENT_TAGS:
        raise BadRequest("INVALID_SENTIMENT", f"unknown sentiment tag {tag!r}")
    with writing(user_id, client_id) as (s, access):
        lead = locked_lead(s, access, lead_id)
        values: dict[str, Any] = {"sentimentTag": tag, "updatedAt": sa.func.now()}
        if tag in POSITIVE_TAGS:
            values.update(first_positive(s, access.client_id, lead))
        s.execute(sa.update(L).where(L.c.id == lead_id).values(**values))


def first_positive(s: Session, client_id: uuid.UUID, lead: Any) -> dict[str, Any]:
    """Lead values for turning positive: the first time stamps ``positiveAt`` and, when the
    lead has no setter, assigns the workspace's next setter round-robin (shared with the
    webhook pipeline, which calls it inside its own workspace session)."""
    if lead.positiveAt is not None:
        return {}
    values: dict[str, Any] = {"positiveAt": sa.func.now()}
    if lead.assignedToUserId is None:
        setter = s.execute(
            sa.text("SELECT app.next_round_robin_setter(:c)"), {"c": client_id}
        ).scalar_one_or_none()
        if setter is not None:
            values.update(assignedToUserId=setter, assignedAt=sa.func.now())
    return values


def set_status(user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID, status: str) -> None:
    check_status(status)
    with writing(user_id, client_id) as (s, access):
        locked_lead(s, access, lead_id)
        status_in(s, lead_id, status)


def check_status(status: str) -> None:
    if status not in LEAD_STATUSES:
        raise BadRequest("INVALID_STATUS", f"unknown status {status!r}")


def status_in(s: Session, lead_id: uuid.UUID, status: str) -> None:
    s.execute(sa.update(L).where(L.c.id == lead_id).values(status=status, updatedAt=sa.func.now()))


def assign(
    user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID, assignee: uuid.UUID | None
) -> None:
    """Assign to a setter of the workspace (or unassign). OWNER, ADMIN, INBOX_MANAGER only."""
    with writing(user_id, client_id) as (s, access):
        check_can_assign(s, access, assignee)
        locked_lead(s, access, lead_id)
        assign_in(s, lead_id, assignee)


def check_can_assign(s: Session, access: Access, assignee: uuid.UUID | None) -> None:
    """The caller manages the workspace and ``assignee`` (unless None) is one of its setters."""
    if not access.can_manage:
        raise Forbidden("NOT_ALLOWED", "only admins and inbox managers can assign leads")
    if assignee is None:
        return
    is_setter = s.execute(
        sa.text(
            'SELECT 1 FROM "ClientMember" WHERE "clientId" = :c AND "userId" = :u'
            " AND role = 'SETTER'"
        ),
        {"c": access.client_id, "u": assignee},
    ).first()
    if is_setter is None:
        raise BadRequest("NOT_A_SETTER", "leads can only be assigned to this workspace's setters")


def assign_in(s: Session, lead_id: uuid.UUID, assignee: uuid.UUID | None) -> None:
    s.execute(
        sa.update(L)
        .where(L.c.id == lead_id)
        .values(
            assignedToUserId=assignee,
            assignedAt=sa.func.now() if assignee else None,
            updatedAt=sa.func.now(),
        )
    )


def _pending_draft(s: Session, access: Access, draft_id: uuid.UUID) -> Any:
    draft = _locked(s, access, D, draft_id, "DRAFT_NOT_FOUND", "no such draft in this workspace")
    if draft.status != "pending":
        raise Conflict("DRAFT_NOT_PENDING", f"this draft was already {draft.status}")
    return draft


def _finish_draft(s: Session, access: Access, draft_id: uuid.UUID, **values: Any) -> None:
    s.execute(
        sa.update(D)
        .where(D.c.id == draft_id)
        .values(reviewedByUserId=access.user_id, updatedAt=sa.func.now(), **values)
    )


def approve_draft(
    user_id: uuid.UUID, client_id: uuid.UUID, draft_id: uuid.UUID, body: str | None = None
) -> str:
    """Send the (optionally edited) AI draft as an AI message; returns the message id."""
    return str(send_draft(user_id, client_id, draft_id, body).message_id)


def send_draft(
    user_id: uuid.UUID, client_id: uuid.UUID, draft_id: uuid.UUID, body: str | None = None
) -> Queued:
    """:func:`approve_draft`, answering the queued message and its delivery status."""
    with writing(user_id, client_id) as (s, access):
        draft = _pending_draft(s, access, draft_id)
        text = body if body is not None else draft.body
        lead = locked_lead(s, access, draft.leadId)
        queued = _send(
            s, client_id, user_id, lead, text, channel=draft.channel, sent_by="ai",
            draft_id=draft.id,
        )  # fmt: skip
        _finish_draft(s, access, draft_id, status="approved", body=_clean_body(text))
    enqueue_after_commit(client_id, queued.outbox_id)
    return queued


def edit_draft(user_id: uuid.UUID, client_id: uuid.UUID, draft_id: uuid.UUID, body: str) -> None:
    with writing(user_id, client_id) as (s, access):
        _pending_draft(s, access, draft_id)
        s.execute(
            sa.update(D)
            .where(D.c.id == draft_id)
            .values(body=_clean_body(body), updatedAt=sa.func.now())
        )


def cancel_auto_send(user_id: uuid.UUID, client_id: uuid.UUID, draft_id: uuid.UUID) -> None:
    """Stop a draft's scheduled auto-send: it waits for review like any other draft."""
    with writing(user_id, client_id) as (s, access):
        draft = _pending_draft(s, access, draft_id)
        if draft.autoSendAction not in AUTO_SEND_ACTIONS:
            raise Conflict("NOT_AUTO_SEND", "this draft is not scheduled to send itself")
        s.execute(
            sa.update(D)
            .where(D.c.id == draft_id)
            .values(autoSendAction="needs_review", sendAfter=None, updatedAt=sa.func.now())
        )
        s.execute(sa.update(L).where(L.c.id == draft.leadId).values(updatedAt=sa.func.now()))


UNDO_WINDOW = timedelta(minutes=15)


def restore_draft(user_id: uuid.UUID, client_id: uuid.UUID, draft_id: uuid.UUID) -> None:
    """Undo a rejection: the caller's own, recent one, while no newer draft replaced it."""
    with writing(user_id, client_id) as (s, access):
        draft = s.execute(
            sa.select(D).where(D.c.id == draft_id, D.c.clientId == access.client_id)
            .with_for_update()
        ).first()  # fmt: skip
        if draft is None:
            raise _not_visible(access, "DRAFT_NOT_FOUND", "no such draft in this workspace")
        locked_lead(s, access, draft.leadId)
        newer = s.execute(
            sa.select(D.c.id).where(D.c.leadId == draft.leadId, D.c.status == "pending")
        ).first()
        recent = s.execute(sa.select(sa.func.now() - draft.updatedAt < UNDO_WINDOW)).scalar()
        if (draft.status != "rejected" or draft.reviewedByUserId != user_id or newer is not None
                or not recent):  # fmt: skip
            raise Conflict("CANNOT_UNDO", "this draft can no longer be restored")
        s.execute(
            sa.update(D)
            .where(D.c.id == draft_id)
            .values(status="pending", reviewedByUserId=None, updatedAt=sa.func.now())
        )
        s.execute(sa.update(L).where(L.c.id == draft.leadId).values(updatedAt=sa.func.now()))


def reject_draft(user_id: uuid.UUID, client_id: uuid.UUID, draft_id: uuid.UUID) -> None:
    with writing(user_id, client_id) as (s, access):
        draft = _pending_draft(s, access, draft_id)
        _finish_draft(s, access, draft_id, status="rejected")
        s.execute(sa.update(L).where(L.c.id == draft.leadId).values(updatedAt=sa.func.now()))

"""Unsent replies, kept on the server per person and conversation (``ReplyDraft``).

The reply box saves what is typed (debounced) through :func:`save`; opening the conversation
again, on any device, brings it back (:func:`load`); sending the reply removes it (in the
reply's own transaction, :func:`inboxapp.inbox.actions.send_reply`). Row level
security keeps every draft its author's own. A draft of a lead the author can no longer see
(it was reassigned away from a setter) stays readable to them, so the text is never lost, and
:func:`reassigned_to` tells them who has the conversation now.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from inboxapp.db.engine import user_session
from inboxapp.db.models import ReplyDraft
from inboxapp.errors import BadRequest, Forbidden, reject_nul
from inboxapp.inbox.queries import require_access

R: sa.Table = ReplyDraft.__table__  # type: ignore[attr-defined]
MAX_CHARS = 10_000


def save(user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID, body: str) -> None:
    """Keep ``body`` as the caller's unsent reply to the lead ("" or spaces: forget it)."""
    text = body if isinstance(body, str) else ""
    reject_nul(text, "reply")
    if len(text) > MAX_CHARS:
        raise BadRequest("BODY_TOO_LONG", f"messages are limited to {MAX_CHARS} characters")
    with user_session(user_id) as s:
        if not require_access(s, user_id, client_id).can_write:
            raise Forbidden("READ_ONLY_ROLE", "your role in this workspace is read-only")
        mine = (R.c.userId == user_id, R.c.leadId == lead_id)
        if not text.strip():
            s.execute(sa.delete(R).where(*mine))
            return
        visible = s.execute(
            sa.text('SELECT 1 FROM "Lead" WHERE id = :l AND "clientId" = :c'),
            {"l": lead_id, "c": client_id},
        ).first()
        if visible is None:
            raise Forbidden("NOT_YOUR_LEAD", "this conversation is not yours to answer")
        statement = pg_insert(R).values(
            userId=user_id, leadId=lead_id, clientId=client_id, body=text
        )
        s.execute(
            statement.on_conflict_do_update(
                index_elements=["userId", "leadId"],
                set_={"body": statement.excluded.body, "updatedAt": sa.func.now()},
            )
        )


def load(user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID) -> str:
    """The caller's unsent reply to the lead ("" when there is none)."""
    with user_session(user_id) as s:
        body = s.execute(
            sa.select(R.c.body).where(
                R.c.userId == user_id, R.c.leadId == lead_id, R.c.clientId == client_id
            )
        ).scalar_one_or_none()
    return str(body or "")


def reassigned_to(user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID) -> str | None:
    """Who has the lead now, for the author of an unsent reply to it that is no longer theirs:
    the assignee's name, ``""`` when it is unassigned, None when the caller has no unsent reply
    to it or it is still theirs (``app.reply_draft_assignee``, migration 0018)."""
    with user_session(user_id) as s:
        name = s.execute(
            sa.text("SELECT app.reply_draft_assignee(:c, :l)"), {"c": client_id, "l": lead_id}
        ).scalar_one_or_none()
    return None if name is None else str(name)

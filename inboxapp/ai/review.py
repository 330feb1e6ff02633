"""What a person asks of the AI in a conversation: regenerate the draft (optionally with an
instruction). Approve, edit, reject and cancel auto-send are inbox actions
(:mod:`inboxapp.inbox.actions`); they need no provider."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from inboxapp.db.engine import user_session
from inboxapp.domain.categories import L
from inboxapp.errors import BadRequest, Conflict, Forbidden, NotFound, reject_nul
from inboxapp.inbox.queries import require_access

from .drafting import latest_inbound
from .jobs import enqueue_draft

MAX_INSTRUCTION = 500


def regenerate(
    user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID, instruction: str | None = None
) -> None:
    """Queue a new draft for the lead's newest inbound message (it supersedes the pending one
    when it is stored); the caller must be allowed to write to the lead."""
    text = (instruction or "").strip()
    reject_nul(text, "instruction")
    if len(text) > MAX_INSTRUCTION:
        raise BadRequest("INSTRUCTION_TOO_LONG", f"at most {MAX_INSTRUCTION} characters")
    with user_session(user_id) as s:
        access = require_access(s, user_id, client_id)
        if not access.can_write:
            raise Forbidden("READ_ONLY_ROLE", "your role in this workspace is read-only")
        lead = s.execute(
            sa.select(L.c.id, L.c.status).where(L.c.id == lead_id, L.c.clientId == client_id)
        ).first()
        if lead is None:
            if access.is_setter:
                raise Forbidden("NOT_YOUR_LEAD", "setters can only act on their own leads")
            raise NotFound("LEAD_NOT_FOUND", "no such conversation in this workspace")
        if lead.status == "blacklisted":
            raise Conflict("LEAD_OPTED_OUT", "this lead opted out: no drafts")
        latest = latest_inbound(s, lead_id)
    if latest is None:
        raise Conflict("NOTHING_TO_ANSWER", "the lead has not written yet")
    enqueue_draft(client_id, lead_id, latest, text or "regenerate")

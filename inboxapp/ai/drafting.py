"""Drafting one reply: the request from the database, the provider, the safety checks, storage.

:func:`generate` works "as of" the message it answers: the thread up to that message and the
examples only from replies sent before it, so the pipeline (the message is the newest) and the
replay (a historical one) ask the same question. It writes nothing. :func:`store` writes the
draft: ``pending`` (or ``blocked`` with the failed checks and no body when a check failed or the
provider gave nothing), superseding the lead's older pending drafts, in one transaction that
also touches the lead (so counts and live updates follow); the replay stores ``replay`` rows.
Everything runs as the workspace service: row level security keeps it inside the workspace.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inboxapp.db.engine import workspace_session
from inboxapp.domain.categories import D, L, M
from inboxapp.logs import get_logger

from . import safety
from .provider import (
    PROMPT_CANARY,
    TRANSCRIPT_MESSAGES,
    DraftProvider,
    DraftRequest,
    DraftResult,
    Example,
    LeadFacts,
    ProviderError,
    Turn,
    WorkspaceAI,
)
from .registry import provider_for
from .safety import Failure
from .settings import load
from .usage import record_usage

log = get_logger(__name__)
EXAMPLE_CANDIDATES = 2000
"""Newest inbound messages of the workspace searched for similar answered ones."""
EXAMPLES = 3
MAX_QUERY_WORDS = 30


class NotDraftable(Exception):
    """The message is not an inbound message of this workspace."""


@dataclass
class Outcome:
    request: DraftRequest
    trigger_id: uuid.UUID
    result: DraftResult | None = None
    failures: list[Failure] = field(default_factory=list)
    error_code: str | None = None

    @property
    def body(self) -> str:
        return self.result.body if self.result else ""

    @property
    def safe(self) -> bool:
        return self.result is not None and not self.failures


# -- the request -------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    seen = dict.fromkeys(w for w in re.findall(r"[a-z0-9]{3,}", (text or "").lower()))
    return list(seen)[:MAX_QUERY_WORDS]


_EXAMPLES = sa.text(
    f"""
    WITH recent AS (
      SELECT m.id, m."leadId", m.body, m."sentAt" FROM "Message" m
      WHERE m."clientId" = :client AND m.direction = 'inbound' AND m."sentAt" < :as_of
        AND m.id <> :trigger
      ORDER BY m."sentAt" DESC LIMIT {EXAMPLE_CANDIDATES}
    ), answered AS (
      SELECT r.body, rep.body AS reply, r."sentAt", l."firstName", l."lastName", l.company,
             l.email, l.phone
      FROM recent r
      JOIN LATERAL (
        SELECT o.body, o."sentBy", o."deliveryStatus" FROM "Message" o
        WHERE o."leadId" = r."leadId" AND o."sentAt" > r."sentAt" AND o."sentAt" < :as_of
        ORDER BY o."sentAt", o.id LIMIT 1) rep
        ON rep."sentBy" IN ('setter', 'ai') AND coalesce(rep."deliveryStatus", 'sent') = 'sent'
      JOIN "Lead" l ON l.id = r."leadId"
    )
    SELECT *, ts_rank(to_tsvector('english', body), to_tsquery('english', :query)) AS score
    FROM answered WHERE to_tsvector('english', body) @@ to_tsquery('english', :query)
    ORDER BY score DESC, "sentAt" DESC LIMIT {EXAMPLES}
    """
)


def _templatize(reply: str, row: Any, settings: WorkspaceAI) -> str:
    """The other lead's facts (and our link and signature) as placeholders."""
    text = reply
    if settings.signature.strip():
        text = text.replace(settings.signature.strip(), "{signature}")
    if settings.booking_link:
        text = text.replace(settings.booking_link, "{booking_link}")
    for value, placeholder in (
        (row.email, "{email}"),
        (row.phone, "{phone}"),
        (row.company, "{company}"),
        (row.firstName, "{first_name}"),
        (row.lastName, "{last_name}"),
    ):
        if value and len(value) > 1:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", placeholder, text)
    return text


def examples(
    s: Session, client_id: uuid.UUID, trigger: Any, settings: WorkspaceAI
) -> list[Example]:
    words = _words(trigger.body)
    if not words:
        return []
    rows = s.execute(
        _EXAMPLES,
        {"client": client_id, "as_of": trigger.sentAt, "trigger": trigger.id,
         "query": " | ".join(words)},
    ).all()  # fmt: skip
    found = [Example(r.body, _templatize(r.reply, r, settings), float(r.score)) for r in rows]
    # an example that still holds a contact placeholder cannot be filled safely
    return [e for e in found if "{email}" not in e.reply and "{phone}" not in e.reply]


def build_request(
    s: Session,
    client_id: uuid.UUID,
    trigger_id: uuid.UUID,
    *,
    instruction: str | None = None,
    settings: WorkspaceAI | None = None,
) -> tuple[DraftRequest, Any]:
    trigger = s.execute(sa.select(M).where(M.c.id == trigger_id, M.c.clientId == client_id)).first()
    if trigger is None or trigger.direction != "inbound":
        raise NotDraftable("not an inbound message of this workspace")
    lead = s.execute(sa.select(L).where(L.c.id == trigger.leadId)).one()
    settings = settings or load(s, client_id)
    rows = s.execute(
        sa.select(M.c.direction, M.c.body, M.c.sentAt, M.c.channel)
        .where(M.c.leadId == lead.id, M.c.sentAt <= trigger.sentAt)
        .order_by(M.c.sentAt.desc(), M.c.id.desc())
        .limit(TRANSCRIPT_MESSAGES)
    ).all()
    transcript = [Turn(r.direction, r.body, r.sentAt, r.channel) for r in reversed(rows)]
    if not transcript or transcript[-1].body != trigger.body:
        transcript = [*transcript[-(TRANSCRIPT_MESSAGES - 1):], Turn("inbound", trigger.body,
                      trigger.sentAt, trigger.channel)]  # fmt: skip
    facts = LeadFacts(
        lead.id, lead.firstName, lead.lastName, lead.company, lead.email, lead.phone,
        lead.status, trigger.sentiment,
    )  # fmt: skip
    request = DraftRequest(
        client_id=client_id,
        lead=facts,
        channel=trigger.channel,
        transcript=tuple(transcript),
        settings=settings,
        examples=tuple(examples(s, client_id, trigger, settings)),
        instruction=(instruction or "").strip()[:500] or None,
    )
    return request, trigger


def foreign_names(s: Session, client_id: uuid.UUID, lead: LeadFacts, body: str) -> list[str]:
    """Full names of other leads of the workspace that ``body`` mentions."""
    pairs = safety.name_pairs(body, (lead.first_name, lead.last_name))
    if not pairs:
        return []
    rows = s.execute(
        sa.text(
            'SELECT DISTINCT lower(l."firstName") || \' \' || lower(l."lastName") FROM "Lead" l'
            " JOIN unnest(CAST(:firsts AS text[]), CAST(:lasts AS text[])) AS p(f, s)"
            '   ON lower(l."firstName") = p.f AND lower(l."lastName") = p.s'
            ' WHERE l."clientId" = :client AND l.id <> :lead'
        ),
        {"firsts": [a for a, _ in pairs], "lasts": [b for _, b in pairs], "client": client_id,
         "lead": lead.id},
    ).scalars()  # fmt: skip
    return list(rows)


def run_checks(s: Session, request: DraftRequest, body: str) -> list[Failure]:
    failures = safety.check(request, body, canary=PROMPT_CANARY)
    names = foreign_names(s, request.client_id, request.lead, body) if body else []
    return failures + safety.foreign_name_failure(names)


def recheck(s: Session, client_id: uuid.UUID, draft: Any) -> list[Failure]:
    """The checks of a stored draft against its lead and thread as they are now."""
    request, _ = build_request(s, client_id, draft.triggerMessageId)
    return run_checks(s, request, draft.body)


def recheck_stored(client_id: uuid.UUID, draft_id: uuid.UUID) -> list[Failure]:
    with workspace_session(client_id) as s:
        draft = s.execute(sa.select(D).where(D.c.id == draft_id)).one()
        return recheck(s, client_id, draft)


def generate(
    client_id: uuid.UUID,
    trigger_id: uuid.UUID,
    *,
    instruction: str | None = None,
    settings: WorkspaceAI | None = None,
    provider: DraftProvider | None = None,
) -> Outcome:
    """A checked draft for one inbound message, as of that message (writes nothing)."""
    with workspace_session(client_id) as s:
        request, _ = build_request(
            s, client_id, trigger_id, instruction=instruction, settings=settings
        )
    outcome = Outcome(request, trigger_id)
    try:
        outcome.result = (provider or provider_for(request.settings)).draft(request)
    except ProviderError as exc:
        outcome.error_code = exc.code
        log.warning("ai.draft_failed", clientId=str(client_id), code=exc.code)
        return outcome
    with workspace_session(client_id) as s:
        outcome.failures = run_checks(s, request, outcome.body)
        if outcome.result.provider != "local":
            record_usage(s, client_id, outcome.result)
    return outcome


# -- storing -----------------------------------------------------------------------------------


def _action(settings: WorkspaceAI) -> tuple[str, timedelta | None]:
    if settings.auto_send_mode != "send":
        return "needs_review", None
    delay = timedelta(minutes=settings.auto_send_delay_minutes)
    return ("send_immediate" if not delay else "send_delayed"), delay


def store(
    client_id: uuid.UUID,
    outcome: Outcome,
    *,
    status: str = "pending",
    replay_run_id: str | None = None,
) -> uuid.UUID:
    """Write the outcome as a draft; a ``pending`` one supersedes the lead's older pending
    drafts. An unsafe or failed outcome is stored ``blocked``: no body, the reasons kept."""
    request = outcome.request
    blocked = not outcome.safe
    reasons = [f.as_json() for f in outcome.failures]
    if outcome.error_code:
        reasons.append({"code": outcome.error_code, "detail": "the provider gave no draft"})
    action, delay = _action(request.settings)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "clientId": client_id,
        "leadId": request.lead.id,
        "triggerMessageId": outcome.trigger_id,
        "channel": request.channel,
        "body": "" if blocked and status != "replay" else outcome.body,
        "status": "blocked" if blocked and status == "pending" else status,
        "autoSendAction": "error" if blocked else action,
        "instruction": request.instruction,
        "provider": outcome.result.provider if outcome.result else request.settings.provider,
        "model": outcome.result.model if outcome.result else request.settings.model,
        "safety": reasons,
        "replayRunId": replay_run_id,
    }
    with workspace_session(client_id) as s:
        if status == "pending":
            s.execute(sa.select(L.c.id).where(L.c.id == request.lead.id).with_for_update())
            if not blocked:
                s.execute(
                    sa.update(D)
                    .where(D.c.leadId == request.lead.id, D.c.status == "pending")
                    .values(status="superseded", updatedAt=sa.func.now())
                )
            if delay is not None and not blocked:
                values["sendAfter"] = sa.func.now() + delay
            s.execute(sa.update(L).where(L.c.id == request.lead.id).values(updatedAt=sa.func.now()))
        s.execute(sa.insert(D).values(**values))
    return uuid.UUID(str(values["id"]))


def delete_replay_drafts(client_id: uuid.UUID, run_id: str) -> int:
    with workspace_session(client_id) as s:
        result = s.execute(sa.delete(D).where(D.c.replayRunId == run_id, D.c.status == "replay"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def latest_inbound(s: Session, lead_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the lead's latest inbound message (None before the lead wrote)."""
    latest: uuid.UUID | None = s.execute(
        sa.select(M.c.id)
        .where(M.c.leadId == lead_id, M.c.direction == "inbound")
        .order_by(M.c.sentAt.desc(), M.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return latest


def is_latest_inbound(s: Session, lead_id: uuid.UUID, message_id: uuid.UUID) -> bool:
    return latest_inbound(s, lead_id) == message_id

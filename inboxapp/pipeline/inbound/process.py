"""Apply one internal event to its workspace (shared by every provider).

:func:`apply_event` runs inside the caller's ``workspace_session`` (row level security keeps
it in that workspace) and is idempotent: the same event twice leaves the same rows, and
events of one lead that arrive in any order converge, because every rule below depends on the
messages stored, not on the order they came in:

* **Lead**: matched by the provider's lead id, then email (lower-cased), phone (E.164),
  LinkedIn URL; created when none matches; missing identity fields are filled in, never
  overwritten. Concurrent events of one new lead serialize on advisory locks of its identity
  keys, so they cannot create it twice.
* **Campaign**: upserted by the provider's campaign id.
* **Message**: inserted once per ``(workspace, provider, provider message id)``; the body is
  cleaned (:mod:`.cleaning`), the raw text and HTML kept; inbound messages are classified
  (:mod:`.classifier`). A later "interested" event for a stored reply upgrades its sentiment.
* **Sentiment and status**: the lead's tag is the tag of its latest inbound message (any
  reply wakes a snoozed lead); its status follows the latest reply whose tag maps to one
  (:data:`~inboxapp.domain.vocabulary.SENTIMENT_STATUS`). A positive reply stamps
  ``positiveAt`` and assigns a setter round-robin, once. Bounces, unsubscribes and opt-out
  replies blacklist the lead for good (later replies are kept but change neither) and reject
  its pending drafts; a newer reply supersedes the pending drafts that answered older ones
  (the draft job, :mod:`inboxapp.ai.jobs`, is queued after commit).
* **Rollups** are recomputed from the messages
  (:data:`~inboxapp.inbox.rollups.RECOMPUTE_LEAD_ROLLUPS`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from inboxapp.db.models import Campaign
from inboxapp.domain.categories import D, L, M
from inboxapp.domain.vocabulary import POSITIVE_TAGS, SENTIMENT_STATUS
from inboxapp.inbox.actions import first_positive
from inboxapp.inbox.rollups import RECOMPUTE_LEAD_ROLLUPS
from inboxapp.logs import get_logger
from inboxapp.pipeline.providers import LABELS

from . import identity
from .classifier import ClassifierInput, ThreadMessage, get_classifier
from .cleaning import clean_body
from .event import INBOUND_KINDS, InboundEvent, Kind, LeadRef

C: sa.Table = Campaign.__table__  # type: ignore[attr-defined]
log = get_logger(__name__)
THREAD_MESSAGES = 40
"""Earlier messages handed to the classifier."""
BLACKLIST = "Blacklist"


@dataclass(frozen=True)
class Applied:
    lead_id: uuid.UUID | None
    message_id: uuid.UUID | None
    changed: bool
    """False when nothing was written (a repeat, an open): no change to announce."""


@dataclass(frozen=True)
class Identity:
    external_id: str | None
    email: str | None
    phone: str | None
    linkedin_url: str | None

    @classmethod
    def of(cls, ref: LeadRef) -> Identity:
        return cls(
            ref.external_id,
            identity.email(ref.email),
            identity.phone(ref.phone),
            identity.linkedin_url(ref.linkedin_url),
        )

    def lock_keys(self, client_id: uuid.UUID, provider: str) -> list[str]:
        keys = [
            f"x:{provider}:{self.external_id}" if self.external_id else None,
            f"e:{self.email}" if self.email else None,
            f"p:{self.phone}" if self.phone else None,
            f"l:{self.linkedin_url}" if self.linkedin_url else None,
        ]
        return sorted(f"inbound:{client_id}:{k}" for k in keys if k)


def apply_event(s: Session, client_id: uuid.UUID, event: InboundEvent) -> Applied:
    who = Identity.of(event.lead)
    if event.kind is Kind.OPENED:
        log.info("webhook.opened", provider=event.provider.value, clientId=str(client_id))
        return Applied(None, None, changed=False)
    keys = who.lock_keys(client_id, event.provider.value)
    if not keys:
        raise ValueError("the event names no lead (no id, email, phone or LinkedIn URL)")
    s.execute(
        sa.text(
            "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))"
            " FROM unnest(CAST(:keys AS text[])) k"
        ),
        {"keys": keys},
    )
    campaign_id = _campaign(s, client_id, event)
    lead = _find_or_create_lead(s, client_id, event, who, campaign_id)
    message_id, sentiment, changed = _message(s, client_id, lead, event)
    if event.kind is Kind.UNSUBSCRIBED or event.kind is Kind.BOUNCED:
        changed |= _blacklist(s, lead.id)
    elif event.kind in INBOUND_KINDS and (changed or message_id is None):
        tag = sentiment if message_id is not None else event.sentiment_hint or "Interested"
        changed |= _follow_replies(s, client_id, lead, message_id, tag or "", event)
    if changed:
        s.execute(RECOMPUTE_LEAD_ROLLUPS, {"lead_id": lead.id})
    return Applied(lead.id, message_id, changed)


# -- campaign and lead -----------------------------------------------------------------------


def _campaign(s: Session, client_id: uuid.UUID, event: InboundEvent) -> uuid.UUID | None:
    ref = event.campaign
    if ref is None:
        return None
    key = (
        C.c.clientId == client_id,
        C.c.provider == event.provider.value,
        C.c.externalId == ref.external_id,
    )
    found = s.execute(sa.select(C.c.id).where(*key)).scalar_one_or_none()
    if found is not None:
        return found
    insert = pg_insert(C).values(
        clientId=client_id,
        name=ref.name or f"{LABELS[event.provider]} campaign {ref.external_id}",
        channel=event.channel,
        provider=event.provider.value,
        externalId=ref.external_id,
    )
    s.execute(
        insert.on_conflict_do_nothing(
            index_elements=["clientId", "provider", "externalId"],
            index_where=C.c.externalId.is_not(None),
        )
    )
    return s.execute(sa.select(C.c.id).where(*key)).scalar_one()


def _find_or_create_lead(
    s: Session,
    client_id: uuid.UUID,
    event: InboundEvent,
    who: Identity,
    campaign_id: uuid.UUID | None,
) -> Any:
    provider = event.provider.value
    matches: list[tuple[Any, int]] = []
    if who.external_id:
        matches.append((L.c.externalIds.contains({provider: who.external_id}), 0))
    if who.email:
        matches.append((sa.func.lower(L.c.email) == who.email, 1))
    if who.phone:
        matches.append((L.c.phone == who.phone, 2))
    if who.linkedin_url:
        matches.append((L.c.linkedinUrl == who.linkedin_url, 3))
    rank = sa.case(*[(cond, n) for cond, n in matches], else_=9)
    lead = s.execute(
        sa.select(L)
        .where(L.c.clientId == client_id, sa.or_(*[cond for cond, _ in matches]))
        .order_by(rank, L.c.createdAt, L.c.id)
        .limit(1)
        .with_for_update()
    ).first()
    ref = event.lead
    fill = {
        "campaignId": campaign_id,
        "firstName": ref.first_name,
        "lastName": ref.last_name,
        "email": who.email,
        "phone": who.phone,
        "linkedinUrl": who.linkedin_url,
        "company": ref.company,
    }
    if lead is None:
        values = {
            **fill,
            "id": uuid.uuid4(),
            "clientId": client_id,
            "externalIds": {provider: who.external_id} if who.external_id else {},
        }
        return s.execute(sa.insert(L).values(**values).returning(L)).one()
    updates: dict[str, Any] = {
        k: v for k, v in fill.items() if v is not None and getattr(lead, k) is None
    }
    if who.external_id and provider not in (lead.externalIds or {}):
        updates["externalIds"] = L.c.externalIds.op("||")(
            sa.literal({provider: who.external_id}, type_=JSONB)
        )
    if updates:
        lead = s.execute(sa.update(L).where(L.c.id == lead.id).values(**updates).returning(L)).one()
    return lead


# -- messages --------------------------------------------------------------------------------


def _message(
    s: Session, client_id: uuid.UUID, lead: Any, event: InboundEvent
) -> tuple[uuid.UUID | None, str | None, bool]:
    """Insert the event's message once: (its id, its sentiment, whether anything changed)."""
    if event.message_id is None or event.kind is Kind.UNSUBSCRIBED:
        return None, None, False
    inbound = event.kind in INBOUND_KINDS or event.kind is Kind.BOUNCED
    sentiment: str | None = BLACKLIST
    if event.kind is Kind.BOUNCED:
        body = f"[BOUNCED] {event.subject or 'the email could not be delivered'}"
    else:
        body = clean_body(event.channel, event.text, event.html)
        sentiment = _classify(s, lead.id, event, body) if inbound else None
    values = {
        "id": uuid.uuid4(),
        "clientId": client_id,
        "leadId": lead.id,
        "channel": event.channel,
        "source": "campaign",
        "direction": "inbound" if inbound else "outbound",
        "subject": event.subject,
        "body": body,
        "sentAt": event.sent_at or sa.func.clock_timestamp(),
        "isRead": event.kind not in INBOUND_KINDS,
        "provider": event.provider.value,
        "providerMessageId": event.message_id,
        "rawText": event.text,
        "rawHtml": event.html,
        "cc": list(event.cc) or None,
        "bcc": list(event.bcc) or None,
        "sentiment": sentiment,
    }
    inserted = s.execute(
        pg_insert(M)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["clientId", "provider", "providerMessageId"],
            index_where=M.c.providerMessageId.is_not(None),
        )
        .returning(M.c.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return inserted, sentiment, True
    existing = s.execute(
        sa.select(M.c.id, M.c.sentiment).where(
            M.c.clientId == client_id,
            M.c.provider == event.provider.value,
            M.c.providerMessageId == event.message_id,
        )
    ).one()
    if event.sentiment_hint == "Interested" and inbound and existing.sentiment != "Interested":
        s.execute(sa.update(M).where(M.c.id == existing.id).values(sentiment="Interested"))
        return existing.id, "Interested", True
    return existing.id, existing.sentiment, False


def _classify(s: Session, lead_id: uuid.UUID, event: InboundEvent, body: str) -> str:
    classifier = get_classifier()
    wanted = getattr(classifier, "thread_messages", THREAD_MESSAGES)
    rows = (
        s.execute(
            sa.select(M.c.direction, M.c.body)
            .where(M.c.leadId == lead_id)
            .order_by(M.c.sentAt.desc(), M.c.id.desc())
            .limit(wanted)
        ).all()
        if wanted
        else []
    )
    thread = tuple(ThreadMessage(r.direction, r.body) for r in reversed(rows))
    return classifier.classify(
        ClassifierInput(
            text=body,
            channel=event.channel,
            subject=event.subject,
            hint=event.sentiment_hint,
            thread=thread,
        )
    )


# -- the lead follows its replies --------------------------------------------------------------

_LATEST_INBOUND = sa.text(
    """
    SELECT
      (SELECT m.id FROM "Message" m WHERE m."leadId" = :lead AND m.direction = 'inbound'
        ORDER BY m."sentAt" DESC, coalesce(m."providerMessageId", '') DESC, m.id DESC LIMIT 1)
        AS latest,
      (SELECT m.id FROM "Message" m WHERE m."leadId" = :lead AND m.direction = 'inbound'
        AND m.sentiment = ANY(:mapped)
        ORDER BY m."sentAt" DESC, coalesce(m."providerMessageId", '') DESC, m.id DESC LIMIT 1)
        AS latest_mapped,
      (SELECT max(m."sentAt") FROM "Message" m WHERE m."leadId" = :lead
        AND m.direction = 'inbound') AS latest_at
    """
)


def _follow_replies(
    s: Session,
    client_id: uuid.UUID,
    lead: Any,
    message_id: uuid.UUID | None,
    tag: str,
    event: InboundEvent,
) -> bool:
    """Sentiment, status, positive assignment and opt-outs after an inbound event
    (``message_id`` None: the provider marked the lead itself, as of the event's time)."""
    lead_id = lead.id
    values: dict[str, Any] = {}
    if tag in POSITIVE_TAGS:
        values.update(first_positive(s, client_id, lead))
    if tag == BLACKLIST:
        if values:
            s.execute(sa.update(L).where(L.c.id == lead_id).values(**values))
        _blacklist(s, lead_id)
        return True
    if lead.status != "blacklisted":
        latest = s.execute(
            _LATEST_INBOUND, {"lead": lead_id, "mapped": list(SENTIMENT_STATUS)}
        ).one()
        if message_id is None:
            newest = latest.latest_at is None or (
                event.sent_at is not None and event.sent_at >= latest.latest_at
            )
            is_latest = is_latest_mapped = newest
        else:
            is_latest = latest.latest == message_id
            is_latest_mapped = latest.latest_mapped == message_id
        if is_latest and lead.sentimentTag != tag:
            values["sentimentTag"] = tag
        if is_latest and lead.snoozedUntil is not None:
            values["snoozedUntil"] = None
        if is_latest and message_id is not None:
            _supersede_drafts(s, lead_id, message_id)
        status = SENTIMENT_STATUS.get(tag)
        if is_latest_mapped and status is not None and lead.status != status:
            values["status"] = status
    if not values:
        return False
    s.execute(sa.update(L).where(L.c.id == lead_id).values(updatedAt=sa.func.now(), **values))
    return True


def _supersede_drafts(s: Session, lead_id: uuid.UUID, message_id: uuid.UUID) -> None:
    """A newer reply makes the lead's pending drafts (answers to older ones) stale."""
    s.execute(
        sa.update(D)
        .where(
            D.c.leadId == lead_id,
            D.c.status == "pending",
            D.c.triggerMessageId.is_distinct_from(message_id),
        )
        .values(status="superseded", updatedAt=sa.func.now())
    )


def _blacklist(s: Session, lead_id: uuid.UUID) -> bool:
    """Blacklist the lead and reject its pending drafts (an opted-out lead gets no reply)."""
    changed = s.execute(
        sa.update(L)
        .where(
            L.c.id == lead_id,
            sa.or_(L.c.status != "blacklisted", L.c.sentimentTag.is_distinct_from(BLACKLIST)),
        )
        .values(status="blacklisted", sentimentTag=BLACKLIST, updatedAt=sa.func.now())
        .returning(L.c.id)
    ).first()
    rejected = s.execute(
        sa.update(D)
        .where(D.c.leadId == lead_id, D.c.status == "pending")
        .values(status="rejected", updatedAt=sa.func.now())
        .returning(D.c.id)
    ).first()
    return changed is not None or rejected is not None

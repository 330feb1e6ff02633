"""Inbox reads: workspace access, the conversation list (keyset pages), live counts and the
conversation view. Every query runs in ``user_session`` so row level security decides what the
caller sees; the explicit setter filter only helps the planner pick the assignee index.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from inboxapp.db.engine import user_session
from inboxapp.domain import categories as cat
from inboxapp.domain.access import Access
from inboxapp.domain.categories import D, L, M
from inboxapp.errors import Forbidden, NotFound
from inboxapp.inbox import search
from inboxapp.inbox.params import Cursor, ListParams, is_full_email

NOT_A_MEMBER = "NOT_A_MEMBER"
"""The error code of a read or write in a workspace the caller cannot open (any more)."""

LIST_COLUMNS = (
    L.c.id,
    L.c.firstName,
    L.c.lastName,
    L.c.email,
    L.c.company,
    L.c.status,
    L.c.sentimentTag,
    L.c.lastMessagePreview,
    L.c.lastMessageAt,
    L.c.lastMessageDirection,
    L.c.unreadCount,
    L.c.assignedToUserId,
    L.c.overallScore,
    L.c.campaignId,
    L.c.updatedAt,
)


def workspace_role(session: Session, client_id: uuid.UUID) -> str | None:
    return session.execute(
        sa.text("SELECT app.effective_role(:c)"), {"c": client_id}
    ).scalar_one_or_none()


def require_access(session: Session, user_id: uuid.UUID, client_id: uuid.UUID) -> Access:
    role = workspace_role(session, client_id)
    if role is None:
        raise Forbidden(NOT_A_MEMBER, "you are not a member of this workspace")
    return Access(user_id=user_id, client_id=client_id, role=role)


def list_workspaces(user_id: uuid.UUID) -> list[dict[str, str]]:
    with user_session(user_id) as s:
        rows = s.execute(
            sa.text(
                'SELECT c.id, c.name, w.role FROM app.my_workspaces() w JOIN "Client" c'
                ' ON c.id = w."clientId" ORDER BY c.name, c.id'
            )
        ).all()
    return [{"id": str(r.id), "name": r.name, "role": r.role} for r in rows]


def _scope_filter(access: Access, *, snoozed: bool = False) -> list[Any]:
    """The caller's leads: a setter's own; snoozed ones only in the Snoozed view."""
    awake = L.c.snoozedUntil > sa.func.now() if snoozed else cat.not_snoozed()
    where: list[Any] = [L.c.clientId == access.client_id, awake]
    if access.is_setter:
        where.append(L.c.assignedToUserId == access.user_id)
    return where


def identity_match(q: str, candidates: frozenset[uuid.UUID] | None) -> ColumnElement[bool]:
    """Name, email or phone contains ``q`` (among the trigram ``candidates`` when there are
    not too many); a whole email address matches exactly."""
    if is_full_email(q):
        return sa.func.lower(L.c.email) == q.lower()
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    full_name = sa.func.concat_ws(" ", L.c.firstName, L.c.lastName)
    contains = sa.or_(
        full_name.ilike(pattern, escape="\\"),
        L.c.email.ilike(pattern, escape="\\"),
        L.c.phone.ilike(pattern, escape="\\"),
    )
    if candidates is None:
        # Too many to collect: the list walks its order and checks each lead. COALESCE hides
        # the ILIKEs from the planner's row estimate (a handful, it guesses), which otherwise
        # picks a sequential scan and a sort of every match over the walk.
        return sa.func.coalesce(contains, sa.false())
    return sa.and_(search.among(candidates), contains)


def message_query(params: ListParams) -> str | None:
    """The tsquery text of a search that also matches message text (not for a whole email
    address, which matches the lead's email only)."""
    if not params.q or is_full_email(params.q):
        return None
    return search.tsquery_text(params.q)


def _extra_filters(params: ListParams, client_id: uuid.UUID, user_id: uuid.UUID) -> list[Any]:
    where: list[Any] = []
    if params.assignee == "me":
        where.append(L.c.assignedToUserId == user_id)
    elif params.assignee == "none":
        where.append(L.c.assignedToUserId.is_(None))
    elif params.assignee:
        where.append(L.c.assignedToUserId == uuid.UUID(params.assignee))
    if params.channel:
        where.append(
            cat.lead_ids_where(M, M.c.clientId == client_id, M.c.channel == params.channel)
        )
    if params.sentiments:
        where.append(L.c.sentimentTag.in_(params.sentiments))
    if params.campaign_id:
        where.append(L.c.campaignId == params.campaign_id)
    if params.score:
        where.append(_score_filter(params.score))
    return where


def _score_filter(score: str) -> Any:
    if score == "unscored":
        return L.c.overallScore.is_(None)
    if score == "disqualified":
        return L.c.overallScore == 0
    if score.endswith("+"):
        return L.c.overallScore >= int(score[:-1])
    return L.c.overallScore == int(score)


def list_statement(
    access: Access, params: ListParams, found: search.Candidates | None = None
) -> sa.Select[Any]:
    """The keyset page query: ``ORDER BY updatedAt DESC, id DESC`` with a strict tie-breaker
    (both ``ASC`` for the ``oldest`` order, the same index read backwards).

    A search is the union of two keyset pages, leads whose name, email or phone matches and
    leads with a matching message; the first ``limit + 1`` of the union are exactly the first
    of all matching leads. ``found`` (:func:`search_candidates`) narrows each part to the leads
    its index found; a part without candidates (common, or past its cap) walks the list order,
    and when both walk, one walk checks either.
    """
    where = _page_where(access, params)
    oldest = params.order == "oldest"
    page = partial(_keyset_page, limit=params.limit, oldest=oldest)
    if not params.q:
        return page(where)
    found = found or search.Candidates(None, None)
    text = message_query(params)
    if text is not None and found.identity is None and found.messages is None:
        # Both parts walk: one walk checks the name, then (only if that fails) the messages.
        either = sa.or_(
            identity_match(params.q, None), search.message_match(text, access.client_id)
        )
        return page([*where, either])
    parts = []
    if found.identity is None or found.identity:
        parts.append(page([*where, identity_match(params.q, found.identity)]))
    if text is not None and found.messages is None:
        message = search.message_match(text, access.client_id)
        parts.append(page([*where, message]))
    elif text is not None and found.messages:
        parts.append(page([*where, search.among(found.messages)]))
    if not parts:
        return page([*where, sa.false()])
    if len(parts) == 1:
        return parts[0]
    both = sa.union(*parts).subquery("hits")
    return sa.select(*both.c).order_by(*_order(both.c, oldest)).limit(params.limit + 1)


def _page_where(access: Access, params: ListParams) -> list[Any]:
    """Scope, category, filters and the cursor's position: which leads the page walks."""
    where = [
        *_scope_filter(access, snoozed=params.snoozed),
        cat.filter_for(params.filter, access.client_id),
        *_extra_filters(params, access.client_id, access.user_id),
    ]
    if params.cursor:
        position = sa.tuple_(L.c.updatedAt, L.c.id)
        after = sa.tuple_(
            sa.literal(params.cursor.updated_at, sa.DateTime(timezone=True)),
            sa.literal(params.cursor.lead_id, L.c.id.type),
        )
        where.append(position > after if params.order == "oldest" else position < after)
    return where


PROBE_LEADS = 400
"""How many leads, in list order, a search checks before it asks the indexes."""
WALK_BUDGET = {"name": 50_000, "text": 5_000}
"""How many leads a part may expect to walk (extrapolated from the probe) rather than ask its
index: a name check is a few string compares, a message check reads the lead's messages."""


def _walks(part: str, hits: int, limit: int) -> bool:
    """Walk ``part`` when the probe's ``hits`` say a page is found within its budget."""
    return hits > 0 and (limit + 1) * PROBE_LEADS / hits <= WALK_BUDGET[part]


def search_candidates(
    session: Session, access: Access, params: ListParams
) -> search.Candidates | None:
    """The index lookups of a search (None without ``q``), each only where it pays: the first
    :data:`PROBE_LEADS` leads of the walk are checked first; a part (names or messages) whose
    matches there promise a page within its :data:`WALK_BUDGET`, or a walk that ends there,
    walks instead (a common word is found at once in list order; collecting every lead that
    wrote it is the slow way)."""
    if not params.q:
        return None
    if is_full_email(params.q):
        return search.Candidates(None, None)
    text = message_query(params)
    first = sa.select(
        identity_match(params.q, None).label("name"),
        (search.message_match(text, access.client_id) if text else sa.false()).label("text"),
    )
    first = first.where(*_page_where(access, params)).order_by(
        *_order(L.c, params.order == "oldest")
    )
    probe = first.limit(PROBE_LEADS).subquery("first")
    leads, names, texts = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(probe.c.name),
            sa.func.count().filter(probe.c.text),
        )
    ).one()
    short = leads < PROBE_LEADS
    return search.find_candidates(
        session,
        access.client_id,
        params.q,
        None if short or _walks("text", texts, params.limit) else text,
        names=not (short or _walks("name", names, params.limit)),
    )


def _order(columns: Any, oldest: bool) -> tuple[Any, Any]:
    if oldest:
        return columns.updatedAt.asc(), columns.id.asc()
    return columns.updatedAt.desc(), columns.id.desc()


def _keyset_page(where: list[Any], *, limit: int, oldest: bool) -> sa.Select[Any]:
    return sa.select(*LIST_COLUMNS).where(*where).order_by(*_order(L.c, oldest)).limit(limit + 1)


def _user_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.execute(
        sa.text('SELECT id, "displayName" FROM "User" WHERE id = ANY(:ids)'), {"ids": list(ids)}
    ).all()
    return {r.id: r.displayName for r in rows}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _row(r: Any, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    name = " ".join(p for p in (r.firstName, r.lastName) if p) or (r.email or "Unknown lead")
    return {
        "id": str(r.id),
        "name": name,
        "company": r.company,
        "status": r.status,
        "sentimentTag": r.sentimentTag,
        "preview": r.lastMessagePreview or "",
        "lastMessageAt": _iso(r.lastMessageAt),
        "lastMessageDirection": r.lastMessageDirection,
        "unreadCount": int(r.unreadCount or 0),
        "assignedToUserId": str(r.assignedToUserId) if r.assignedToUserId else None,
        "assigneeName": names.get(r.assignedToUserId) if r.assignedToUserId else None,
        "overallScore": r.overallScore,
        "campaignId": str(r.campaignId) if r.campaignId else None,
        "updatedAt": _iso(r.updatedAt),
    }


def fetch_page(session: Session, access: Access, params: ListParams) -> dict[str, Any]:
    rows = session.execute(
        list_statement(access, params, search_candidates(session, access, params))
    ).all()
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    names = _user_names(session, {r.assignedToUserId for r in rows if r.assignedToUserId})
    next_cursor = Cursor(rows[-1].updatedAt, rows[-1].id).encode() if more and rows else None
    text = message_query(params)
    found = search.snippets(session, access.client_id, [r.id for r in rows], text) if text else {}
    items = [{**_row(r, names), "searchSnippet": found.get(r.id)} for r in rows]
    return {"items": items, "nextCursor": next_cursor}


def counts_statement(access: Access) -> sa.Select[Any]:
    """Live counts for every category in one pass (the baseline the materialized rows beat)."""
    return sa.select(*cat.count_columns(access.client_id)).where(*_scope_filter(access))


def fetch_live_counts(session: Session, access: Access) -> dict[str, int]:
    row = session.execute(counts_statement(access)).one()
    return cat.finish_counts(dict(row._mapping))


def list_conversations(
    user_id: uuid.UUID, client_id: uuid.UUID, params: ListParams
) -> dict[str, Any]:
    with user_session(user_id) as s:
        return fetch_page(s, require_access(s, user_id, client_id), params)


def live_payload(session: Session, access: Access) -> dict[str, Any]:
    return {
        "clientId": str(access.client_id),
        "scope": access.scope.kind,
        "counts": fetch_live_counts(session, access),
        "computedAt": datetime.now(UTC).isoformat(),
        "source": "live",
    }


def live_counts(user_id: uuid.UUID, client_id: uuid.UUID) -> dict[str, Any]:
    """The legacy direct path: counts computed live in one query."""
    with user_session(user_id) as s:
        return live_payload(s, require_access(s, user_id, client_id))


def delivery_status(message: Any) -> str | None:
    """An outbound message's delivery status (sent when it never went through the outbox:
    campaign sends and replies from before it); None for inbound messages."""
    if message.direction != "outbound":
        return None
    return str(message.deliveryStatus or "sent")


def fetch_conversation(session: Session, access: Access, lead_id: uuid.UUID) -> dict[str, Any]:
    lead = session.execute(
        sa.select(L).where(L.c.id == lead_id, L.c.clientId == access.client_id)
    ).first()
    if lead is None:
        raise NotFound("LEAD_NOT_FOUND", "no such conversation in this workspace")
    messages = session.execute(
        sa.select(M).where(M.c.leadId == lead_id).order_by(M.c.sentAt, M.c.id).limit(500)
    ).all()
    draft = session.execute(
        sa.select(D)
        .where(D.c.leadId == lead_id, D.c.status == "pending")
        .order_by(D.c.createdAt.desc())
        .limit(1)
    ).first()
    people = {m.sentByUserId for m in messages if m.sentByUserId}
    if lead.assignedToUserId:
        people.add(lead.assignedToUserId)
    names = _user_names(session, people)
    campaign = None
    if lead.campaignId:
        campaign = session.execute(
            sa.text('SELECT name FROM "Campaign" WHERE id = :id'), {"id": lead.campaignId}
        ).scalar_one_or_none()
    return {
        "lead": {
            **_row(lead, names),
            "firstName": lead.firstName,
            "lastName": lead.lastName,
            "email": lead.email,
            "phone": lead.phone,
            "campaignName": campaign,
            "snoozedUntil": _iso(lead.snoozedUntil),
            "appointmentBookedAt": _iso(lead.appointmentBookedAt),
            "lastInboundAt": _iso(lead.lastInboundAt),
            "lastOutboundAt": _iso(lead.lastOutboundAt),
            "createdAt": _iso(lead.createdAt),
        },
        "messages": [
            {
                "id": str(m.id),
                "channel": m.channel,
                "source": m.source,
                "direction": m.direction,
                "sentBy": m.sentBy,
                "senderName": names.get(m.sentByUserId) if m.sentByUserId else None,
                "subject": m.subject,
                "body": m.body,
                "sentAt": _iso(m.sentAt),
                "isRead": m.isRead,
                "deliveryStatus": delivery_status(m),
                "deliveryError": m.deliveryError,
            }
            for m in messages
        ],
        "draft": (
            {
                "id": str(draft.id),
                "channel": draft.channel,
                "body": draft.body,
                "autoSendAction": draft.autoSendAction,
                "sendAfter": _iso(draft.sendAfter),
                "instruction": draft.instruction,
                "createdAt": _iso(draft.createdAt),
            }
            if draft
            else None
        ),
    }


def conversation(user_id: uuid.UUID, client_id: uuid.UUID, lead_id: uuid.UUID) -> dict[str, Any]:
    with user_session(user_id) as s:
        return fetch_conversation(s, require_access(s, user_id, client_id), lead_id)

"""Message search for the inbox list's ``q`` (docs/inbox-semantics.md, "The conversation list").

A lead matches when its name, email or phone contains ``q`` (:mod:`inboxapp.inbox.queries`, with
the trigram index as the candidate filter: :func:`identity_candidates`) or when one of its
messages contains every word of ``q`` as a word prefix: PostgreSQL full text over the stored
``Message."searchDoc"`` and its index ``Message_search_idx`` (:mod:`inboxapp.db.search`). The
query text is built from the words of ``q`` only (letters and digits), so quotes, operators
(``& | ! : * < ->``) and other punctuation are plain separators, never tsquery syntax. Row level
security decides which messages a caller can match, exactly as it decides which leads they see.

Each row of a search page names the message that matched (its latest matching one) with a short
plain-text snippet and the ``[start, end)`` character offsets of the matched words in it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from inboxapp.db import search as doc
from inboxapp.domain.categories import L, M

MAX_CANDIDATES = 2_000
"""Most candidate ids the identity lookup returns; a search matching more walks the list."""
MAX_MESSAGE_CANDIDATES = 1_000
"""The same for the message lookup: a word more leads wrote is found sooner by the list's walk
(each lead's messages are checked by their index) than by collecting every lead that wrote it."""
MAX_WORDS = 8
MAX_WORD_CHARS = 64
SNIPPET_CHARS = 240
_WORD = re.compile(r"[^\W_]+")
START, STOP = "\ue000", "\ue001"
"""Private-use characters that mark a match inside ``ts_headline`` output (removed from the
text first, so a message cannot fake a mark)."""
_HEADLINE_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=24, MinWords=10, ShortWord=2,"
    ' MaxFragments=1, FragmentDelimiter=" ... "'
)


def tsquery_text(q: str) -> str | None:
    """``'word':* & ...`` for the words of ``q`` (None when it has none): safe input for
    ``to_tsquery``, since a word holds only letters and digits."""
    words: list[str] = []
    for word in _WORD.findall(q):
        word = word[:MAX_WORD_CHARS].lower()
        if word not in words:
            words.append(word)
    if not words:
        return None
    return " & ".join(f"'{w}':*" for w in words[:MAX_WORDS])


def _tsquery(text: str) -> ColumnElement[Any]:
    return sa.func.to_tsquery(sa.literal_column(f"'{doc.TS_CONFIG}'::regconfig"), text)


def _document(table: sa.Table | Any) -> ColumnElement[Any]:
    """The message's stored full-text document (``Message."searchDoc"``, migration 0017)."""
    column: ColumnElement[Any] = table.c[doc.COLUMN]
    return column


@dataclass(frozen=True)
class Candidates:
    """What the search indexes found for one list request (None: more than ``MAX_CANDIDATES``,
    so the list walks its order and checks each lead instead)."""

    identity: frozenset[uuid.UUID] | None
    messages: frozenset[uuid.UUID] | None
    """Leads with a matching message (None also when ``q`` has no words to match)."""


def find_candidates(
    session: Session, client_id: uuid.UUID, q: str, text: str | None, *, names: bool = True
) -> Candidates:
    """Run the index lookups (SECURITY DEFINER helpers of migration 0014, scoped to the caller
    like the policies) for a search ``q`` whose message tsquery is ``text`` (None: no message
    lookup); ``names=False`` skips the name, email and phone lookup. A skipped lookup is None:
    that part walks the list."""
    identity = None
    if names:
        identity = _ids(
            session, "app.identity_search_leads(:c, :v, :n)", client_id, q, MAX_CANDIDATES
        )
    messages = None
    if text is not None:
        messages = _ids(
            session,
            "app.message_search_leads(:c, to_tsquery(:cfg, :v), :n)",
            client_id,
            text,
            MAX_MESSAGE_CANDIDATES,
        )
    return Candidates(identity, messages)


def _ids(
    session: Session, call: str, client_id: uuid.UUID, value: str, cap: int
) -> frozenset[uuid.UUID] | None:
    rows = session.execute(
        sa.text(f"SELECT id FROM {call} AS id"),
        {"c": client_id, "v": value, "n": cap + 1, "cfg": doc.TS_CONFIG},
    ).scalars()
    found = list(rows)
    return None if len(found) > cap else frozenset(found)


def among(ids: frozenset[uuid.UUID]) -> ColumnElement[bool]:
    """``Lead.id = ANY(:ids)`` (one array parameter; equality may use indexes under RLS)."""
    return L.c.id == sa.func.any(sa.literal(sorted(ids), ARRAY(L.c.id.type)))


def message_match(text: str, client_id: uuid.UUID) -> ColumnElement[bool]:
    """``EXISTS`` a message of the lead, in the workspace, matching the tsquery ``text``: the
    per-lead check for a word too common for the candidate set (the list's walk in its own
    order finds a page after a few leads)."""
    return sa.exists(
        sa.select(sa.literal(1))
        .select_from(M)
        .where(
            M.c.leadId == L.c.id,
            M.c.clientId == client_id,
            _document(M).op("@@")(_tsquery(text)),
        )
    )


def snippets(
    session: Session, client_id: uuid.UUID, lead_ids: list[uuid.UUID], text: str
) -> dict[uuid.UUID, dict[str, Any]]:
    """The latest matching message of each lead: ``{"messageId", "text", "highlights"}``."""
    if not lead_ids:
        return {}
    m = M.alias("m")
    query = _tsquery(text)
    latest = (
        sa.select(
            m.c.id,
            _headline(m.c.body, query).label("body"),
            _headline(sa.func.coalesce(m.c.subject, ""), query).label("subject"),
        )
        .where(
            m.c.leadId == sa.literal_column("l.id"),
            m.c.clientId == client_id,
            _document(m).op("@@")(query),
        )
        .order_by(m.c.sentAt.desc(), m.c.id.desc())
        .limit(1)
        .lateral("s")
    )
    ids = sa.func.unnest(sa.cast(sa.literal(lead_ids), sa.ARRAY(L.c.id.type)))
    lead = ids.table_valued(sa.column("id", L.c.id.type)).render_derived("l")
    rows = session.execute(
        sa.select(lead.c.id.label("leadId"), latest.c.id, latest.c.body, latest.c.subject)
        .select_from(lead)
        .join(latest, sa.true())
    ).all()
    return {r.leadId: _snippet(r.id, r.body, r.subject) for r in rows}


def _headline(column: Any, query: ColumnElement[Any]) -> ColumnElement[Any]:
    source = sa.func.translate(sa.func.left(column, doc.DOCUMENT_CHARS), START + STOP, "")
    return sa.func.ts_headline(
        sa.literal_column(f"'{doc.TS_CONFIG}'::regconfig"), source, query, _HEADLINE_OPTIONS
    )


def _snippet(message_id: uuid.UUID, body: str, subject: str) -> dict[str, Any]:
    """The body's headline, or the subject's when only the subject matched."""
    chosen = body if START in body or START not in subject else subject
    text, highlights = split_marks(chosen)
    return {"messageId": str(message_id), "text": text, "highlights": highlights}


def split_marks(marked: str, limit: int = SNIPPET_CHARS) -> tuple[str, list[list[int]]]:
    """Plain text (at most ``limit`` characters) and the ``[start, end)`` offsets of the
    marked runs in it."""
    out: list[str] = []
    highlights: list[list[int]] = []
    size, start = 0, None
    for char in marked:
        if char == START:
            start = size
        elif char == STOP:
            if start is not None and size > start:
                highlights.append([start, size])
            start = None
        elif size < limit:
            out.append(char)
            size += 1
    if start is not None and size > start:
        highlights.append([start, size])
    return "".join(out), highlights

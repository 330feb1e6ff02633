"""The search expressions, each written once for its index (migration 0014) and for every query
that must use that index (``inboxapp/inbox/search.py``, ``inboxapp/inbox/queries.py``).

``document_sql``: the full-text document of a message, stored as ``Message."searchDoc"``
(``Message_search_idx`` indexes the column).
``identity_sql``: the trigrams of a lead's lowercased name, email and phone
(``Lead_identity_trigram_idx``); a substring of any of them has all of its trigrams there.

The ``simple`` configuration lowercases words without stemming or stop words, so a search finds
names, product words and other languages alike. Only the first ``DOCUMENT_CHARS`` characters
are indexed: a tsvector is limited to 1 MB, and an oversized reply must still be storable.
"""

from __future__ import annotations

TS_CONFIG = "simple"
DOCUMENT_CHARS = 50_000
INDEX_NAME = "Message_search_idx"
COLUMN = "searchDoc"
IDENTITY_INDEX_NAME = "Lead_identity_trigram_idx"


def document_sql(prefix: str = "") -> str:
    """The stored column's generation expression, parenthesized as PostgreSQL reflects it (the
    drift check compares the two); ``prefix`` qualifies the columns (e.g. ``'m.'``)."""
    return (
        f"to_tsvector('{TS_CONFIG}'::regconfig,"
        f" left((coalesce({prefix}subject, '') || ' ') || {prefix}body, {DOCUMENT_CHARS}))"
    )


def identity_sql(prefix: str = "") -> str:
    """The trigram array indexed over a lead's identity (reflected form, as above)."""
    return (
        "app.trigrams(lower((((((coalesce({p}\"firstName\", '') || ' ')"
        " || coalesce({p}\"lastName\", '')) || ' ') || coalesce({p}email, '')) || ' ')"
        " || coalesce({p}phone, '')))"
    ).replace("{p}", prefix)

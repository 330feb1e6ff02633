"""Request parameters of the HTTP API, one annotated type each, built from the canonical
definitions (categories, channels, windows, sorts, ...), so the API accepts exactly what
``/api/openapi.json`` documents. A value outside its schema is a 400 ``INVALID_<NAME>``: FastAPI
checks enums, patterns and ranges (:func:`inboxapp.api.errors.validation_error_code`), the
routes check ids; the domain parsers still check what a schema cannot say (a custom window's
span, a cursor's content) with their own codes.

Text never carries control characters (C0, DEL, C1): ``NUL`` cannot be stored by PostgreSQL
and the others only ever arrive from fuzzers and attacks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Path, Query

from inboxapp.analytics import queries as analytics
from inboxapp.analytics.windows import WINDOW_KEYS
from inboxapp.domain.categories import BY_FILTER
from inboxapp.domain.vocabulary import CHANNELS, LEAD_STATUSES, SENTIMENT_TAGS
from inboxapp.inbox import params as inbox
from inboxapp.payloads import DATE_PATTERN, UUID_PATTERN, OneOf

CONTROL_CHARS = "\\x00-\\x1f\\x7f-\\x9f"
"""Regex class body: C0 controls, DEL and C1 controls."""
SPACE_CHARS = " \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
"""Regex class body: what ``str.strip()`` removes, less the control characters."""
TEXT_PATTERN = f"^[^{CONTROL_CHARS}]*$"
"""Any text without control characters."""
_INNER = f"[^{CONTROL_CHARS}]{{{inbox.MIN_QUERY_CHARS - 2},{inbox.MAX_QUERY_CHARS - 2}}}"
SEARCH_PATTERN = f"^[^{CONTROL_CHARS}{SPACE_CHARS}]{_INNER}[^{CONTROL_CHARS}{SPACE_CHARS}]$"
"""Search text: 3-200 characters without control characters or surrounding spaces."""
_META = set("\\^$.|?*+()[]{}-")


def _escape(value: str) -> str:
    """Regex-escape for every engine that reads the document (Python, Rust, ECMA)."""
    return "".join(f"\\{c}" if c in _META else c for c in value)


def csv_pattern(values: Iterable[str]) -> str:
    """A comma-separated list of ``values`` (at least one, no spaces around commas)."""
    one = "(?:" + "|".join(_escape(v) for v in values) + ")"
    return f"^{one}(?:,{one})*$"


def _uuid(description: str) -> dict[str, Any]:
    """Documented only: the route parses it (:func:`inboxapp.inbox.params.parse_uuid`, the same
    pattern), so a bad id is ``INVALID_<NAME>`` after the read-API flag, like every domain check."""
    return {"description": description, "json_schema_extra": {**_UUID_SCHEMA}}


_UUID_SCHEMA: dict[str, Any] = {"format": "uuid", "pattern": UUID_PATTERN}
ClientId = Annotated[str, Query(alias="clientId", **_uuid("Workspace id"))]
LeadId = Annotated[str, Path(alias="leadId", **_uuid("Lead id"))]
CampaignId = Annotated[
    str | None, Query(alias="campaignId", **_uuid("Only leads of this campaign"))
]
InboxAssignee = Annotated[
    str | None,
    Query(
        description="Whose leads: `me`, `none` (unassigned) or a user id (managers' views)",
        pattern=f"^(?:me|none|{UUID_PATTERN[1:-1]})$",
    ),
]
Snoozed = Annotated[
    bool, Query(description="The Snoozed view: only leads snoozed right now (else hidden)")
]
ListOrder = Annotated[
    Annotated[str, OneOf(inbox.ORDERS)],
    Query(description="`newest` activity first (default) or `oldest` first (waiting longest)"),
]
Cursor = Annotated[
    str | None,
    Query(description="`nextCursor` of the previous page", pattern=inbox.CURSOR_PATTERN),
]

# -- inbox list ------------------------------------------------------------------------------
Filter = Annotated[Annotated[str, OneOf(BY_FILTER)], Query(description="Inbox category")]
InboxLimit = Annotated[int, Query(ge=1, le=inbox.MAX_LIMIT, description="Rows per page")]
Search = Annotated[
    str | None,
    Query(
        description=(
            "Name, email or phone contains it (a full email matches exactly), or a message"
            " holds every word of it as a word prefix"
        ),
        pattern=SEARCH_PATTERN,
    ),
]
Channel = Annotated[
    Annotated[str, OneOf(CHANNELS)] | None,
    Query(description="Only leads with a message on this channel"),
]
Sentiments = Annotated[
    str | None,
    Query(description="Comma-separated sentiment tags", pattern=csv_pattern(SENTIMENT_TAGS)),
]
Score = Annotated[Annotated[str, OneOf(inbox.SCORES)] | None, Query(description="Overall score")]

# -- analytics -------------------------------------------------------------------------------
Window = Annotated[
    Annotated[str, OneOf(WINDOW_KEYS)] | None,
    Query(description="The last 7, 30 (default) or 90 days, or `custom` with `from` and `to`"),
]
CrmWindow = Annotated[
    Annotated[str, OneOf(WINDOW_KEYS)] | None,
    Query(description="Only leads created in it (default: all leads)"),
]
_DATE_SCHEMA: dict[str, Any] = {"format": "date"}
From = Annotated[
    str | None,
    Query(
        alias="from",
        description="First day of a custom window (2000-2100; the window spans at most 180 days)",
        pattern=DATE_PATTERN,
        json_schema_extra=_DATE_SCHEMA,
    ),
]
To = Annotated[
    str | None,
    Query(
        description="Last day (inclusive) of a custom window, on or after `from`",
        pattern=DATE_PATTERN,
        json_schema_extra=_DATE_SCHEMA,
    ),
]
Parts = Annotated[
    Annotated[str, OneOf(analytics.PARTS)],
    Query(description="KPIs (`core`), charts (`breakdowns`) or both"),
]
Sort = Annotated[
    Annotated[str, OneOf(analytics.SORT_KEYS)],
    Query(description="A column, ascending, or `-column`, descending"),
]
CrmLimit = Annotated[int, Query(ge=1, le=analytics.MAX_LIMIT, description="Rows per page")]
Statuses = Annotated[
    str | None,
    Query(description="Comma-separated lead statuses", pattern=csv_pattern(LEAD_STATUSES)),
]
Assignee = Annotated[
    str | None,
    Query(
        description=f"A user id or `{analytics.UNASSIGNED}`",
        pattern=f"^(?:{analytics.UNASSIGNED}|{UUID_PATTERN[1:-1]})$",
    ),
]
Booked = Annotated[
    Annotated[str, OneOf(analytics.BOOLEANS)] | None,
    Query(description="Only leads with (`true`) or without (`false`) a booked meeting"),
]

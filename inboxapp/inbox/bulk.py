"""Bulk actions on rows of the list: mark read, snooze, status or assign up to :data:`MAX_BULK`
leads in one transaction (through the same per-lead writes as :mod:`inboxapp.inbox.actions`),
and undo them. Any lead the caller may not change fails the whole batch: nothing is written.

The result names, per lead, what was there before (for ``read``: the messages it marked read),
so :func:`undo` puts exactly that back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inboxapp.errors import BadRequest
from inboxapp.inbox import actions
from inboxapp.labels import parse_ts

MAX_BULK = 100
ACTIONS = ("read", "snooze", "status", "assign")


@dataclass(frozen=True)
class BulkResult:
    action: str
    previous: dict[str, Any] = field(default_factory=dict)
    """Lead id -> the value before: message ids (read), ISO time or "" (snooze), the status,
    the assignee's id or "" (assign)."""

    def to_json(self) -> str:
        return json.dumps({"action": self.action, "previous": self.previous})

    @classmethod
    def from_json(cls, raw: str) -> BulkResult:
        data = json.loads(raw)
        return cls(str(data["action"]), dict(data["previous"]))


def parse_leads(lead_ids: Iterable[Any]) -> list[uuid.UUID]:
    """1 to :data:`MAX_BULK` distinct lead ids, in the order given; else ``INVALID_BULK``."""
    if isinstance(lead_ids, str | bytes) or not isinstance(lead_ids, Iterable):
        raise BadRequest("INVALID_BULK", "leads must be a list of lead ids")
    out: list[uuid.UUID] = []
    for value in lead_ids:
        if not isinstance(value, str):
            raise BadRequest("INVALID_BULK", "leads must be a list of lead ids")
        try:
            lead = uuid.UUID(value)
        except ValueError:
            raise BadRequest("INVALID_BULK", "leads must be a list of lead ids") from None
        if lead not in out:
            out.append(lead)
        if len(out) > MAX_BULK:
            raise BadRequest("INVALID_BULK", f"at most {MAX_BULK} conversations at once")
    if not out:
        raise BadRequest("INVALID_BULK", "choose at least one conversation")
    return out


def _value(action: str, value: str) -> Any:
    """The parsed value of ``action`` (validated like the single-lead write)."""
    if not isinstance(value, str):
        raise BadRequest("INVALID_BULK", "the value must be text")
    if action == "snooze":
        try:
            until = datetime.fromisoformat(value) if value else None
        except ValueError:
            raise BadRequest("INVALID_SNOOZE", "snooze until an ISO time with an offset") from None
        actions.check_snooze(until)
        return until
    if action == "status":
        actions.check_status(value)
        return value
    if action == "assign":
        try:
            return uuid.UUID(value) if value else None
        except ValueError:
            raise BadRequest("INVALID_ASSIGNEE", "the assignee must be a user id") from None
    return None


def apply(
    user_id: uuid.UUID, client_id: uuid.UUID, lead_ids: Iterable[Any], action: str, value: str = ""
) -> BulkResult:
    """Do ``action`` to every lead of ``lead_ids``, all or nothing."""
    if action not in ACTIONS:
        raise BadRequest("INVALID_BULK_ACTION", f"action must be one of: {', '.join(ACTIONS)}")
    leads = parse_leads(lead_ids)
    parsed = _value(action, value)
    previous: dict[str, Any] = {}
    with actions.writing(user_id, client_id) as (s, access):
        if action == "assign":
            actions.check_can_assign(s, access, parsed)
        for lead_id in leads:
            lead = actions.locked_lead(s, access, lead_id)
            key = str(lead_id)
            if action == "read":
                previous[key] = actions.read_in(s, lead_id)
            elif action == "snooze":
                previous[key] = lead.snoozedUntil.isoformat() if lead.snoozedUntil else ""
                actions.snooze_in(s, lead_id, parsed)
            elif action == "status":
                previous[key] = lead.status
                actions.status_in(s, lead_id, parsed)
            else:
                previous[key] = str(lead.assignedToUserId or "")
                actions.assign_in(s, lead_id, parsed)
    return BulkResult(action, previous)


def undo(user_id: uuid.UUID, client_id: uuid.UUID, result: BulkResult) -> None:
    """Put back what :func:`apply` changed (all or nothing; a lead the caller can no longer
    change, or an assignee who is no longer a setter, fails the undo)."""
    leads = parse_leads(list(result.previous))
    with actions.writing(user_id, client_id) as (s, access):
        for lead_id in leads:
            actions.locked_lead(s, access, lead_id)
            before = result.previous[str(lead_id)]
            if result.action == "read":
                actions.unread_in(s, lead_id, [uuid.UUID(m) for m in before])
            elif result.action == "snooze":
                actions.snooze_in(s, lead_id, parse_ts(before) if before else None)
            elif result.action == "status":
                actions.check_status(before)
                actions.status_in(s, lead_id, before)
            elif result.action == "assign":
                assignee = uuid.UUID(before) if before else None
                actions.check_can_assign(s, access, assignee)
                actions.assign_in(s, lead_id, assignee)
            else:
                raise BadRequest("INVALID_BULK_ACTION", "nothing to undo")


def summary(result: BulkResult) -> str:
    """What the batch did, for the Undo offer ("3 conversations marked read")."""
    n = len(result.previous)
    what = "conversation" if n == 1 else "conversations"
    done = {"read": "marked read", "snooze": "snoozed", "status": "changed", "assign": "assigned"}
    return f"{n} {what} {done.get(result.action, 'changed')}"

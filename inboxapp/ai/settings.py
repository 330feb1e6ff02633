"""A workspace's AI settings: read (:func:`load`, defaults when it has none) and write
(:func:`save`, validated; the API key is encrypted and never read back by people).

Owners and admins save through their own ``user_session`` (row level security checks rank);
the operator CLI and the demo seed save as the workspace service.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inboxapp.db.engine import user_session, workspace_session
from inboxapp.errors import BadRequest, Forbidden, reject_nul
from inboxapp.inbox.queries import require_access
from inboxapp.pipeline.outbound.credentials import check_base_url
from inboxapp.secrets_box import decrypt, encrypt

from .models import AISettings
from .provider import AUTO_SEND_MODES, DEFAULT_LIMITS, PROVIDERS, WorkspaceAI

S: sa.Table = AISettings.__table__  # type: ignore[attr-defined]
TEXT_LIMITS = {"persona": 2000, "signature": 500, "offer_facts": 4000, "tone": 40, "model": 200}
COLUMNS = {
    "provider": "provider",
    "base_url": "baseUrl",
    "model": "model",
    "persona": "persona",
    "signature": "signature",
    "offer_facts": "offerFacts",
    "booking_link": "bookingLink",
    "tone": "tone",
    "channel_limits": "channelLimits",
    "auto_send_mode": "autoSendMode",
    "auto_send_delay_minutes": "autoSendDelayMinutes",
}
"""Settable field -> column (``api_key`` is handled on its own)."""


def load(s: Session, client_id: uuid.UUID) -> WorkspaceAI:
    """The workspace's settings as the service sees them (API key decrypted)."""
    name = s.execute(
        sa.text('SELECT name FROM "Client" WHERE id = :id'), {"id": client_id}
    ).scalar_one_or_none()
    row = s.execute(sa.select(S).where(S.c.clientId == client_id)).first()
    if row is None:
        return WorkspaceAI(workspace_name=name or "")
    values = {field: getattr(row, column) for field, column in COLUMNS.items()}
    values["channel_limits"] = dict(values["channel_limits"] or {})
    key = decrypt(row.apiKey) if row.apiKey else None
    return WorkspaceAI(workspace_name=name or "", api_key=key, **values)


def load_for(client_id: uuid.UUID) -> WorkspaceAI:
    with workspace_session(client_id) as s:
        return load(s, client_id)


def _text(name: str, value: Any) -> str:
    text = str(value if value is not None else "").strip()
    reject_nul(text, name)
    limit = TEXT_LIMITS.get(name, 2000)
    if len(text) > limit:
        raise BadRequest("INVALID_AI_SETTING", f"{name} is limited to {limit} characters")
    return text


def validate(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for ``changes`` (field names of :class:`WorkspaceAI`), or 400."""
    unknown = set(changes) - set(COLUMNS) - {"api_key"}
    if unknown:
        raise BadRequest("INVALID_AI_SETTING", f"unknown setting {sorted(unknown)[0]!r}")
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "api_key":
            key = _text("api_key", value)
            out["apiKey"] = encrypt(key) if key else None
        elif name == "provider":
            if value not in PROVIDERS:
                raise BadRequest("INVALID_AI_SETTING", "provider must be local or openai")
            out["provider"] = value
        elif name == "base_url":
            out["baseUrl"] = check_base_url(str(value)) if value else None
        elif name == "booking_link":
            out["bookingLink"] = check_base_url(str(value)) if value else ""
        elif name == "auto_send_mode":
            if value not in AUTO_SEND_MODES:
                raise BadRequest("INVALID_AI_SETTING", "auto-send mode must be off, review or send")
            out["autoSendMode"] = value
        elif name == "auto_send_delay_minutes":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1440:
                raise BadRequest("INVALID_AI_SETTING", "the delay must be 0 to 1440 minutes")
            out["autoSendDelayMinutes"] = value
        elif name == "channel_limits":
            out["channelLimits"] = _limits(value)
        else:
            out[COLUMNS[name]] = (
                _text(name, value) if name != "model" else _text(name, value) or None
            )
    return out


def _limits(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise BadRequest("INVALID_AI_SETTING", "channel limits must map a channel to characters")
    limits: dict[str, int] = {}
    for channel, n in value.items():
        if channel not in DEFAULT_LIMITS or not isinstance(n, int) or not 20 <= n <= 10_000:
            raise BadRequest(
                "INVALID_AI_SETTING", "channel limits: email, sms or linkedin, 20 to 10000"
            )
        limits[channel] = n
    return limits


def _write(s: Session, client_id: uuid.UUID, values: dict[str, Any], user_id: Any) -> None:
    """Update the row, else insert it: a plain UPDATE then INSERT, because members cannot read
    the key column an ``ON CONFLICT DO UPDATE`` would read (a concurrent first save of another
    admin is a unique violation: retried once as an update)."""
    changed = {**values, "updatedByUserId": user_id, "updatedAt": sa.func.now()}
    update = sa.update(S).where(S.c.clientId == client_id).values(**changed)
    if s.execute(update).rowcount:  # type: ignore[attr-defined]
        return
    try:
        with s.begin_nested():
            s.execute(sa.insert(S).values(clientId=client_id, updatedByUserId=user_id, **values))
    except sa.exc.IntegrityError:
        s.execute(update)


def save(
    client_id: uuid.UUID, changes: Mapping[str, Any], *, user_id: uuid.UUID | None = None
) -> None:
    """Create or update the workspace's settings (owners and admins, or the service)."""
    values = validate(changes)
    if user_id is None:
        with workspace_session(client_id) as s:
            _write(s, client_id, values, None)
        return
    with user_session(user_id) as s:
        if not require_access(s, user_id, client_id).can_admin:
            raise Forbidden("NOT_ADMIN", "only owners and admins change AI settings")
        _write(s, client_id, values, user_id)


def public_view(settings: WorkspaceAI) -> dict[str, Any]:
    """The settings as people may see them (the key only as set / not set)."""
    data = {f.name: getattr(settings, f.name) for f in fields(settings) if f.name != "api_key"}
    data["channel_limits"] = {c: settings.limit(c) for c in DEFAULT_LIMITS}
    data["api_key_set"] = settings.api_key is not None
    return data

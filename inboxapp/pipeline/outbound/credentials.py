"""Per-workspace provider credentials: the API key encrypted at rest, the base URL, options.

Owners and admins set them (:func:`set_credentials` with their ``user_id``: row level security
checks rank); the operator CLI and the demo seed set them without a user (the workspace's
service session). Only the delivery job reads the key (:func:`load`), inside its workspace.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from inboxapp.db.engine import user_session, workspace_session
from inboxapp.errors import BadRequest, Forbidden
from inboxapp.inbox.queries import require_access
from inboxapp.pipeline.providers import Provider
from inboxapp.secrets_box import decrypt, encrypt

from .models import ProviderCredential
from .send import Credentials

P: sa.Table = ProviderCredential.__table__  # type: ignore[attr-defined]
MAX_KEY_CHARS = 4096


def check_base_url(value: str) -> str:
    """An ``http(s)://host[:port][/path]`` URL without query, fragment or credentials."""
    url = (value or "").strip().rstrip("/")
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise BadRequest("INVALID_BASE_URL", "the base URL must be http(s)://host[/path]")
    return url


def set_credentials(
    client_id: uuid.UUID,
    provider: Provider,
    *,
    api_key: str,
    base_url: str,
    options: Mapping[str, Any] | None = None,
    user_id: uuid.UUID | None = None,
) -> None:
    """Create or replace the workspace's credentials for ``provider``."""
    key = (api_key or "").strip()
    if not key or len(key) > MAX_KEY_CHARS or "\x00" in key:
        raise BadRequest("INVALID_API_KEY", "the API key is empty or not valid text")
    values = {
        "clientId": client_id,
        "provider": provider.value,
        "apiKey": encrypt(key),
        "baseUrl": check_base_url(base_url),
        "options": dict(options or {}),
        "updatedByUserId": user_id,
    }
    statement = pg_insert(P).values(**values)
    statement = statement.on_conflict_do_update(
        constraint="ProviderCredential_client_provider_key",
        set_={
            "apiKey": statement.excluded.apiKey,
            "baseUrl": statement.excluded.baseUrl,
            "options": statement.excluded.options,
            "updatedByUserId": statement.excluded.updatedByUserId,
            "updatedAt": sa.func.now(),
        },
    )
    if user_id is None:
        with workspace_session(client_id) as s:
            s.execute(statement)
        return
    with user_session(user_id) as s:
        if not require_access(s, user_id, client_id).can_admin:
            raise Forbidden("NOT_ALLOWED", "only owners and admins manage provider credentials")
        s.execute(statement)


def load(s: Session, client_id: uuid.UUID, provider: Provider) -> Credentials | None:
    """The workspace's credentials for ``provider`` (in its workspace session), or None.
    Raises ``SecretError`` when the stored key cannot be decrypted."""
    row = s.execute(
        sa.select(P.c.apiKey, P.c.baseUrl, P.c.options).where(
            P.c.clientId == client_id, P.c.provider == provider.value
        )
    ).first()
    if row is None:
        return None
    return Credentials(provider, decrypt(row.apiKey), row.baseUrl, dict(row.options or {}))

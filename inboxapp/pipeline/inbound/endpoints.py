"""Webhook endpoints: URL tokens (256-bit random, stored as SHA-256 only), rotation with a grace
period, signing secrets (stored encrypted), and the token lookup of the web process.

The URL token alone selects the workspace. It is shown once, when it is issued (or rotated);
the database keeps only its hash, so a copy of the database cannot post events. The signing
secret is readable by the operator (``webhooks url`` prints it each time): a sender needs it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from inboxapp.db.engine import service_session, workspace_session
from inboxapp.errors import NotFound
from inboxapp.pipeline.providers import Provider
from inboxapp.secrets_box import Secret, decrypt, encrypt

from .models import WebhookEndpoint
from .settings import inbound_settings

TOKEN_BYTES = 32
TOKEN_PATTERN = "^[A-Za-z0-9_-]{43}$"  # noqa: S105 (a format, not a secret)
"""``secrets.token_urlsafe(32)``: 43 URL-safe characters (256 bits)."""
_TOKEN = re.compile(TOKEN_PATTERN)
E: sa.Table = WebhookEndpoint.__table__  # type: ignore[attr-defined]


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    return bool(_TOKEN.fullmatch(token))


def webhook_url(provider: Provider, token: str) -> str:
    return f"{inbound_settings().base_url()}/api/webhooks/{provider.value}/{token}"


@dataclass(frozen=True)
class Endpoint:
    """What the web process needs to accept a request for one endpoint."""

    id: uuid.UUID
    client_id: uuid.UUID
    signing_secret: Secret | None
    require_signature: bool


_LOOKUP = sa.text(
    'SELECT id, "clientId", "signingSecret", "requireSignature"'
    " FROM app.webhook_endpoint(:provider, :hash)"
)


def find_endpoint(provider: Provider, token: str) -> Endpoint | None:
    """The endpoint ``token`` opens (the current token, or the previous one within its grace
    period); None for anything else. Raises ``SecretError`` when its secret is unreadable."""
    if not well_formed(token):
        return None
    with service_session() as s:
        row = s.execute(_LOOKUP, {"provider": provider.value, "hash": token_hash(token)}).first()
    if row is None:
        return None
    secret = decrypt(row.signingSecret) if row.signingSecret else None
    return Endpoint(row.id, row.clientId, secret, bool(row.requireSignature))


@dataclass(frozen=True)
class IssuedUrl:
    client_id: uuid.UUID
    provider: Provider
    url: str | None
    """The URL with its token: only when it was just issued (None: it exists, not shown)."""
    signing_secret: str | None
    require_signature: bool
    previous_valid_until: datetime | None
    created: bool

    def as_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "signingSecret": self.signing_secret,
            "clientId": str(self.client_id),
            "provider": self.provider.value,
            "requireSignature": self.require_signature,
            "previousValidUntil": (
                self.previous_valid_until.isoformat() if self.previous_valid_until else None
            ),
            "created": self.created,
        }


def issue_url(
    client_id: uuid.UUID,
    provider: Provider,
    *,
    rotate: bool = False,
    require_signature: bool | None = None,
) -> IssuedUrl:
    """Create the workspace's endpoint for ``provider`` (token and signing secret), or with
    ``rotate`` issue a new token (the previous one keeps working for the grace period);
    ``require_signature`` sets whether unsigned requests are refused."""
    token = new_token()
    with workspace_session(client_id) as s:
        if (
            s.execute(sa.text('SELECT 1 FROM "Client" WHERE id = :c'), {"c": client_id}).first()
            is None
        ):
            raise NotFound("WORKSPACE_NOT_FOUND", f"no workspace {client_id}")
        row = s.execute(
            sa.select(E)
            .where(E.c.clientId == client_id, E.c.provider == provider.value)
            .with_for_update()
        ).first()
        created = row is None
        if row is None:
            values = {
                "clientId": client_id,
                "provider": provider.value,
                "tokenHash": token_hash(token),
                "signingSecret": encrypt("whsec_" + secrets.token_urlsafe(TOKEN_BYTES)),
                "requireSignature": bool(require_signature),
            }
            row = s.execute(sa.insert(E).values(**values).returning(E)).one()
        else:
            changes: dict[str, object] = {}
            if rotate:
                grace = timedelta(seconds=inbound_settings().token_grace_s)
                changes.update(
                    previousTokenHash=row.tokenHash,
                    previousValidUntil=sa.func.now() + grace,
                    tokenHash=token_hash(token),
                    rotatedAt=sa.func.now(),
                )
            if require_signature is not None:
                changes["requireSignature"] = require_signature
            if changes:
                row = s.execute(
                    sa.update(E).where(E.c.id == row.id).values(**changes).returning(E)
                ).one()
    return IssuedUrl(
        client_id=client_id,
        provider=provider,
        url=webhook_url(provider, token) if created or rotate else None,
        signing_secret=decrypt(row.signingSecret).value if row.signingSecret else None,
        require_signature=bool(row.requireSignature),
        previous_valid_until=row.previousValidUntil,
        created=created,
    )

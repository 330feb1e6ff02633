"""The inbound tables (migration 0010 creates exactly these; no drift allowed).

* ``WebhookEndpoint``: one per (workspace, provider). The URL token is stored only as its
  SHA-256 (the previous one keeps working until ``previousValidUntil`` after a rotation); the
  optional signing secret is Fernet ciphertext (:mod:`inboxapp.secrets_box`).
* ``WebhookEvent``: every accepted request body, stored once (``dedupeKey`` per workspace and
  provider). Append-only: the raw columns can never change (column grants); only the
  processing columns (``status``, ``attempts``, ...) move.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel

from inboxapp.db.columns import counter, partial_index, required_text
from inboxapp.db.columns import fk as _fk
from inboxapp.db.columns import uuid_pk as _uuid_pk
from inboxapp.pipeline.providers import Provider

PROVIDER_VALUES = ", ".join(f"'{p.value}'" for p in Provider)
EVENT_STATUSES = ("pending", "processed", "ignored", "failed")
"""``pending`` (queued for processing), ``processed``, ``ignored`` (nothing to do: an unknown
event type), ``failed`` (dead-lettered after its attempts; ``webhooks replay`` re-runs it)."""
_STATUS_VALUES = ", ".join(f"'{s}'" for s in EVENT_STATUSES)


def _now() -> Any:
    return sa.text("now()")


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "WebhookEndpoint"
    __table_args__ = (
        sa.UniqueConstraint("clientId", "provider", name="WebhookEndpoint_client_provider_key"),
        sa.Index("WebhookEndpoint_tokenHash_key", "tokenHash", unique=True),
        partial_index(
            "WebhookEndpoint_previousTokenHash_idx",
            "previousTokenHash",
            where='"previousTokenHash" IS NOT NULL',
        ),
        sa.CheckConstraint(f"provider IN ({PROVIDER_VALUES})", name="WebhookEndpoint_provider"),
        sa.CheckConstraint(
            'NOT "requireSignature" OR "signingSecret" IS NOT NULL',
            name="WebhookEndpoint_required_needs_secret",
        ),
    )

    id: uuid.UUID = _uuid_pk()
    clientId: uuid.UUID = _fk("Client.id")
    provider: str = required_text()
    tokenHash: str = required_text()
    previousTokenHash: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    previousValidUntil: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )
    signingSecret: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    requireSignature: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default="false")
    )
    createdAt: datetime | None = Field(
        default=None,
        sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    )
    rotatedAt: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )


class WebhookEvent(SQLModel, table=True):
    __tablename__ = "WebhookEvent"
    __table_args__ = (
        sa.UniqueConstraint(
            "clientId", "provider", "dedupeKey", name="WebhookEvent_client_provider_dedupe_key"
        ),
        partial_index("WebhookEvent_pending_idx", "receivedAt", where="status = 'pending'"),
        partial_index(
            "WebhookEvent_failed_idx", "clientId", "receivedAt", where="status = 'failed'"
        ),
        sa.CheckConstraint(f"provider IN ({PROVIDER_VALUES})", name="WebhookEvent_provider"),
        sa.CheckConstraint(f"status IN ({_STATUS_VALUES})", name="WebhookEvent_status"),
    )

    id: uuid.UUID = _uuid_pk()
    clientId: uuid.UUID = _fk("Client.id")
    provider: str = required_text()
    eventType: str = required_text()
    dedupeKey: str = required_text()
    payload: dict[str, Any] = Field(sa_column=sa.Column(JSONB, nullable=False))
    receivedAt: datetime | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.DateTime(timezone=True), nullable=False, server_default=sa.text("clock_timestamp()")
        ),
    )
    status: str = Field(
        default="pending", sa_column=sa.Column(sa.Text, nullable=False, server_default="pending")
    )
    attempts: int = counter()
    lastErrorCode: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    processedAt: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True))
    )
    leadId: uuid.UUID | None = Field(default=None, sa_column=sa.Column(UUID(as_uuid=True)))
    messageId: uuid.UUID | None = Field(default=None, sa_column=sa.Column(UUID(as_uuid=True)))

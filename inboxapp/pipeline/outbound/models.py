"""The outbound tables (migration 0011 creates exactly these; no drift allowed).

* ``Outbox``: one row per message the app sends, written in the message's own transaction.
  ``idempotencyKey`` goes with every provider request for the message (a retry never sends
  twice); ``requestKey`` is the caller's ``Idempotency-Key`` header (same key, same message).
* ``ProviderCredential``: a workspace's API key (Fernet ciphertext, :mod:`inboxapp.secrets_box`)
  and base URL for one provider, plus non-secret options (a sender account id, ...).
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
from inboxapp.db.columns import timestamp as _ts
from inboxapp.db.columns import uuid_pk as _uuid_pk
from inboxapp.pipeline.providers import Provider

PROVIDER_VALUES = ", ".join(f"'{p.value}'" for p in Provider)

DELIVERY_STATES = ("queued", "sending", "sent", "failed")
"""``queued`` (waiting for its job, or for its next attempt), ``sending`` (a worker is calling
the provider), ``sent``, ``failed`` (for good: retryable by a person)."""
_STATE_VALUES = ", ".join(f"'{s}'" for s in DELIVERY_STATES)


class Outbox(SQLModel, table=True):
    __tablename__ = "Outbox"
    __table_args__ = (
        sa.UniqueConstraint("messageId", name="Outbox_messageId_key"),
        sa.UniqueConstraint("idempotencyKey", name="Outbox_idempotencyKey_key"),
        sa.ForeignKeyConstraint(
            ["leadId", "clientId"],
            ["Lead.id", "Lead.clientId"],
            name="Outbox_lead_client_fkey",
            ondelete="CASCADE",
        ),
        partial_index(
            "Outbox_request_key",
            "clientId",
            "requestedByUserId",
            "requestKey",
            where='"requestKey" IS NOT NULL',
            unique=True,
        ),
        partial_index("Outbox_due_idx", "nextAttemptAt", where="state IN ('queued', 'sending')"),
        sa.CheckConstraint(f"provider IN ({PROVIDER_VALUES})", name="Outbox_provider"),
        sa.CheckConstraint(f"state IN ({_STATE_VALUES})", name="Outbox_state"),
    )

    id: uuid.UUID = _uuid_pk()
    clientId: uuid.UUID = _fk("Client.id")
    messageId: uuid.UUID = _fk("Message.id")
    leadId: uuid.UUID = Field(sa_column=sa.Column(UUID(as_uuid=True), nullable=False))
    provider: str = required_text()
    idempotencyKey: str = required_text()
    requestKey: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    requestedByUserId: uuid.UUID | None = _fk("User.id", nullable=True, ondelete="SET NULL")
    state: str = Field(
        default="queued", sa_column=sa.Column(sa.Text, nullable=False, server_default="queued")
    )
    attempts: int = counter()
    nextAttemptAt: datetime | None = _ts(nullable=False, server_now=True)
    lastError: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    providerMessageId: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    createdAt: datetime | None = _ts(nullable=False, server_now=True)
    updatedAt: datetime | None = _ts(nullable=False, server_now=True)
    sentAt: datetime | None = _ts()


class ProviderCredential(SQLModel, table=True):
    __tablename__ = "ProviderCredential"
    __table_args__ = (
        sa.UniqueConstraint("clientId", "provider", name="ProviderCredential_client_provider_key"),
        sa.CheckConstraint(f"provider IN ({PROVIDER_VALUES})", name="ProviderCredential_provider"),
    )

    id: uuid.UUID = _uuid_pk()
    clientId: uuid.UUID = _fk("Client.id")
    provider: str = required_text()
    apiKey: str = required_text()
    """Fernet ciphertext; never readable by members, never logged."""
    baseUrl: str = required_text()
    options: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=sa.Column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    updatedByUserId: uuid.UUID | None = _fk("User.id", nullable=True, ondelete="SET NULL")
    createdAt: datetime | None = _ts(nullable=False, server_now=True)
    updatedAt: datetime | None = _ts(nullable=False, server_now=True)

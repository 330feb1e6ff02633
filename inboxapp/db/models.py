"""SQLModel tables. Table and column names follow the original product (PascalCase tables,
camelCase columns) so the schema is compatible with Supabase Realtime filters such as
``clientId=eq.<id>`` on ``public.Lead``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlmodel import Field, SQLModel

from inboxapp.db import search
from inboxapp.db.columns import (
    NOW,
    client_pk,
    counter,
    dirty_at,
    dirty_seq,
    lead_fk,
    partial_index,
    required_text,
)
from inboxapp.db.columns import fk as _fk
from inboxapp.db.columns import timestamp as _ts
from inboxapp.db.columns import uuid_pk as _uuid_pk


class User(SQLModel, table=True):
    """A local auth user (hosted Supabase keeps its own ``auth.users``; ids match)."""

    __tablename__ = "User"
    __table_args__ = (sa.Index("User_email_lower_key", sa.text("lower(email)"), unique=True),)

    id: uuid.UUID = _uuid_pk()
    email: str = required_text()
    passwordHash: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    displayName: str = required_text()
    disabledAt: datetime | None = _ts()
    createdAt: datetime | None = _ts(nullable=False, server_now=True)


class RefreshToken(SQLModel, table=True):
    """Opaque refresh tokens (only a hash is stored); rotation chains share a ``familyId``."""

    __tablename__ = "RefreshToken"
    __table_args__ = (sa.Index("RefreshToken_familyId_idx", "familyId"),)

    id: uuid.UUID = _uuid_pk()
    userId: uuid.UUID = _fk("User.id")
    familyId: uuid.UUID = Field(sa_column=sa.Column(UUID(as_uuid=True), nullable=False))
    tokenHash: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    createdAt: datetime | None = _ts(nullable=False, server_now=True)
    expiresAt: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    revokedAt: datetime | None = _ts()


class Client(SQLModel, table=True):
    """A workspace."""

    __tablename__ = "Client"

    id: uuid.UUID = _uuid_pk()
    name: str = required_text()
    ownerUserId: uuid.UUID | None = _fk("User.id", nullable=True, ondelete="SET NULL")
    settings: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=sa.Column(
            JSONB,
            nullable=False,
            server_default=sa.text("""'{"roundRobinEnabled": true, "timezone": "UTC"}'::jsonb"""),
        ),
    )
    roundRobinCursor: int = counter()
    createdAt: datetime | None = _ts(nullable=False, server_now=True)


class ClientMember(SQLModel, table=True):
    __tablename__ = "ClientMember"
    __table_args__ = (
        sa.UniqueConstraint("clientId", "userId", "role", name="ClientMember_client_user_role"),
        sa.CheckConstraint(
            "role IN ('ADMIN','INBOX_MANAGER','SETTER','CLIENT_PORTAL')",
            name="ClientMember_role_check",
        ),
        sa.Index("ClientMember_userId_idx", "userId"),
    )

    id: uuid.UUID = _uuid_pk()
    clientId: uuid.UUID = _fk("Client.id")
    userId: uuid.UUID = _fk("User.id")
    role: str = required_text()
    createdAt: datetime | None = _ts(nullable=False, server_now=True)


class Campaign(SQLModel, table=True):
    __tablename__ = "Campaign"
    __table_args__ = (
        sa.Index("Campaign_clientId_idx", "clientId"),
        partial_index(
            "Campaign_client_provider_external_key",
            "clientId",
            "provider",
            "externalId",
            where='"externalId" IS NOT NULL',
            unique=True,
        ),
    )

    id: uuid.UUID = _uuid_pk()
    clientId: uuid.UUID = _fk("Client.id")
    name: str = required_text()
    channel: str = Field(sa_column=sa.Column(sa.Text, nullable=False, server_default="email"))
    provider: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """The campaign tool it lives in (``inboxapp.pipeline.providers.Provider``), when known."""
    externalId: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """The provider's campaign id (webhooks upsert campaigns by it)."""
    createdAt: datetime | None = _ts(nullable=False, server_now=True)


class Lead(SQLModel, table=True):
    __tablename__ = "Lead"
    __table_args__ = (
        sa.Index(
            "Lead_client_updated_idx",
            "clientId",
            sa.text('"updatedAt" DESC'),
            sa.text("id DESC"),
        ),
        sa.Index(
            "Lead_client_assignee_updated_idx",
            "clientId",
            "assignedToUserId",
            sa.text('"updatedAt" DESC'),
            sa.text("id DESC"),
        ),
        sa.UniqueConstraint("id", "clientId", name="Lead_id_client_key"),
        sa.Index("Lead_campaignId_idx", "campaignId"),
        sa.Index("Lead_client_email_idx", "clientId", sa.text("lower(email)")),
        sa.Index(
            search.IDENTITY_INDEX_NAME, sa.text(search.identity_sql()), postgresql_using="gin"
        ),
        partial_index("Lead_client_phone_idx", "clientId", "phone", where="phone IS NOT NULL"),
        partial_index(
            "Lead_client_linkedin_idx", "clientId", "linkedinUrl", where='"linkedinUrl" IS NOT NULL'
        ),
        sa.Index(
            "Lead_externalIds_idx",
            "externalIds",
            postgresql_using="gin",
            postgresql_ops={"externalIds": "jsonb_path_ops"},
        ),
        partial_index("Lead_snoozedUntil_idx", "snoozedUntil", where='"snoozedUntil" IS NOT NULL'),
        sa.CheckConstraint(
            '"overallScore" IS NULL OR "overallScore" BETWEEN 0 AND 4', name="Lead_score_check"
        ),
        sa.CheckConstraint(
            '"lastMessageDirection" IS NULL'
            " OR \"lastMessageDirection\" IN ('inbound','outbound')",
            name="Lead_direction_check",
        ),
    )

    id: uuid.UUID = _uuid_pk()
    clientId: uuid.UUID = _fk("Client.id")
    campaignId: uuid.UUID | None = _fk("Campaign.id", nullable=True, ondelete="SET NULL")
    firstName: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    lastName: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    email: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    phone: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    company: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    linkedinUrl: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """Normalized LinkedIn profile URL (``https://www.linkedin.com/in/<handle>``)."""
    externalIds: dict[str, str] = Field(
        default_factory=dict,
        sa_column=sa.Column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    """The lead's id in each campaign tool: ``{"<provider>": "<their id>"}``."""
    status: str = Field(
        default="new", sa_column=sa.Column(sa.Text, nullable=False, server_default="new")
    )
    sentimentTag: str | None = Field(
        default="New", sa_column=sa.Column(sa.Text, server_default="New")
    )
    lastInboundAt: datetime | None = _ts()
    lastOutboundAt: datetime | None = _ts()
    lastZrgOutboundAt: datetime | None = _ts()
    lastMessageAt: datetime | None = _ts()
    lastMessageDirection: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    lastMessagePreview: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    unreadCount: int = counter()
    snoozedUntil: datetime | None = _ts()
    assignedToUserId: uuid.UUID | None = _fk("User.id", nullable=True, ondelete="SET NULL")
    assignedAt: datetime | None = _ts()
    positiveAt: datetime | None = _ts()
    overallScore: int | None = Field(default=None, sa_column=sa.Column(sa.SmallInteger))
    appointmentBookedAt: datetime | None = _ts()
    createdAt: datetime | None = _ts(nullable=False, server_now=True)
    updatedAt: datetime | None = _ts(nullable=False, server_now=True)


class Message(SQLModel, table=True):
    __tablename__ = "Message"
    __table_args__ = (
        lead_fk("Message"),
        sa.Index("Message_lead_sent_idx", "leadId", "sentAt"),
        sa.Index("Message_client_sent_idx", "clientId", "sentAt"),
        partial_index(
            "Message_ai_sent_idx",
            "clientId",
            "leadId",
            where="channel = 'email' AND direction = 'outbound' AND source = 'zrg'"
            ' AND "sentBy" = \'ai\' AND "aiDraftId" IS NOT NULL',
        ),
        sa.CheckConstraint("channel IN ('sms','email','linkedin')", name="Message_channel_check"),
        sa.CheckConstraint("source IN ('zrg','campaign')", name="Message_source_check"),
        sa.CheckConstraint("direction IN ('inbound','outbound')", name="Message_direction_check"),
        sa.CheckConstraint(
            "\"sentBy\" IS NULL OR \"sentBy\" IN ('ai','setter')", name="Message_sentBy_check"
        ),
        sa.CheckConstraint(
            '"deliveryStatus" IS NULL'
            " OR \"deliveryStatus\" IN ('queued', 'sending', 'sent', 'failed')",
            name="Message_deliveryStatus_check",
        ),
        partial_index(
            "Message_client_provider_message_key",
            "clientId",
            "provider",
            "providerMessageId",
            where='"providerMessageId" IS NOT NULL',
            unique=True,
        ),
    )

    id: uuid.UUID = _uuid_pk()
    clientId: uuid.UUID = _fk("Client.id")
    leadId: uuid.UUID = Field(sa_column=sa.Column(UUID(as_uuid=True), nullable=False))
    channel: str = required_text()
    source: str = required_text()
    direction: str = required_text()
    sentBy: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    sentByUserId: uuid.UUID | None = _fk("User.id", nullable=True, ondelete="SET NULL")
    aiDraftId: uuid.UUID | None = Field(default=None, sa_column=sa.Column(UUID(as_uuid=True)))
    subject: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    body: str = required_text()
    sentAt: datetime = Field(
        sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=NOW)
    )
    isRead: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default="false")
    )
    provider: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """The campaign tool the message came from (or went out through)."""
    providerMessageId: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """The provider's message id: unique per workspace and provider (webhook dedupe)."""
    rawText: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """The body as the provider sent it (``body`` is the cleaned reply)."""
    rawHtml: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    cc: list[str] | None = Field(default=None, sa_column=sa.Column(ARRAY(sa.Text)))
    bcc: list[str] | None = Field(default=None, sa_column=sa.Column(ARRAY(sa.Text)))
    sentiment: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """How an inbound message was classified (the lead's tag follows its latest reply)."""
    deliveryStatus: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """``queued -> sending -> sent | failed`` for messages the app sends through the outbox;
    NULL for inbound messages and outbound ones sent elsewhere (they read as sent)."""
    deliveryError: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """Why the last send failed (for people; never a provider's raw answer)."""
    deliveryAttempts: int = counter()
    createdAt: datetime | None = _ts(nullable=False, server_now=True)


_MESSAGES: sa.Table = Message.__table__  # type: ignore[attr-defined]
_MESSAGES.append_column(
    sa.Column(
        search.COLUMN,
        TSVECTOR,
        sa.Computed(search.document_sql(), persisted=True),
    )
)
"""The stored full-text document (migration 0017): a column of the table, not of the model, so
loading a ``Message`` never carries it; queries name it as ``M.c.searchDoc``."""
sa.Index(search.INDEX_NAME, _MESSAGES.c[search.COLUMN], postgresql_using="gin")


class AIDraft(SQLModel, table=True):
    __tablename__ = "AIDraft"
    __table_args__ = (
        lead_fk("AIDraft"),
        sa.Index("AIDraft_lead_idx", "leadId"),
        partial_index(
            "AIDraft_client_review_idx",
            "clientId",
            "leadId",
            where="status = 'pending' AND \"autoSendAction\" = 'needs_review'",
        ),
        sa.CheckConstraint(
            "status IN ('pending','approved','rejected','superseded','blocked','replay')",
            name="AIDraft_status_check",
        ),
        sa.CheckConstraint(
            "\"autoSendAction\" IN ('send_immediate','send_delayed','needs_review','skip','error')",
            name="AIDraft_action_check",
        ),
        partial_index("AIDraft_replay_idx", "replayRunId", where='"replayRunId" IS NOT NULL'),
    )

    id: uuid.UUID = _uuid_pk()
    clientId: uuid.UUID = _fk("Client.id")
    leadId: uuid.UUID = Field(sa_column=sa.Column(UUID(as_uuid=True), nullable=False))
    triggerMessageId: uuid.UUID | None = _fk("Message.id", nullable=True, ondelete="SET NULL")
    channel: str = Field(sa_column=sa.Column(sa.Text, nullable=False, server_default="email"))
    body: str = required_text()
    status: str = Field(
        default="pending", sa_column=sa.Column(sa.Text, nullable=False, server_default="pending")
    )
    autoSendAction: str = Field(
        default="needs_review",
        sa_column=sa.Column(sa.Text, nullable=False, server_default="needs_review"),
    )
    reviewedByUserId: uuid.UUID | None = _fk("User.id", nullable=True, ondelete="SET NULL")
    instruction: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """What the person asked for when regenerating ("shorter", "mention the case study")."""
    provider: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    model: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    safety: list[dict[str, str]] = Field(
        default_factory=list,
        sa_column=sa.Column(JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    """The safety checks that failed (``[]``: all passed); a ``blocked`` draft says why here."""
    sendAfter: datetime | None = _ts(nullable=True)
    """Auto-send: the job sends the draft at this time unless someone cancels it first."""
    replayRunId: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    createdAt: datetime | None = _ts(nullable=False, server_now=True)
    updatedAt: datetime | None = _ts(nullable=False, server_now=True)


TENANT_TABLES = ("Client", "ClientMember", "Campaign", "Lead", "Message", "AIDraft")


class InboxCounts(SQLModel, table=True):
    """Materialized counts: one row per (workspace, scope); scope 0-uuid is the global row."""

    __tablename__ = "inbox_counts"

    clientId: uuid.UUID = client_pk()
    scopeUserId: uuid.UUID = Field(sa_column=sa.Column(UUID(as_uuid=True), primary_key=True))
    allResponses: int = counter()
    requiresAttention: int = counter()
    previouslyRequiredAttention: int = counter()
    needsRepair: int = counter()
    aiSent: int = counter()
    aiReview: int = counter()
    unread: int = counter()
    totalNonBlacklisted: int = counter()
    total: int = counter()
    computedAt: datetime | None = _ts(nullable=False, server_now=True)
    version: int = Field(
        default=1, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="1")
    )


DIRTY_SEQ = sa.Sequence("inbox_counts_dirty_seq", metadata=SQLModel.metadata)


class InboxCountsDirty(SQLModel, table=True):
    __tablename__ = "inbox_counts_dirty"

    clientId: uuid.UUID = client_pk()
    dirtyAt: datetime | None = dirty_at()
    dirtySeq: int | None = dirty_seq(DIRTY_SEQ)


class ReplyDraft(SQLModel, table=True):
    """What a person typed in a conversation's reply box and has not sent (migration 0016)."""

    __tablename__ = "ReplyDraft"
    __table_args__ = (
        lead_fk("ReplyDraft"),
        sa.CheckConstraint("char_length(body) <= 10000", name="ReplyDraft_body_length"),
    )

    userId: uuid.UUID = Field(
        sa_column=sa.Column(
            UUID(as_uuid=True), sa.ForeignKey("User.id", ondelete="CASCADE"), primary_key=True
        )
    )
    leadId: uuid.UUID = Field(sa_column=sa.Column(UUID(as_uuid=True), primary_key=True))
    clientId: uuid.UUID = _fk("Client.id")
    body: str = required_text()
    updatedAt: datetime | None = _ts(nullable=False, server_now=True)

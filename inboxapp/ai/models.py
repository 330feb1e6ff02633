"""The AI tables (migration 0013 creates exactly these; no drift allowed).

* ``AISettings``: one row per workspace (absent: every default below; the local provider).
* ``AIUsage``: requests, tokens and cost per workspace, day, provider and model.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from inboxapp.db.columns import client_pk, counter
from inboxapp.db.columns import fk as _fk
from inboxapp.db.columns import timestamp as _ts


def _text(default: str) -> Any:
    return Field(
        default=default,
        sa_column=sa.Column(sa.Text, nullable=False, server_default=sa.text(f"'{default}'")),
    )


class AISettings(SQLModel, table=True):
    __tablename__ = "AISettings"
    __table_args__ = (
        sa.CheckConstraint("provider IN ('local', 'openai')", name="AISettings_provider"),
        sa.CheckConstraint("\"autoSendMode\" IN ('off', 'review', 'send')", name="AISettings_mode"),
        sa.CheckConstraint('"autoSendDelayMinutes" BETWEEN 0 AND 1440', name="AISettings_delay"),
    )

    clientId: uuid.UUID = client_pk()
    provider: str = _text("local")
    baseUrl: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    model: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    apiKey: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    """Fernet ciphertext (:mod:`inboxapp.secrets_box`); never readable by members."""
    persona: str = _text("")
    signature: str = _text("")
    offerFacts: str = _text("")
    bookingLink: str = _text("")
    tone: str = _text("friendly")
    channelLimits: dict[str, int] = Field(
        default_factory=dict,
        sa_column=sa.Column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    autoSendMode: str = _text("review")
    autoSendDelayMinutes: int = Field(
        default=10, sa_column=sa.Column(sa.Integer, nullable=False, server_default="10")
    )
    updatedByUserId: uuid.UUID | None = _fk("User.id", nullable=True, ondelete="SET NULL")
    updatedAt: datetime | None = _ts(nullable=False, server_now=True)


class AIUsage(SQLModel, table=True):
    __tablename__ = "AIUsage"

    clientId: uuid.UUID = client_pk()
    day: date = Field(sa_column=sa.Column(sa.Date, primary_key=True))
    provider: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    model: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    requests: int = counter()
    promptTokens: int = Field(
        default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0")
    )
    completionTokens: int = Field(
        default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0")
    )
    costMicros: int = Field(
        default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0")
    )

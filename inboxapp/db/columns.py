"""Column helpers shared by every table module (uuid primary keys, foreign keys, timestamps)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field

NOW = sa.text("now()")


def uuid_pk() -> Any:
    return Field(
        default_factory=uuid.uuid4,
        sa_column=sa.Column(
            UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")
        ),
    )


def fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> Any:
    return Field(
        default=None,
        sa_column=sa.Column(
            UUID(as_uuid=True),
            sa.ForeignKey(target, ondelete=ondelete),
            nullable=nullable,
        ),
    )


def timestamp(*, nullable: bool = True, server_now: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=sa.Column(
            sa.DateTime(timezone=True),
            nullable=nullable,
            server_default=NOW if server_now else None,
        ),
    )


def lead_fk(table: str) -> sa.ForeignKeyConstraint:
    """``(leadId, clientId)`` -> the lead in the same workspace (never another tenant's lead)."""
    return sa.ForeignKeyConstraint(
        ["leadId", "clientId"],
        ["Lead.id", "Lead.clientId"],
        name=f"{table}_lead_client_fkey",
        ondelete="CASCADE",
    )


def dirty_at() -> Any:
    """When a dirty mark was (last) set: the statement's own clock, not the transaction's."""
    return Field(
        default=None,
        sa_column=sa.Column(
            sa.DateTime(timezone=True), nullable=False, server_default=sa.text("clock_timestamp()")
        ),
    )


def dirty_seq(sequence: sa.Sequence) -> Any:
    """A dirty mark's number from ``sequence``: a mark cleared only if unchanged since read."""
    return Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger, nullable=False, server_default=sequence.next_value()),
    )

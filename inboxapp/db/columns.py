"""Column helpers shared by every table module (uuid primary keys, foreign keys, timestamps,
required text, partial indexes)."""

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


def client_pk() -> Any:
    """``clientId`` as (part of) the primary key, deleted with its workspace."""
    return Field(
        sa_column=sa.Column(
            UUID(as_uuid=True),
            sa.ForeignKey("Client.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )


def counter() -> Any:
    """An ``integer NOT NULL DEFAULT 0`` column."""
    return Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))


def required_text() -> Any:
    """A ``text NOT NULL`` column."""
    return Field(sa_column=sa.Column(sa.Text, nullable=False))


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> sa.Index:
    """An index over the rows matching ``where`` (SQL)."""
    return sa.Index(name, *columns, unique=unique, postgresql_where=sa.text(where))


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

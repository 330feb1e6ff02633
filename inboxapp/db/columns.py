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

"""Alembic environment: migrations always run on the owner connection (DATABASE_URL)."""

from __future__ import annotations

from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import inboxapp.db.schema  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import context
from inboxapp.config import get_settings, sqlalchemy_url

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = context.config.attributes.get("url") or sqlalchemy_url(get_settings().owner_url)
    connectable = create_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()

"""Per-workspace AI accounting: one ``AIUsage`` row per workspace, UTC day, provider, model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from .models import AIUsage
from .provider import DraftResult


def record_usage(session: Session, client_id: uuid.UUID, result: DraftResult) -> None:
    """Count one request of ``result`` (tokens, cost) in today's row, creating it if needed.

    ``session`` is a ``workspace_session(client_id)``: row level security lets it write this
    workspace's rows only. One statement, so concurrent drafts add up without a lost update.
    """
    values = {
        "clientId": client_id,
        "day": datetime.now(UTC).date(),
        "provider": result.provider,
        "model": result.model or "",
        "requests": 1,
        "promptTokens": result.prompt_tokens,
        "completionTokens": result.completion_tokens,
        "costMicros": result.cost_micros,
    }
    statement = insert(AIUsage).values(**values)
    added = ("requests", "promptTokens", "completionTokens", "costMicros")
    statement = statement.on_conflict_do_update(
        index_elements=["clientId", "day", "provider", "model"],
        set_={name: getattr(AIUsage, name) + statement.excluded[name] for name in added},
    )
    session.execute(statement)

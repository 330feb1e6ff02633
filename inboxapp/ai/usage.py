"""Token and cost accounting per workspace, day, provider and model (the ``AIUsage`` table)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from .models import AIUsage
from .provider import DraftResult

U: sa.Table = AIUsage.__table__  # type: ignore[attr-defined]


def record_usage(s: Session, client_id: uuid.UUID, result: DraftResult) -> None:
    statement = pg_insert(U).values(
        clientId=client_id,
        day=sa.func.timezone("UTC", sa.func.now()).cast(sa.Date),
        provider=result.provider,
        model=result.model,
        requests=1,
        promptTokens=result.prompt_tokens,
        completionTokens=result.completion_tokens,
        costMicros=result.cost_micros,
    )
    s.execute(
        statement.on_conflict_do_update(
            index_elements=["clientId", "day", "provider", "model"],
            set_={
                "requests": U.c.requests + 1,
                "promptTokens": U.c.promptTokens + statement.excluded.promptTokens,
                "completionTokens": U.c.completionTokens + statement.excluded.completionTokens,
                "costMicros": U.c.costMicros + statement.excluded.costMicros,
            },
        )
    )

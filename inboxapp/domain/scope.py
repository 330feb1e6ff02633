"""The setter scope: whose leads a reader sees, as one type.

A user whose effective role in a workspace is exactly SETTER sees only the leads assigned to
them; everyone else sees the whole workspace. The materialized counts store the workspace-wide
row under the sentinel id ``00000000-0000-0000-0000-000000000000`` (:data:`GLOBAL_ROW_ID`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from inboxapp.domain.roles import Role

GLOBAL_ROW_ID = uuid.UUID(int=0)
GLOBAL_KEY = "global"


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose leads: ``setter_id`` None means the whole workspace."""

    setter_id: uuid.UUID | None = None

    @classmethod
    def of(cls, role: Role | str | None, user_id: uuid.UUID | str) -> Scope:
        """The scope of ``user_id`` reading with ``role``."""
        if role == Role.SETTER:
            return cls(user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id)))
        return GLOBAL

    @property
    def is_global(self) -> bool:
        return self.setter_id is None

    @property
    def key(self) -> str:
        """A stable text key ("global" or the setter's id): cache keys, realtime, payloads."""
        return GLOBAL_KEY if self.setter_id is None else str(self.setter_id)

    @property
    def kind(self) -> str:
        """``global`` or ``setter`` (the ``scope`` field of API payloads)."""
        return GLOBAL_KEY if self.setter_id is None else "setter"

    @property
    def row_id(self) -> uuid.UUID:
        """The materialized counts row of this scope."""
        return GLOBAL_ROW_ID if self.setter_id is None else self.setter_id


GLOBAL = Scope()

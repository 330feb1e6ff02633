"""``Access``: a caller's effective role in one workspace, and what it lets them do.

Decided at the database (``app.effective_role``) on every read and write; this is its
Python shape, shared by the read services, the write actions and the realtime hub.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from inboxapp.domain import roles
from inboxapp.domain.roles import Capability
from inboxapp.domain.scope import Scope


@dataclass(frozen=True)
class Access:
    user_id: uuid.UUID
    client_id: uuid.UUID
    role: str

    @property
    def scope(self) -> Scope:
        """Whose leads this caller sees (a SETTER only their own)."""
        return Scope.of(self.role, self.user_id)

    @property
    def is_setter(self) -> bool:
        return not self.scope.is_global

    def can(self, capability: Capability) -> bool:
        return roles.can(self.role, capability)

    @property
    def can_write(self) -> bool:
        """Reply and change leads (RLS enforces the same)."""
        return self.can(Capability.WRITE)

    @property
    def can_manage(self) -> bool:
        """Assign leads and see every setter's work."""
        return self.can(Capability.MANAGE)

    @property
    def can_admin(self) -> bool:
        """Jobs, members, integrations and settings of the workspace."""
        return self.can(Capability.ADMIN)

"""Workspace roles: names, ranks, labels and what each may do.

A user's *effective* role in a workspace is the highest of their roles there; owning the
workspace (``Client.ownerUserId``) is the role ``OWNER``. Ranks: OWNER = ADMIN (4) >
INBOX_MANAGER (3) > SETTER (1) > CLIENT_PORTAL (0). The SQL helper ``app.role_rank`` holds the
same ranks (tests/domain/test_domain.py compares them).
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    INBOX_MANAGER = "INBOX_MANAGER"
    SETTER = "SETTER"
    CLIENT_PORTAL = "CLIENT_PORTAL"


class Capability(enum.StrEnum):
    """What a role may do in its workspace."""

    READ = "read"
    """Open the inbox and analytics (every role)."""
    WRITE = "write"
    """Reply, change leads, approve drafts (everyone but CLIENT_PORTAL)."""
    MANAGE = "manage"
    """Assign leads, see every setter's work (INBOX_MANAGER and above)."""
    ADMIN = "admin"
    """Run the workspace: jobs, members, integrations, settings (OWNER and ADMIN)."""


RANK: dict[Role, int] = {
    Role.OWNER: 4,
    Role.ADMIN: 4,
    Role.INBOX_MANAGER: 3,
    Role.SETTER: 1,
    Role.CLIENT_PORTAL: 0,
}
MIN_RANK: dict[Capability, int] = {
    Capability.READ: 0,
    Capability.WRITE: 1,
    Capability.MANAGE: 3,
    Capability.ADMIN: 4,
}
LABELS: dict[Role, str] = {
    Role.OWNER: "Owner",
    Role.ADMIN: "Admin",
    Role.INBOX_MANAGER: "Inbox manager",
    Role.SETTER: "Setter",
    Role.CLIENT_PORTAL: "Client portal",
}
MEMBER_ROLES: tuple[Role, ...] = (
    Role.ADMIN,
    Role.INBOX_MANAGER,
    Role.SETTER,
    Role.CLIENT_PORTAL,
)
"""Roles a membership can hold (OWNER comes from owning the workspace, never stored)."""


def parse(value: object) -> Role | None:
    """The role named ``value``, or None for anything else."""
    try:
        return Role(str(value))
    except ValueError:
        return None


def rank(role: Role | str | None) -> int:
    """The role's rank; -1 for no (or an unknown) role."""
    parsed = parse(role) if not isinstance(role, Role) else role
    return RANK[parsed] if parsed is not None else -1


def can(role: Role | str | None, capability: Capability) -> bool:
    """Whether ``role`` may do ``capability`` (no role may do nothing)."""
    return rank(role) >= MIN_RANK[capability]


def label(role: Role | str | None) -> str:
    """The role as people read it ("Inbox manager"); "" for no role."""
    parsed = parse(role) if not isinstance(role, Role) else role
    if parsed is None:
        return str(role or "").replace("_", " ").capitalize()
    return LABELS[parsed]


def highest(roles: list[Role]) -> Role | None:
    """The effective role among several (the highest rank wins)."""
    return max(roles, key=RANK.__getitem__, default=None)

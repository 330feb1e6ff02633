"""Operator functions behind the admin CLI (owner connection; RLS does not apply here).

Every function validates its input and raises :class:`AdminError` with one readable sentence
for anything the operator can fix (bad email, unknown workspace, duplicate user, ...).
Password hashes are never returned.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from inboxapp.db.engine import owner_session
from inboxapp.db.models import Client, ClientMember, User
from inboxapp.domain.roles import MEMBER_ROLES, Role

MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


class AdminError(Exception):
    """An operator mistake; the CLI prints it as one line and exits with status 2."""


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if not _EMAIL.match(value) or len(value) > 320:
        raise AdminError(f"invalid email address: {email.strip()!r}")
    return value


def parse_role(role: str) -> Role:
    value = role.strip().upper()
    if value not in {r.value for r in MEMBER_ROLES}:
        choices = ", ".join(r.value for r in MEMBER_ROLES)
        raise AdminError(f"invalid role {role!r} (choose one of {choices})")
    return Role(value)


def parse_uuid(value: str | uuid.UUID, what: str = "workspace id") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise AdminError(f"malformed {what}: {value!r} is not a uuid") from None


def check_password(password: str) -> str:
    if not password:
        raise AdminError("password must not be empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    return password


def check_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise AdminError(f"unknown time zone: {name!r}") from None
    return name


def _user_by_email(s: Session, email: str) -> User | None:
    return s.exec(select(User).where(func.lower(User.email) == email)).first()


def _existing_user(s: Session, email: str) -> User:
    user = _user_by_email(s, email)
    if user is None:
        raise AdminError(f"no user with email {email}")
    return user


def _workspace(s: Session, workspace_id: uuid.UUID) -> Client:
    client = s.get(Client, workspace_id)
    if client is None:
        raise AdminError(f"unknown workspace id: {workspace_id}")
    return client


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def add_workspace(
    name: str, owner_email: str | None = None, timezone: str = "UTC"
) -> dict[str, Any]:
    """Create a workspace, optionally owned by an existing user."""
    name = name.strip()
    if not name:
        raise AdminError("workspace name must not be empty")
    check_timezone(timezone)
    email = normalize_email(owner_email) if owner_email else None
    with owner_session() as s:
        owner = None
        if email:
            owner = _user_by_email(s, email)
            if owner is None:
                raise AdminError(f"no user with email {email} (create it with: users add)")
        client = Client(
            name=name,
            ownerUserId=owner.id if owner else None,
            settings={"roundRobinEnabled": True, "timezone": timezone},
        )
        s.add(client)
        s.flush()
        return {
            "id": str(client.id),
            "name": client.name,
            "ownerEmail": owner.email if owner else None,
            "timezone": timezone,
        }


def add_user(
    email: str,
    password: str,
    display_name: str | None = None,
    workspace_id: str | uuid.UUID | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    """Create a local user (argon2id hash), optionally with one workspace membership."""
    address = normalize_email(email)
    check_password(password)
    if (workspace_id is None) != (role is None):
        raise AdminError("--workspace and --role go together")
    member_role = parse_role(role) if role is not None else None
    client_id = parse_uuid(workspace_id) if workspace_id is not None else None
    name = (display_name or "").strip() or address.split("@", 1)[0]
    from inboxapp.auth.passwords import hash_password  # here: its import costs ~0.25 s

    password_hash = hash_password(password)
    try:
        with owner_session() as s:
            if _user_by_email(s, address) is not None:
                raise AdminError(f"a user with email {address} already exists")
            client = _workspace(s, client_id) if client_id is not None else None
            user = User(email=address, displayName=name, passwordHash=password_hash)
            s.add(user)
            s.flush()
            memberships = []
            if client is not None and member_role is not None:
                s.add(ClientMember(clientId=client.id, userId=user.id, role=member_role.value))
                memberships.append(
                    {
                        "workspaceId": str(client.id),
                        "workspaceName": client.name,
                        "role": member_role.value,
                    }
                )
            return {
                "id": str(user.id),
                "email": user.email,
                "displayName": user.displayName,
                "memberships": memberships,
            }
    except IntegrityError:
        raise AdminError(f"a user with email {address} already exists") from None


def add_member(workspace_id: str | uuid.UUID, email: str, role: str) -> dict[str, Any]:
    """Give an existing user a role in a workspace."""
    client_id = parse_uuid(workspace_id)
    address = normalize_email(email)
    member_role = parse_role(role)
    try:
        with owner_session() as s:
            client = _workspace(s, client_id)
            user = _existing_user(s, address)
            exists = s.exec(
                select(ClientMember).where(
                    ClientMember.clientId == client.id,
                    ClientMember.userId == user.id,
                    ClientMember.role == member_role.value,
                )
            ).first()
            if exists is not None:
                raise AdminError(f"{address} already has role {member_role.value} in {client.name}")
            s.add(ClientMember(clientId=client.id, userId=user.id, role=member_role.value))
            return {
                "workspaceId": str(client.id),
                "workspaceName": client.name,
                "email": user.email,
                "role": member_role.value,
            }
    except IntegrityError:
        raise AdminError(f"{address} already has role {member_role.value} there") from None


def set_user_disabled(email: str, disabled: bool) -> dict[str, Any]:
    """Disable a user (every session of theirs ends within a second) or enable them again."""
    from inboxapp.auth.service import disable_user

    address = normalize_email(email)
    with owner_session() as s:
        user = _existing_user(s, address)
        user_id = user.id
        if not disabled and user.disabledAt is not None:
            user.disabledAt = None
            s.add(user)
    if disabled:
        disable_user(user_id)
    return {"id": str(user_id), "email": address, "disabled": disabled}


def remove_member(workspace_id: str | uuid.UUID, email: str) -> dict[str, Any]:
    """Remove every role a user holds in a workspace (the owner stays owner)."""
    client_id = parse_uuid(workspace_id)
    address = normalize_email(email)
    with owner_session() as s:
        client = _workspace(s, client_id)
        user = _existing_user(s, address)
        removed = s.execute(
            sa.text(
                'DELETE FROM "ClientMember" WHERE "clientId" = :c AND "userId" = :u RETURNING 1'
            ),
            {"c": client.id, "u": user.id},
        ).all()
        if not removed:
            raise AdminError(f"{address} has no role in {client.name}")
        return {"workspaceId": str(client.id), "workspaceName": client.name, "email": address}


_USERS_SQL = """
SELECT id, email, "displayName", "disabledAt", "createdAt" FROM "User" ORDER BY "createdAt", email
"""
_MEMBERSHIPS_SQL = """
SELECT c."ownerUserId" AS "userId", c.id, c.name, CAST(:owner AS text) AS role, 0 AS o
  FROM "Client" c WHERE c."ownerUserId" IS NOT NULL
UNION ALL
SELECT m."userId", c.id, c.name, m.role, 1
  FROM "ClientMember" m JOIN "Client" c ON c.id = m."clientId"
ORDER BY 3, 5, 4
"""
_WORKSPACES_SQL = """
SELECT c.id, c.name, u.email, c.settings ->> 'timezone', c."createdAt",
       (SELECT count(*) FROM "ClientMember" m WHERE m."clientId" = c.id),
       (SELECT count(*) FROM "Lead" l WHERE l."clientId" = c.id)
FROM "Client" c LEFT JOIN "User" u ON u.id = c."ownerUserId"
ORDER BY c."createdAt", c.name
"""


def list_users() -> list[dict[str, Any]]:
    """Users with their memberships (ownership shows as role OWNER); never password hashes."""
    with owner_session() as s:
        conn = s.connection()
        users = conn.execute(sa.text(_USERS_SQL)).all()
        rows = conn.execute(sa.text(_MEMBERSHIPS_SQL), {"owner": Role.OWNER.value}).all()
    memberships: dict[uuid.UUID, list[dict[str, str]]] = {}
    for user_id, client_id, client_name, role, _order in rows:
        memberships.setdefault(user_id, []).append(
            {"workspaceId": str(client_id), "workspaceName": client_name, "role": role}
        )
    return [
        {
            "id": str(uid),
            "email": email,
            "displayName": name,
            "disabled": disabled is not None,
            "createdAt": _iso(created),
            "memberships": memberships.get(uid, []),
        }
        for uid, email, name, disabled, created in users
    ]


def list_workspaces() -> list[dict[str, Any]]:
    """Workspaces with owner, time zone, member and lead counts."""
    with owner_session() as s:
        rows = s.connection().execute(sa.text(_WORKSPACES_SQL)).all()
    return [
        {
            "id": str(cid),
            "name": name,
            "ownerEmail": owner,
            "timezone": timezone or "UTC",
            "members": members,
            "leads": leads,
            "createdAt": _iso(created),
        }
        for cid, name, owner, timezone, created, members, leads in rows
    ]

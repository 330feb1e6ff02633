"""Build real database state for tests (as the owner, like an operator or an import would)."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from inboxapp.auth.passwords import hash_password
from inboxapp.auth.tokens import hash_refresh_token
from inboxapp.db.engine import owner_session
from inboxapp.db.models import (
    AIDraft,
    Campaign,
    Client,
    ClientMember,
    Lead,
    Message,
    RefreshToken,
    User,
)

PASSWORD = "correct horse battery staple"
_HASH = hash_password(PASSWORD)


def create_user(email: str | None = None, name: str = "Test User") -> User:
    user = User(
        email=email or f"user-{uuid.uuid4().hex[:10]}@example.test",
        displayName=name,
        passwordHash=_HASH,
    )
    with owner_session() as s:
        s.add(user)
    return user


def open_session(user_id: uuid.UUID | str) -> str:
    """A live session (refresh-token family) of the user, as a login would store it; returns
    its id (the ``session_id`` claim of that session's access tokens)."""
    family = uuid.uuid4()
    now = datetime.now(UTC)
    with owner_session() as s:
        s.add(
            RefreshToken(
                userId=uuid.UUID(str(user_id)),
                familyId=family,
                tokenHash=hash_refresh_token(secrets.token_urlsafe(32)),
                createdAt=now,
                expiresAt=now + timedelta(days=1),
            )
        )
    return str(family)


def create_workspace(name: str = "Workspace", owner: User | None = None) -> Client:
    client = Client(
        name=name,
        ownerUserId=owner.id if owner else None,
        settings={"roundRobinEnabled": True, "timezone": "UTC"},
    )
    with owner_session() as s:
        s.add(client)
    return client


def add_member(client: Client, user: User, role: str) -> ClientMember:
    member = ClientMember(clientId=client.id, userId=user.id, role=role)
    with owner_session() as s:
        s.add(member)
    return member


def create_campaign(client: Client, name: str = "Campaign") -> Campaign:
    campaign = Campaign(clientId=client.id, name=name, channel="email")
    with owner_session() as s:
        s.add(campaign)
    return campaign


def create_lead(client: Client, **fields: Any) -> Lead:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "firstName": "Lead",
        "lastName": uuid.uuid4().hex[:6],
        "createdAt": now,
        "updatedAt": now,
    }
    values.update(fields)
    lead = Lead(clientId=client.id, **values)
    with owner_session() as s:
        s.add(lead)
    return lead


def create_message(lead: Lead, **fields: Any) -> Message:
    values: dict[str, Any] = {
        "channel": "email",
        "source": "campaign",
        "direction": "outbound",
        "body": "Hello there",
        "sentAt": datetime.now(UTC),
    }
    values.update(fields)
    message = Message(clientId=lead.clientId, leadId=lead.id, **values)
    with owner_session() as s:
        s.add(message)
    return message


def create_draft(lead: Lead, **fields: Any) -> AIDraft:
    values: dict[str, Any] = {
        "channel": "email",
        "body": "Draft reply",
        "status": "pending",
        "autoSendAction": "needs_review",
    }
    values.update(fields)
    draft = AIDraft(clientId=lead.clientId, leadId=lead.id, **values)
    with owner_session() as s:
        s.add(draft)
    return draft

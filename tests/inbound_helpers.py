"""A workspace with webhook endpoints, a signed poster and the processing step, for the
inbound tests (real app, real PostgreSQL as the runtime role, real Redis)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response

from inboxapp.api.app import build_api
from inboxapp.db.engine import owner_session
from inboxapp.db.models import Client, User
from inboxapp.pipeline.inbound.endpoints import IssuedUrl, issue_url
from inboxapp.pipeline.inbound.jobs import process_stored
from inboxapp.pipeline.inbound.signature import HEADER, sign
from inboxapp.pipeline.providers import Provider
from tests import factories as f

API = build_api()


def client() -> TestClient:
    return TestClient(API)


@dataclass
class Shop:
    """One workspace (owner + one setter) with an endpoint per provider."""

    owner: User
    setter: User
    ws: Client
    urls: dict[Provider, IssuedUrl] = field(default_factory=dict)
    http: TestClient = field(default_factory=client)

    @classmethod
    def create(cls, name: str = "Inbound", *, require_signature: bool = True) -> Shop:
        owner, setter = f.create_user(name=f"{name} Owner"), f.create_user(name=f"{name} Setter")
        ws = f.create_workspace(name, owner)
        f.add_member(ws, setter, "SETTER")
        shop = cls(owner, setter, ws)
        for provider in Provider:
            shop.urls[provider] = issue_url(ws.id, provider, require_signature=require_signature)
        return shop

    def path(self, provider: Provider) -> str:
        url = self.urls[provider].url
        assert url is not None
        return urlsplit(url).path

    def post(
        self,
        provider: Provider,
        payload: Any,
        *,
        signed: bool = True,
        secret: str | None = None,
        timestamp: int | None = None,
        path: str | None = None,
        raw: bytes | None = None,
    ) -> Response:
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signed:
            key = secret or self.urls[provider].signing_secret
            assert key is not None
            headers[HEADER] = sign(key, body, timestamp)
        return self.http.post(path or self.path(provider), content=body, headers=headers)

    def deliver(self, provider: Provider, payload: Any) -> dict[str, Any]:
        """Post (signed) and process it, as the worker would; returns the ack body."""
        resp = self.post(provider, payload)
        assert resp.status_code in (200, 202), resp.text
        ack = dict(resp.json())
        process_pending(self.ws.id)
        return ack


def process_pending(client_id: uuid.UUID) -> list[str]:
    """Run the processing job's body for every pending event of the workspace, oldest first."""
    with owner_session() as s:
        ids = s.execute(
            sa.text(
                'SELECT id FROM "WebhookEvent" WHERE "clientId" = :c AND status = \'pending\''
                ' ORDER BY "receivedAt", id'
            ),
            {"c": client_id},
        ).scalars()
        pending = list(ids)
    return [process_stored(client_id, event_id) for event_id in pending]


def rows(sql: str, **params: Any) -> list[Any]:
    with owner_session() as s:
        return list(s.execute(sa.text(sql), params).mappings())


def lead_of(client_id: uuid.UUID, **where: Any) -> Any:
    clause = " AND ".join(f'"{k}" = :{k}' for k in where)
    found = rows(
        f'SELECT * FROM "Lead" WHERE "clientId" = :cid AND {clause}', cid=client_id, **where
    )
    assert len(found) == 1, found
    return found[0]


def messages_of(lead_id: uuid.UUID) -> list[Any]:
    return rows(
        'SELECT * FROM "Message" WHERE "leadId" = :l ORDER BY "sentAt", "providerMessageId"',
        l=lead_id,
    )

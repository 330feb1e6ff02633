"""The session registry (``inboxapp.auth.sessions``): what every path asks before it serves a
session. Driven deterministically: a second registry stands for another process and polls the
change feed when the test says so."""

from __future__ import annotations

import uuid

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from inboxapp import admin
from inboxapp.api.app import create_api
from inboxapp.auth import service
from inboxapp.auth.sessions import Registry, SessionEnded
from inboxapp.config import libpq_url
from inboxapp.db.engine import owner_session
from tests import factories as f
from tests.factories import PASSWORD


def _login(user: f.User) -> service.TokenPair:
    return service.login(user.email, PASSWORD, f"10.66.{uuid.uuid4().int % 250}.2")


def _other_process() -> Registry:
    registry = Registry(autostart=False)
    registry.poll_once()  # the feed's head: from here on it hears every change
    return registry


def test_a_live_session_passes_and_a_logout_ends_it_here_at_once() -> None:
    user = f.create_user()
    pair = _login(user)
    service.require_live_session(pair.user_id, pair.session_id)
    service.logout(pair.refresh_token)
    with pytest.raises(service.AuthError) as refused:
        service.require_live_session(pair.user_id, pair.session_id)
    assert refused.value.code == "INVALID_TOKEN" and refused.value.status == 401


def test_another_process_hears_logout_disable_and_reuse_from_the_feed() -> None:
    users = [f.create_user() for _ in range(3)]
    pairs = [_login(u) for u in users]
    other = _other_process()
    for pair in pairs:
        other.check(pair.user_id, pair.session_id)  # looked up once, then from memory

    service.logout(pairs[0].refresh_token)
    admin.set_user_disabled(users[1].email, True)
    service.refresh(pairs[2].refresh_token)
    with pytest.raises(service.AuthError):
        service.refresh(pairs[2].refresh_token)  # reuse of a rotated token: family revoked

    for pair in pairs:  # not polled yet: memory still says live (the window the poll closes)
        other.check(pair.user_id, pair.session_id)
    other.poll_once()
    reasons = []
    for pair in pairs:
        with pytest.raises(SessionEnded) as ended:
            other.check(pair.user_id, pair.session_id)
        reasons.append(ended.value.reason)
    assert reasons == ["session_revoked", "user_disabled", "session_revoked"]


def test_a_change_made_in_sql_is_heard_too() -> None:
    """Triggers, not the app, write the feed for users and memberships (an operator's SQL)."""
    user = f.create_user()
    ws = f.create_workspace("Feed WS")
    f.add_member(ws, user, "SETTER")
    pair = _login(user)
    other = _other_process()
    other.check(pair.user_id, pair.session_id)
    before = other.membership_version(user.id)
    with owner_session() as s:
        s.execute(sa.text('DELETE FROM "ClientMember" WHERE "userId" = :u'), {"u": user.id})
        s.execute(sa.text('UPDATE "User" SET "disabledAt" = now() WHERE id = :u'), {"u": user.id})
    other.poll_once()
    assert other.membership_version(user.id) == before + 1
    with pytest.raises(SessionEnded):
        other.check(pair.user_id, pair.session_id)


def test_deleted_refresh_tokens_end_the_session() -> None:
    user = f.create_user()
    pair = _login(user)
    other = _other_process()
    other.check(pair.user_id, pair.session_id)
    with owner_session() as s:
        s.execute(sa.text('DELETE FROM "RefreshToken" WHERE "userId" = :u'), {"u": user.id})
    other.poll_once()
    with pytest.raises(SessionEnded):
        other.check(pair.user_id, pair.session_id)


def test_a_stale_feed_is_not_trusted() -> None:
    """No successful poll for ``stale_s``: every check looks the session up itself, so even a
    revocation the feed never announced is refused."""
    user = f.create_user()
    pair = _login(user)
    stale = Registry(autostart=False, stale_s=0.0)
    stale.check(pair.user_id, pair.session_id)
    with owner_session() as s:  # behind the feed's back (no app.auth_change row)
        s.execute(
            sa.text('UPDATE "RefreshToken" SET "revokedAt" = now() WHERE "userId" = :u'),
            {"u": user.id},
        )
    with pytest.raises(SessionEnded):
        stale.check(pair.user_id, pair.session_id)


def test_a_change_that_commits_late_is_not_skipped(database_url: str) -> None:
    """Feed ids are taken at insert, rows appear at commit: a lower id that commits after a
    higher one was read is asked for again (a gap), not lost."""
    user = f.create_user()
    pair = _login(user)
    other = _other_process()
    other.check(pair.user_id, pair.session_id)
    with psycopg.connect(libpq_url(database_url)) as slow:
        slow.execute(
            "INSERT INTO app.auth_change (kind, subject) VALUES ('session', %s)",
            (uuid.UUID(str(pair.session_id)),),
        )  # id N taken, not committed
        later = f.create_user()
        admin.set_user_disabled(later.email, True)  # id N+1 committed
        other.poll_once()
        assert other.check(pair.user_id, pair.session_id) is None  # N not visible yet
        slow.execute(
            'UPDATE "RefreshToken" SET "revokedAt" = now() WHERE "familyId" = %s',
            (uuid.UUID(str(pair.session_id)),),
        )
        slow.commit()
    other.poll_once()
    with pytest.raises(SessionEnded):
        other.check(pair.user_id, pair.session_id)


def test_tokens_without_a_live_session_are_refused_by_the_api() -> None:
    user = f.create_user()
    ws = f.create_workspace("Api WS", owner=user)
    pair = _login(user)
    with TestClient(create_api()) as client:
        headers = {"Authorization": f"Bearer {pair.access_token}"}
        assert client.get("/api/inbox/counts", params={"clientId": str(ws.id)}, headers=headers)
        assert client.get("/api/auth/me", headers=headers).status_code == 200
        service.logout(pair.refresh_token)
        for path in ("/api/auth/me", "/api/workspaces", f"/api/inbox/counts?clientId={ws.id}"):
            response = client.get(path, headers=headers)
            assert response.status_code == 401, path
            assert response.json()["error"] == "INVALID_TOKEN"

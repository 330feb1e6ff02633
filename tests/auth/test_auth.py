"""Session auth end to end: real Postgres (RLS), real Redis, the real FastAPI app."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient
from supabase_auth.errors import AuthApiError

from inboxapp.api.app import create_api
from inboxapp.auth import service, supabase_auth
from inboxapp.auth.ratelimit import KEY_PREFIX, login_limiter
from inboxapp.auth.tokens import issue_access_token
from inboxapp.config import get_settings
from inboxapp.db.engine import owner_session
from tests import factories as f
from tests.conftest import TEST_JWT_SECRET, reset_app_caches

TOKEN = "/api/auth/token"
REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"
ME = "/api/auth/me"


@contextmanager
def env(**values: str | None) -> Iterator[None]:
    """Temporarily change settings (environment + cached settings), then restore them."""
    old = {key: os.environ.get(key) for key in values}

    def apply(pairs: dict[str, str | None]) -> None:
        for key, value in pairs.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_app_caches()
        login_limiter.clear_memory()

    apply(values)
    try:
        yield
    finally:
        apply(old)


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_api()) as test_client:
        yield test_client


def login(client: TestClient, email: str, password: str = f.PASSWORD) -> Any:
    return client.post(TOKEN, json={"email": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims_for(user_id: uuid.UUID | str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": "authenticated",
        "aud": "authenticated",
        "email": "someone@example.test",
        "iat": now,
        "exp": now + 600,
        "iss": "inboxapp",
        "session_id": f.open_session(user_id),  # a real, live session of the user
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


# --- the happy path -----------------------------------------------------------------------


def test_login_me_refresh_logout(client: TestClient) -> None:
    user = f.create_user(name="Happy Path")
    f.create_workspace(f"Happy {user.id}", user)

    response = login(client, user.email.upper())  # email lookup is case-insensitive
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "user"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().access_token_ttl_s
    assert body["user"] == {"id": str(user.id), "email": user.email}

    claims = jwt.decode(
        body["access_token"], TEST_JWT_SECRET, algorithms=["HS256"], audience="authenticated"
    )
    assert claims["sub"] == str(user.id)
    assert claims["role"] == "authenticated"
    assert claims["email"] == user.email
    assert claims["iss"] == "inboxapp"
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    family = uuid.UUID(claims["session_id"])

    # Only the SHA-256 of the refresh token is stored.
    with owner_session() as s:
        rows = s.execute(
            sa.text('SELECT "tokenHash", "familyId" FROM "RefreshToken" WHERE "userId" = :id'),
            {"id": user.id},
        ).all()
    assert len(rows) == 1 and rows[0].familyId == family
    assert body["refresh_token"] not in rows[0].tokenHash and len(rows[0].tokenHash) == 64

    me = client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["user"] == {
        "id": str(user.id),
        "email": user.email,
        "displayName": "Happy Path",
    }

    rotated = client.post(REFRESH, json={"refresh_token": body["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    pair = rotated.json()
    assert pair["refresh_token"] != body["refresh_token"]
    assert pair["user"] == body["user"]
    new_claims = jwt.decode(
        pair["access_token"], TEST_JWT_SECRET, algorithms=["HS256"], audience="authenticated"
    )
    assert new_claims["session_id"] == str(family)  # same session, next token in the family
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200

    assert client.post(LOGOUT, json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert_error(
        client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}),
        401,
        "INVALID_REFRESH_TOKEN",
    )
    # Logging out again (or with an unknown token) is a no-op.
    assert client.post(LOGOUT, json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert client.post(LOGOUT, json={"refresh_token": "never-issued"}).status_code == 204


def test_token_endpoint_accepts_refresh_grant(client: TestClient) -> None:
    user = f.create_user()
    first = login(client, user.email).json()
    response = client.post(
        TOKEN, json={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == str(user.id)


# --- failed logins --------------------------------------------------------------------------


def test_wrong_password_and_unknown_email_look_the_same(client: TestClient) -> None:
    user = f.create_user()
    wrong = login(client, user.email, "not the password")
    unknown = login(client, f"nobody-{uuid.uuid4().hex[:8]}@example.test")
    assert_error(wrong, 401, "INVALID_CREDENTIALS")
    assert_error(unknown, 401, "INVALID_CREDENTIALS")
    assert wrong.json() == unknown.json()


def test_unknown_email_costs_a_password_hash(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No user enumeration by timing: both paths run exactly one argon2 verification."""
    from inboxapp.auth import passwords

    calls: list[str] = []
    real = passwords._hasher

    class CountingHasher:
        def verify(self, hash_: str, password: str) -> bool:
            calls.append(hash_)
            return real.verify(hash_, password)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    user = f.create_user()
    for email in (user.email, f"ghost-{uuid.uuid4().hex[:8]}@example.test"):
        with pytest.raises(service.AuthError):
            service.login(email, "wrong password", f"10.9.{uuid.uuid4().int % 250}.1")
    assert len(calls) == 2
    assert calls[1] == passwords._DUMMY_HASH


def test_disabled_user_cannot_log_in_refresh_or_me(client: TestClient) -> None:
    user = f.create_user()
    pair = login(client, user.email).json()
    with owner_session() as s:
        s.execute(sa.text('UPDATE "User" SET "disabledAt" = now() WHERE id = :id'), {"id": user.id})
    assert_error(login(client, user.email), 401, "INVALID_CREDENTIALS")
    assert_error(
        client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}),
        401,
        "INVALID_REFRESH_TOKEN",
    )
    assert_error(client.get(ME, headers=bearer(pair["access_token"])), 401, "INVALID_TOKEN")


def test_deleted_user_gets_401(client: TestClient) -> None:
    user = f.create_user()
    pair = login(client, user.email).json()
    with owner_session() as s:
        s.execute(sa.text('DELETE FROM "User" WHERE id = :id'), {"id": user.id})
    assert_error(client.get(ME, headers=bearer(pair["access_token"])), 401, "INVALID_TOKEN")
    assert_error(
        client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}),
        401,
        "INVALID_REFRESH_TOKEN",
    )
    assert_error(login(client, user.email), 401, "INVALID_CREDENTIALS")


# --- access token verification --------------------------------------------------------------


def test_missing_or_non_bearer_authorization(client: TestClient) -> None:
    assert_error(client.get(ME), 401, "UNAUTHORIZED")
    assert_error(client.get(ME, headers={"Authorization": "Basic dTpw"}), 401, "UNAUTHORIZED")
    assert_error(client.get(ME, headers={"Authorization": "Bearer"}), 401, "UNAUTHORIZED")
    assert_error(client.get(ME, headers=bearer("not-a-jwt")), 401, "INVALID_TOKEN")


def test_expired_token(client: TestClient) -> None:
    user = f.create_user()
    token = issue_access_token(
        user_id=str(user.id),
        email=user.email,
        session_id=None,
        secret=TEST_JWT_SECRET,
        ttl_s=60,
        now=int(time.time()) - 3600,
    )
    response = client.get(ME, headers=bearer(token))
    assert_error(response, 401, "TOKEN_EXPIRED")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_token_signed_with_another_secret(client: TestClient) -> None:
    user = f.create_user()
    token = jwt.encode(claims_for(user.id), "another-secret-" + "y" * 40, algorithm="HS256")
    assert_error(client.get(ME, headers=bearer(token)), 401, "INVALID_TOKEN")


def test_alg_none_is_rejected(client: TestClient) -> None:
    user = f.create_user()
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_for(user.id))}."
    assert_error(client.get(ME, headers=bearer(token)), 401, "INVALID_TOKEN")
    # The same with a (meaningless) signature part attached.
    assert_error(client.get(ME, headers=bearer(token + "c2ln")), 401, "INVALID_TOKEN")


def test_tampered_claims_are_rejected(client: TestClient) -> None:
    victim, attacker = f.create_user(), f.create_user()
    token = login(client, attacker.email).json()["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(victim.id)
    forged = f"{header}.{b64(claims)}.{signature}"
    assert_error(client.get(ME, headers=bearer(forged)), 401, "INVALID_TOKEN")


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": None},
        {"iat": None},
        {"sub": None},
        {"aud": None},
        {"aud": "anon"},
        {"role": "service_role"},
        {"iss": "someone-else"},
        {"sub": "not-a-uuid"},
    ],
    ids=["no-exp", "no-iat", "no-sub", "no-aud", "wrong-aud", "wrong-role", "wrong-iss", "bad-sub"],
)
def test_required_claims(client: TestClient, overrides: dict[str, Any]) -> None:
    user = f.create_user()
    good = jwt.encode(claims_for(user.id), TEST_JWT_SECRET, algorithm="HS256")
    assert client.get(ME, headers=bearer(good)).status_code == 200
    token = jwt.encode(claims_for(user.id, **overrides), TEST_JWT_SECRET, algorithm="HS256")
    assert_error(client.get(ME, headers=bearer(token)), 401, "INVALID_TOKEN")


# --- refresh tokens ------------------------------------------------------------------------


def test_revoked_refresh_token(client: TestClient) -> None:
    user = f.create_user()
    pair = login(client, user.email).json()
    assert client.post(LOGOUT, json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert_error(
        client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}),
        401,
        "INVALID_REFRESH_TOKEN",
    )


def test_unknown_and_expired_refresh_tokens(client: TestClient) -> None:
    user = f.create_user()
    assert_error(
        client.post(REFRESH, json={"refresh_token": "x" * 43}), 401, "INVALID_REFRESH_TOKEN"
    )
    pair = login(client, user.email).json()
    with owner_session() as s:
        s.execute(
            sa.text(
                'UPDATE "RefreshToken" SET "expiresAt" = now() - interval \'1 second\''
                ' WHERE "userId" = :id'
            ),
            {"id": user.id},
        )
    assert_error(
        client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}),
        401,
        "INVALID_REFRESH_TOKEN",
    )


def test_rotated_refresh_token_reuse_revokes_the_family(client: TestClient) -> None:
    user = f.create_user()
    first = login(client, user.email).json()
    other_session = login(client, user.email).json()  # another device: a different family
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).json()

    # The stolen (already rotated) token comes back: rejected, and the family is burnt...
    assert_error(
        client.post(REFRESH, json={"refresh_token": first["refresh_token"]}),
        401,
        "INVALID_REFRESH_TOKEN",
    )
    # ...so the legitimate holder of the newest token is logged out too.
    assert_error(
        client.post(REFRESH, json={"refresh_token": second["refresh_token"]}),
        401,
        "INVALID_REFRESH_TOKEN",
    )
    # Other sessions of the same user are untouched.
    again = client.post(REFRESH, json={"refresh_token": other_session["refresh_token"]})
    assert again.status_code == 200, again.text


# --- rate limiting --------------------------------------------------------------------------


def test_failed_logins_are_rate_limited_per_email_and_ip(client: TestClient) -> None:
    user = f.create_user()
    with env(LOGIN_MAX_FAILURES="3", LOGIN_WINDOW_S="60"):
        for _ in range(3):
            assert_error(login(client, user.email, "wrong"), 401, "INVALID_CREDENTIALS")
        blocked = login(client, user.email.upper())  # even the right password, any case
        assert_error(blocked, 429, "RATE_LIMITED")
        assert 1 <= int(blocked.headers["retry-after"]) <= 60

        # Counters live in Redis under a keyed hash: no email address in any key.
        r = redis.Redis.from_url(get_settings().redis_url or "")
        keys = [k.decode() for k in r.scan_iter(match=KEY_PREFIX + "*", count=1000)]
        assert keys
        local_part = user.email.split("@")[0]
        assert not [k for k in keys if local_part in k or "@" in k]

        # Another IP for the same email is not blocked (the limit is per email + IP).
        assert service.login(user.email, f.PASSWORD, "203.0.113.7").user_id == str(user.id)


def test_successful_login_resets_the_counter(client: TestClient) -> None:
    user = f.create_user()
    with env(LOGIN_MAX_FAILURES="3", LOGIN_WINDOW_S="60"):
        for _ in range(2):
            assert_error(login(client, user.email, "wrong"), 401, "INVALID_CREDENTIALS")
        assert login(client, user.email).status_code == 200
        for _ in range(2):
            assert_error(login(client, user.email, "wrong"), 401, "INVALID_CREDENTIALS")
        assert login(client, user.email).status_code == 200


def test_redis_down_falls_back_to_memory(client: TestClient) -> None:
    import structlog

    user = f.create_user()
    with (
        env(REDIS_URL="redis://127.0.0.1:1/0", LOGIN_MAX_FAILURES="2", LOGIN_WINDOW_S="60"),
        structlog.testing.capture_logs() as logs,
    ):
        assert login(client, user.email).status_code == 200  # login never fails on Redis
        for _ in range(2):
            assert_error(login(client, user.email, "wrong"), 401, "INVALID_CREDENTIALS")
        assert_error(login(client, user.email), 429, "RATE_LIMITED")
    warnings = [e for e in logs if e["event"] == "ratelimit.redis_unavailable_using_memory"]
    assert len(warnings) == 1  # rate-limited warning, not one per request


# --- me: workspaces decided by RLS ----------------------------------------------------------


def test_me_lists_only_my_workspaces_with_effective_role(client: TestClient) -> None:
    me_user, other = f.create_user(), f.create_user()
    tag = uuid.uuid4().hex[:6]
    owned = f.create_workspace(f"B owned {tag}", me_user)
    shared = f.create_workspace(f"A shared {tag}", other)
    f.add_member(shared, me_user, "SETTER")
    f.add_member(shared, me_user, "ADMIN")
    portal = f.create_workspace(f"C portal {tag}", other)
    f.add_member(portal, me_user, "CLIENT_PORTAL")
    foreign = f.create_workspace(f"D foreign {tag}", other)
    f.add_member(foreign, other, "ADMIN")

    token = login(client, me_user.email).json()["access_token"]
    body = client.get(ME, headers=bearer(token)).json()
    assert body["workspaces"] == [
        {"id": str(shared.id), "name": f"A shared {tag}", "role": "ADMIN"},
        {"id": str(owned.id), "name": f"B owned {tag}", "role": "OWNER"},
        {"id": str(portal.id), "name": f"C portal {tag}", "role": "CLIENT_PORTAL"},
    ]
    # The service function the UI calls returns the same.
    assert service.me(str(me_user.id)).as_json() == body


# --- Supabase mode (the Supabase client is faked; it cannot reach Supabase here) -------------

SUPABASE_URL = "http://127.0.0.1:9"


class FakeSupabaseAuth:
    """Stands in for ``create_client(...).auth`` (Supabase's GoTrue client)."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.refresh_tokens: set[str] = set()
        self.signed_out: list[Any] = []

    def _response(self) -> Any:
        refresh_token = uuid.uuid4().hex
        self.refresh_tokens.add(refresh_token)
        access = issue_access_token(
            user_id=str(self.user.id),
            email=self.user.email,
            session_id=str(uuid.uuid4()),
            secret=TEST_JWT_SECRET,
            ttl_s=3600,
            issuer=f"{SUPABASE_URL}/auth/v1",
        )
        session = SimpleNamespace(access_token=access, refresh_token=refresh_token, expires_in=3600)
        return SimpleNamespace(
            session=session, user=SimpleNamespace(id=self.user.id, email=self.user.email)
        )

    def sign_in_with_password(self, credentials: dict[str, str]) -> Any:
        if credentials != {"email": self.user.email, "password": f.PASSWORD}:
            raise AuthApiError("Invalid login credentials", 400, "invalid_credentials")
        return self._response()

    def refresh_session(self, refresh_token: str) -> Any:
        if refresh_token not in self.refresh_tokens:
            raise AuthApiError("Invalid Refresh Token: Refresh Token Not Found", 400, None)
        self.refresh_tokens.discard(refresh_token)
        return self._response()

    def sign_out(self, options: Any) -> None:
        self.signed_out.append(options)


@pytest.fixture
def fake_supabase(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSupabaseAuth]:
    fake = FakeSupabaseAuth(f.create_user())

    def create_client(url: str, key: str, options: Any = None) -> Any:
        assert (url, key) == (SUPABASE_URL, "anon-key")
        assert options is not None and not options.persist_session
        return SimpleNamespace(auth=fake)

    monkeypatch.setattr(supabase_auth, "create_client", create_client)
    with env(SUPABASE_URL=SUPABASE_URL, SUPABASE_ANON_KEY="anon-key"):
        yield fake


def test_supabase_mode_dispatch(client: TestClient, fake_supabase: FakeSupabaseAuth) -> None:
    user = fake_supabase.user
    assert_error(login(client, user.email, "wrong"), 401, "INVALID_CREDENTIALS")
    pair = login(client, user.email).json()
    assert pair["user"] == {"id": str(user.id), "email": user.email}

    # Supabase-issued tokens verify against JWT_SECRET + the project's issuer...
    me = client.get(ME, headers=bearer(pair["access_token"]))
    assert me.status_code == 200 and me.json()["user"]["id"] == str(user.id)
    # ...and locally issued ones (issuer "inboxapp") are not accepted in this mode.
    local = jwt.encode(claims_for(user.id), TEST_JWT_SECRET, algorithm="HS256")
    assert_error(client.get(ME, headers=bearer(local)), 401, "INVALID_TOKEN")

    rotated = client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    assert_error(
        client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}),
        401,
        "INVALID_REFRESH_TOKEN",
    )
    new_refresh = rotated.json()["refresh_token"]
    assert client.post(LOGOUT, json={"refresh_token": new_refresh}).status_code == 204
    assert fake_supabase.signed_out == [{"scope": "local"}]


def test_supabase_mode_respects_local_disable(
    client: TestClient, fake_supabase: FakeSupabaseAuth
) -> None:
    with owner_session() as s:
        s.execute(
            sa.text('UPDATE "User" SET "disabledAt" = :now WHERE id = :id'),
            {"now": datetime.now(UTC), "id": fake_supabase.user.id},
        )
    assert_error(login(client, fake_supabase.user.email), 401, "INVALID_CREDENTIALS")


def test_supabase_unreachable_is_503_not_500(client: TestClient) -> None:
    """The real Supabase client against a closed local port."""
    user = f.create_user()
    with env(SUPABASE_URL=SUPABASE_URL, SUPABASE_ANON_KEY="anon-key"):
        assert_error(login(client, user.email), 503, "AUTH_UNAVAILABLE")
        assert_error(
            client.post(REFRESH, json={"refresh_token": "whatever"}), 503, "AUTH_UNAVAILABLE"
        )

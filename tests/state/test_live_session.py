"""The live-update task's session handling (``inboxapp.state.live``) against the real auth
service: tabs of one browser share a refresh token, so a rotation must happen once per
process (two rotations of one refresh token would trip reuse detection and sign the user
out); a session that is gone refuses; token expiry is read from the verified token only."""

from __future__ import annotations

import asyncio
import time

import pytest

from inboxapp.auth import service as auth_service
from inboxapp.auth.tokens import AuthError
from inboxapp.state import live
from tests.factories import PASSWORD, create_user


def _login(unique: str) -> auth_service.TokenPair:
    user = create_user(name=f"Live {unique}")
    return auth_service.login(user.email, PASSWORD, "10.88.0.1")


def test_concurrent_tabs_rotate_the_session_once(unique: str) -> None:
    pair = _login(unique)

    async def three_tabs() -> list[auth_service.TokenPair]:
        return list(await asyncio.gather(*(live.rotate_once(pair.refresh_token) for _ in range(3))))

    pairs = asyncio.run(three_tabs())
    assert len({p.refresh_token for p in pairs}) == 1
    assert pairs[0].refresh_token != pair.refresh_token
    # One rotation only: the new refresh token still works (a second rotation of the old
    # token would have been reuse and revoked the whole family).
    assert auth_service.refresh(pairs[0].refresh_token).access_token


def test_a_rotation_of_a_revoked_session_is_refused(unique: str) -> None:
    pair = _login(unique)
    auth_service.logout(pair.refresh_token)
    with pytest.raises(AuthError):
        asyncio.run(live.rotate_once(pair.refresh_token))
    with pytest.raises(AuthError):
        asyncio.run(live.rotate_once(""))


def test_a_failed_rotation_is_not_remembered(unique: str) -> None:
    """A transient refusal must not stick: the next caller tries again."""
    with pytest.raises(AuthError):
        asyncio.run(live.rotate_once("not-a-refresh-token"))
    pair = _login(unique)
    assert asyncio.run(live.rotate_once(pair.refresh_token)).access_token


def test_token_expiry_is_read_from_verified_tokens_only(unique: str) -> None:
    pair = _login(unique)
    expiry = live.token_expiry(pair.access_token)
    assert time.time() < expiry <= time.time() + pair.expires_in + 1
    assert live.token_expiry("") == 0.0
    assert live.token_expiry(pair.access_token[:-4] + "AAAA") == 0.0  # tampered signature

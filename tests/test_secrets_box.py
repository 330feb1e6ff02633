"""Secrets at rest: encrypted, never shown, rotatable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from inboxapp import secrets_box


def test_round_trip_and_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv(secrets_box.ENV_KEY, old)
    secrets_box.reset()
    stored = secrets_box.encrypt("sk-live-123")
    assert "sk-live-123" not in stored
    assert secrets_box.decrypt(stored).value == "sk-live-123"
    assert "sk-live" not in repr(secrets_box.decrypt(stored))
    monkeypatch.setenv(secrets_box.ENV_KEY, f"{new},{old}")  # rotation: new first, old still reads
    secrets_box.reset()
    assert secrets_box.decrypt(stored).value == "sk-live-123"
    monkeypatch.setenv(secrets_box.ENV_KEY, new)  # the old key dropped: old values are unreadable
    secrets_box.reset()
    with pytest.raises(secrets_box.SecretError):
        secrets_box.decrypt(stored)
    with pytest.raises(secrets_box.SecretError):
        secrets_box.decrypt("not a token")
    secrets_box.reset()

"""AI settings: validation, who may change them (row level security), the key write-only and
encrypted, and the operator CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from inboxapp.ai import settings as ai_settings
from inboxapp.cli import main
from inboxapp.db.engine import owner_session, user_session
from inboxapp.errors import BadRequest, Forbidden
from tests import factories as f


@dataclass
class Workspace:
    id: Any
    owner: Any


@pytest.fixture
def ws() -> Workspace:
    owner = f.create_user(name="AI Owner")
    return Workspace(f.create_workspace("AI settings", owner).id, owner)


@pytest.mark.parametrize(
    "changes",
    [
        {"provider": "gpt"},
        {"auto_send_mode": "always"},
        {"auto_send_delay_minutes": -1},
        {"auto_send_delay_minutes": True},
        {"auto_send_delay_minutes": 100000},
        {"booking_link": "javascript:alert(1)"},
        {"base_url": "http://user:pw@host"},
        {"persona": "x" * 5000},
        {"signature": "a\x00b"},
        {"channel_limits": {"fax": 100}},
        {"channel_limits": {"sms": 5}},
        {"channel_limits": "sms=100"},
        {"unknown": 1},
    ],
)
def test_bad_settings_are_a_400_and_change_nothing(ws: Any, changes: dict[str, Any]) -> None:
    before = ai_settings.load_for(ws.id)
    with pytest.raises(BadRequest):
        ai_settings.save(ws.id, changes)
    assert ai_settings.load_for(ws.id) == before


def test_only_owners_and_admins_change_them_and_the_key_is_write_only(ws: Any) -> None:
    setter = f.create_user(name="AI Setter")
    f.add_member(ws, setter, "SETTER")  # type: ignore[arg-type]  (only .id is read)
    with pytest.raises(Forbidden):
        ai_settings.save(ws.id, {"tone": "formal"}, user_id=setter.id)
    ai_settings.save(ws.id, {"tone": "formal", "api_key": "sk-secret-1"}, user_id=ws.owner.id)
    loaded = ai_settings.load_for(ws.id)
    assert loaded.tone == "formal" and loaded.api_key is not None
    assert loaded.api_key.value == "sk-secret-1" and "sk-secret" not in repr(loaded)
    with owner_session() as s:
        stored = s.execute(
            sa.text('SELECT "apiKey" FROM "AISettings" WHERE "clientId" = :c'), {"c": ws.id}
        ).scalar_one()
    assert "sk-secret" not in stored  # encrypted at rest
    for user in (setter, ws.owner):  # no member reads the key column
        with pytest.raises(sa.exc.ProgrammingError), user_session(user.id) as s:
            s.execute(sa.text('SELECT "apiKey" FROM "AISettings"'))
    assert ai_settings.public_view(loaded)["api_key_set"] is True


def test_the_cli_shows_and_changes_settings(ws: Any, capsys: Any, monkeypatch: Any) -> None:
    assert main(["ai", "settings", "--client-id", str(ws.id), "--auto-send-mode", "send",
                 "--auto-send-delay-minutes", "5", "--json"]) == 0  # fmt: skip
    shown = json.loads(capsys.readouterr().out)
    assert shown["auto_send_mode"] == "send" and shown["auto_send_delay_minutes"] == 5
    assert main(["ai", "settings", "--client-id", str(ws.id), "--provider", "gpt"]) == 2
    assert "provider must be" in capsys.readouterr().err

"""Settings validation, the fail-fast startup path and the feature-flag aliases."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from inboxapp.config import PROJECT_ROOT, Settings, describe_validation_error

GOOD_DB = "postgresql://owner@127.0.0.1:5432/inboxapp"


@pytest.fixture(autouse=True)
def clean_flag_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The flag variables of the surrounding shell must not decide these tests."""
    for name in (
        "INBOX_READ_API_V1",
        "NEXT_PUBLIC_INBOX_READ_API_V1",
        "ANALYTICS_READ_API_V1",
        "NEXT_PUBLIC_ANALYTICS_READ_API_V1",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://x"),
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "postgresql://owner@127.0.0.1:5432"),  # no database name
        ("DATABASE_URL", "127.0.0.1:5432/inboxapp"),
        ("APP_DATABASE_URL", "sqlite:///app.db"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("REDIS_URL", "localhost:6379"),
        ("JWT_SECRET", "too-short"),
        ("JWT_SECRET", "x" * 31),
        ("LOG_LEVEL", "verbose"),
        ("LOG_LEVEL", "TRACE"),
        ("ACCESS_TOKEN_TTL_S", "10"),
        ("ACCESS_TOKEN_TTL_S", "soon"),
        ("REFRESH_TOKEN_TTL_S", "60"),
        ("LOGIN_MAX_FAILURES", "0"),
        ("DEMO_PASSWORD", "short"),
        ("INBOX_READ_API_V1", "maybe"),
        ("INBOXAPP_METRICS_TOKEN", "s" * 31),
        ("INBOXAPP_METRICS_TOKEN", "a scrape token with spaces in it, 40+"),
        ("INBOXAPP_METRICS_TOKEN", "\u00e9" * 40),
    ],
)
def test_bad_values_are_rejected_and_named(name: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(**{name: value})
    assert describe_validation_error(info.value).startswith(f"invalid configuration: {name}: ")


@pytest.mark.parametrize(
    ("name", "value", "attr", "expected"),
    [
        ("DATABASE_URL", GOOD_DB, "database_url", GOOD_DB),
        ("DATABASE_URL", "postgres://o@h/db", "database_url", "postgres://o@h/db"),
        (
            "DATABASE_URL",
            "postgresql+psycopg://o@h/db",
            "database_url",
            "postgresql+psycopg://o@h/db",
        ),
        (
            "DATABASE_URL",
            "postgresql:///db?host=/tmp",
            "database_url",
            "postgresql:///db?host=/tmp",
        ),
        ("DATABASE_URL", "", "database_url", None),
        ("REDIS_URL", "rediss://cache:6380/1", "redis_url", "rediss://cache:6380/1"),
        ("REDIS_URL", "unix:///tmp/redis.sock", "redis_url", "unix:///tmp/redis.sock"),
        ("JWT_SECRET", "x" * 32, "jwt_secret", "x" * 32),
        ("LOG_LEVEL", "warning", "log_level", "WARNING"),
        ("ACCESS_TOKEN_TTL_S", "60", "access_token_ttl_s", 60),
    ],
)
def test_good_values_are_accepted(name: str, value: str, attr: str, expected: object) -> None:
    assert getattr(Settings(**{name: value}), attr) == expected


def test_runtime_url_is_derived_for_the_runtime_role() -> None:
    settings = Settings(
        DATABASE_URL="postgresql://postgres:pw@db.example:6543/inbox?sslmode=require"
    )
    assert (
        settings.runtime_url == "postgresql://authenticator@db.example:6543/inbox?sslmode=require"
    )
    with_password = Settings(DATABASE_URL=GOOD_DB, APP_DB_PASSWORD="s3cret")
    assert with_password.runtime_url == "postgresql://authenticator:s3cret@127.0.0.1:5432/inboxapp"
    explicit = Settings(DATABASE_URL=GOOD_DB, APP_DATABASE_URL="postgresql://app@other/inboxapp")
    assert explicit.runtime_url == "postgresql://app@other/inboxapp"


def _run_get_settings(**env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", "from inboxapp.config import get_settings; get_settings()"],
        env=full_env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://nope"),
        ("JWT_SECRET", "short-secret"),
        ("INBOXAPP_METRICS_TOKEN", "short-scrape-token"),
    ],
)
def test_get_settings_fails_fast_with_one_line(name: str, value: str) -> None:
    proc = _run_get_settings(**{name: value})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"invalid configuration: {name}: "), lines[0]
    assert "Traceback" not in proc.stderr
    assert value not in proc.stderr  # never echo URLs (credentials) or secrets back
    assert proc.stdout == ""


def test_get_settings_succeeds_silently_with_good_values() -> None:
    proc = _run_get_settings(DATABASE_URL=GOOD_DB, LOG_LEVEL="info")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


@pytest.mark.parametrize("flag", ["inbox", "analytics"])
def test_flag_defaults_on(flag: str) -> None:
    assert getattr(Settings(), f"{flag}_read_api_v1") is True


@pytest.mark.parametrize("flag", ["inbox", "analytics"])
def test_public_flag_name_alone_is_honoured(flag: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"NEXT_PUBLIC_{flag.upper()}_READ_API_V1", "false")
    assert getattr(Settings(), f"{flag}_read_api_v1") is False


@pytest.mark.parametrize("flag", ["inbox", "analytics"])
@pytest.mark.parametrize(("server", "public"), [("true", "false"), ("false", "true")])
def test_server_flag_name_wins_over_public_name(
    flag: str, server: str, public: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{flag.upper()}_READ_API_V1", server)
    monkeypatch.setenv(f"NEXT_PUBLIC_{flag.upper()}_READ_API_V1", public)
    assert getattr(Settings(), f"{flag}_read_api_v1") is (server == "true")


@pytest.mark.parametrize("value", ["", None])
def test_an_empty_scrape_token_means_none(value: str | None) -> None:
    assert Settings(INBOXAPP_METRICS_TOKEN=value).metrics_token is None


def test_the_scrape_token_is_kept_secret() -> None:
    token = "scrape-" + "k" * 40
    settings = Settings(INBOXAPP_METRICS_TOKEN=token)
    assert settings.metrics_token is not None
    assert settings.metrics_token.get_secret_value() == token
    assert token not in repr(settings) and token not in str(settings.model_dump())

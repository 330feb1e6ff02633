"""Settings: validation of every group, the fail-fast startup path (one line, exit 2), the
feature-flag aliases, and the agreement of README.md / ``.env.example`` with the classes."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from inboxapp.config import (
    GROUPS,
    PROJECT_ROOT,
    DebugSettings,
    JobSettings,
    JobsPageSettings,
    LiveSettings,
    RealtimeSettings,
    Settings,
    SettingsBase,
    ToolSettings,
    TuningSettings,
    describe_validation_error,
    env_name,
    env_names,
    job_settings,
    live_settings,
)
from inboxapp.config import docs as config_docs
from inboxapp.config.jobs import TEST_TASKS_MODULE

GOOD_DB = "postgresql://owner@127.0.0.1:5432/inboxapp"
ALL_NAMES = {
    name: group.cls
    for group in GROUPS
    for field in group.cls.model_fields
    for name in env_names(group.cls, field)
}
"""Every variable a settings class reads -> that class."""
RETIRED = {"INBOXAPP_METRICS_TRUST_LOOPBACK"}
"""Names that may still be mentioned (docs, a test proving the switch is gone), never read."""


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


def _run_get_settings(
    code: str = "from inboxapp.config import get_settings; get_settings()", **env: str
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", code],
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


# -- every group: one policy ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "name", "value"),
    [
        # values the old hand-written parsers clamped or ignored silently
        (LiveSettings, "INBOXAPP_LIVE_DEBOUNCE_S", "9"),
        (LiveSettings, "INBOXAPP_LIVE_DEBOUNCE_S", "soon"),
        (LiveSettings, "INBOXAPP_LIVE_LEADING", "banana"),
        (LiveSettings, "INBOXAPP_LIVE_HEARTBEAT_S", "0"),
        (LiveSettings, "INBOXAPP_LIVE_APPLY_CONCURRENCY", "2.5"),
        (JobsPageSettings, "INBOXAPP_JOBS_PAGE_POLL_S", "0.1"),
        (JobsPageSettings, "INBOXAPP_JOBS_PAGE_LIVE_MAX_S", "a while"),
        (RealtimeSettings, "INBOXAPP_REALTIME_LEAD_DELAY_S", "-1"),
        (RealtimeSettings, "INBOXAPP_REALTIME_LEAD_DELAY_S", "soon"),
        (RealtimeSettings, "INBOXAPP_REALTIME_THREADS", "0"),
        (RealtimeSettings, "INBOXAPP_REALTIME_PARALLEL", "many"),
        (TuningSettings, "INBOXAPP_SWITCH_INTERVAL_S", "1"),
        (TuningSettings, "INBOXAPP_GC_FREEZE", "sometimes"),
        (DebugSettings, "INBOXAPP_DEBUG_LOOPS", "maybe"),
        (DebugSettings, "INBOXAPP_DEBUG_LOOPS_THRESHOLD", "0"),
        (DebugSettings, "INBOXAPP_DEBUG_LOOPS_WINDOW_S", "0"),
        (ToolSettings, "INBOXAPP_SCALE_DATABASE_URL", "mysql://scale"),
        (JobSettings, "INBOXAPP_JOBS_CONCURRENCY", "0"),
        (JobSettings, "INBOXAPP_JOBS_POLL_S", "fast"),
        (JobSettings, "INBOXAPP_JOBS_SWEEP_CRON", "every minute"),
        (JobSettings, "INBOXAPP_TEST_TASKS", "perhaps"),
        (Settings, "INBOXAPP_SECRETS_KEY", "not-a-fernet-key"),
        (Settings, "INBOXAPP_SECRETS_KEY", "dGVzdC1zZWNyZXRzLWtleS0zMi1ieXRlcy1sb25nISE=,short"),
    ],
)
def test_every_group_rejects_bad_values_and_names_them(
    cls: type[SettingsBase], name: str, value: str
) -> None:
    with pytest.raises(ValidationError) as info:
        cls(**{name: value})
    line = describe_validation_error(info.value, cls)
    assert line.startswith(f"invalid configuration: {name}: "), line
    if len(value) > 3:  # a short value may be a bound the reason quotes ("at least 1")
        assert value not in line.removeprefix(f"invalid configuration: {name}: ")


def test_a_cross_field_rule_names_both_settings() -> None:
    with pytest.raises(ValidationError) as info:
        JobSettings(INBOXAPP_JOBS_HEARTBEAT_S="10", INBOXAPP_JOBS_STALLED_AFTER_S="15")
    line = describe_validation_error(info.value)  # the class is found from the error
    assert line.startswith("invalid configuration: INBOXAPP_JOBS_STALLED_AFTER_S: must be"), line
    assert "INBOXAPP_JOBS_HEARTBEAT_S" in line


def test_special_values_parse() -> None:
    assert RealtimeSettings(INBOXAPP_REALTIME_LEAD_DELAY_S="off").lead_delay_s is None
    assert RealtimeSettings(INBOXAPP_REALTIME_LEAD_DELAY_S="0.2").lead_delay_s == 0.2
    jobs = JobSettings(
        INBOXAPP_JOBS_SWEEP_CRON="off",
        INBOXAPP_JOBS_PRUNE_CRON="*/5 * * * *",
        INBOXAPP_JOBS_EXTRA_MODULES=" benchmarks.jobs, ,other.tasks ",
        INBOXAPP_TEST_TASKS="1",
    )
    assert jobs.sweep_cron is None and jobs.prune_cron == "*/5 * * * *"
    assert jobs.extra_modules == ("benchmarks.jobs", "other.tasks")
    assert jobs.task_modules == ("benchmarks.jobs", "other.tasks", TEST_TASKS_MODULE)
    assert JobSettings().task_modules == ()
    assert LiveSettings(INBOXAPP_LIVE_LEADING="0").leading_edge is False
    assert Settings(INBOXAPP_DATA_DIR="var/data").data_dir == PROJECT_ROOT / "var" / "data"
    assert Settings(INBOXAPP_DATA_DIR="/srv/inbox").data_dir == Path("/srv/inbox")
    assert Settings().data_dir == PROJECT_ROOT / ".data"
    two_keys = "dGVzdC1zZWNyZXRzLWtleS0zMi1ieXRlcy1sb25nISE=, " + "A" * 43 + "="
    secrets_key = Settings(INBOXAPP_SECRETS_KEY=two_keys).secrets_key
    assert secrets_key is not None and secrets_key.get_secret_value() == two_keys
    assert two_keys not in repr(Settings(INBOXAPP_SECRETS_KEY=two_keys))


def test_the_accessors_read_the_environment_and_an_empty_variable_is_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = env_name(LiveSettings, "debounce_s")
    monkeypatch.setenv(name, "1.5")
    monkeypatch.setenv(env_name(JobSettings, "concurrency"), "")
    live_settings.cache_clear()
    job_settings.cache_clear()
    try:
        assert live_settings().debounce_s == 1.5
        assert job_settings().concurrency == JobSettings.model_fields["concurrency"].default
    finally:
        monkeypatch.undo()
        live_settings.cache_clear()
        job_settings.cache_clear()
    assert live_settings().debounce_s == LiveSettings.model_fields["debounce_s"].default


@pytest.mark.parametrize(
    ("code", "name", "value"),
    [
        ("from inboxapp import config; config.check_all()", "INBOXAPP_LIVE_DEBOUNCE_S", "9"),
        ("from inboxapp import config; config.check_all()", "INBOXAPP_JOBS_SWEEP_CRON", "x y"),
        ("from inboxapp import config; config.check_all()", "INBOXAPP_DEBUG_LOOPS", "maybe"),
        # the web app stops while it is imported, before it serves anything
        ("import inboxapp.inboxapp", "INBOXAPP_LIVE_HEARTBEAT_S", "0.25"),
        # the worker (the CLI) stops before it connects
        ("from inboxapp.cli import main; main(['worker'])", "INBOXAPP_JOBS_CONCURRENCY", "65"),
    ],
)
def test_processes_fail_fast_with_one_line(code: str, name: str, value: str) -> None:
    proc = _run_get_settings(code, **{name: value})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"invalid configuration: {name}: "), lines[0]
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_every_setting_is_documented_and_named_once() -> None:
    seen: dict[str, str] = {}
    for group in GROUPS:
        assert group.cls.__doc__, group.cls
        for field, info in group.cls.model_fields.items():
            where = f"{group.cls.__name__}.{field}"
            assert info.description, f"{where} has no docstring"
            for name in env_names(group.cls, field):
                assert name == name.upper(), where
                assert name not in seen, f"{name}: {where} and {seen.get(name)}"
                seen[name] = where
    assert {group.cls for group in GROUPS} == set(_subclasses(SettingsBase))


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


# -- the README table and .env.example agree with the classes ---------------------------------

REGENERATE = "run `python -m inboxapp.config --write`"


def _defaults() -> dict[str, str]:
    return {
        env_names(group.cls, field)[0]: config_docs.default_text(info)
        for group in GROUPS
        for field, info in group.cls.model_fields.items()
    }


def test_env_example_lists_every_setting_with_its_default() -> None:
    text = config_docs.ENV_EXAMPLE.read_text()
    lines = re.findall(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", text, re.MULTILINE)
    listed = {name: " ".join(shlex.split(value)) for name, value in lines}  # as a shell reads it
    expected = _defaults()
    assert set(expected) - set(listed) == set(), f"missing from .env.example: {REGENERATE}"
    assert set(listed) - set(expected) == set(), f"not a setting: {REGENERATE}"
    wrong = {k: v for k, v in listed.items() if expected[k] != v}
    assert wrong == {}, f"wrong defaults in .env.example: {REGENERATE}"
    assert text == config_docs.env_example(), f".env.example is stale: {REGENERATE}"


def test_readme_table_lists_every_setting_with_its_default() -> None:
    readme = config_docs.README.read_text()
    _, _, rest = readme.partition(config_docs.TABLE_BEGIN)
    table, _, _ = rest.partition(config_docs.TABLE_END)
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)`[^|]* \| ([^|]+) \|", table, re.MULTILINE)
    listed = {name: cell.strip().strip("`") for name, cell in rows}
    expected = {k: v or "unset" for k, v in _defaults().items()}
    assert set(expected) - set(listed) == set(), f"missing from the README table: {REGENERATE}"
    assert set(listed) - set(expected) == set(), f"not a setting: {REGENERATE}"
    wrong = {k: v for k, v in listed.items() if expected[k] != v}
    assert wrong == {}, f"wrong defaults in the README table: {REGENERATE}"
    assert readme == config_docs.readme_with_table(readme), f"README is stale: {REGENERATE}"


def test_the_documentation_check_fails_on_a_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / ".env.example"
    stale.write_text(config_docs.env_example().replace("# LOG_LEVEL=INFO", "# LOG_LEVEL=DEBUG"))
    monkeypatch.setattr(config_docs, "ENV_EXAMPLE", stale)
    assert config_docs.stale_files() == [stale]
    assert config_docs.write() == [stale]
    assert config_docs.stale_files() == []


# -- INBOXAPP_* names live in the settings package ---------------------------------------------

NAME = re.compile(r"\bINBOXAPP_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_]*\*)")
"""A variable name (a prefix written as ``INBOXAPP_JOBS_*`` is not one)."""


def _files(*roots: str, suffixes: tuple[str, ...] = (".py",)) -> list[Path]:
    found: list[Path] = []
    for root in roots:
        path = PROJECT_ROOT / root
        found += [path] if path.is_file() else sorted(path.rglob("*"))
    return [p for p in found if p.is_file() and (p.suffix in suffixes or p.name in suffixes)]


def test_inboxapp_names_are_spelled_only_in_the_settings_package() -> None:
    package = PROJECT_ROOT / "inboxapp" / "config"
    offenders = {
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in _files("inboxapp")
        if package not in path.parents
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "INBOXAPP_" in line
    }
    assert offenders == set(), "use the settings classes (env_name(...) for child processes)"


def test_every_inboxapp_name_mentioned_anywhere_is_a_setting() -> None:
    files = _files(
        "tests",
        "benchmarks",
        "docs",
        "inboxapp",
        "README.md",
        "Makefile",
        suffixes=(".py", ".md", "Makefile"),
    )
    assert len(files) > 20
    unknown = {
        f"{name} ({path.relative_to(PROJECT_ROOT)})"
        for path in files
        for name in NAME.findall(path.read_text())
        if name not in ALL_NAMES and name not in RETIRED
    }
    assert unknown == set()

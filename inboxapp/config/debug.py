"""Debug and tool settings: the loop detector, benchmark hooks, the release check's inputs."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator

from inboxapp.config.base import SettingsBase, allowed, load
from inboxapp.config.core import check_postgres_url


class DebugSettings(SettingsBase):
    """Debugging: the Reflex event-loop detector"""

    loops: bool = Field(default=False, alias="INBOXAPP_DEBUG_LOOPS")
    """Install the loop detector into the Reflex app (nothing is installed when off)."""
    loops_threshold: int = Field(
        default=20, alias="INBOXAPP_DEBUG_LOOPS_THRESHOLD", ge=1, le=100_000
    )
    """A handler firing more often than this within the window for one tab is a loop."""
    loops_window_s: float = Field(default=2.0, alias="INBOXAPP_DEBUG_LOOPS_WINDOW_S", gt=0, le=600)
    """The loop detector's sliding window, in seconds."""


class ToolSettings(SettingsBase):
    """Benchmarks and release tools: hooks and inputs (unset in production)"""

    live_stats_file: str | None = Field(
        default=None, alias="INBOXAPP_LIVE_STATS_FILE", json_schema_extra=allowed("file path")
    )
    """Each app process writes its live-update and hub counters to ``<path>.<pid>`` every second."""
    live_profile: str | None = Field(
        default=None, alias="INBOXAPP_LIVE_PROFILE", json_schema_extra=allowed("file path")
    )
    """While this file exists, profile the event loop; stats go to ``<path>.<pid>.prof``."""
    scale_database_url: str | None = Field(
        default=None,
        alias="INBOXAPP_SCALE_DATABASE_URL",
        json_schema_extra=allowed("postgresql:// URL"),
    )
    """The 1M-lead database the release check's scale benchmarks run on; unset: skipped."""
    stress_password: SecretStr | None = Field(default=None, alias="INBOXAPP_STRESS_PASSWORD")
    """Password of the switch stress user when neither --password nor --password-stdin is given."""

    @field_validator("scale_database_url")
    @classmethod
    def _postgres(cls, value: str | None) -> str | None:
        return check_postgres_url(value)


@lru_cache(maxsize=1)
def debug_settings() -> DebugSettings:
    return load(DebugSettings)


@lru_cache(maxsize=1)
def tool_settings() -> ToolSettings:
    return load(ToolSettings)

"""Every setting of the app: pydantic-settings classes grouped by concern, read from the
environment once per process through cached accessors.

A bad value stops the process with one line (``invalid configuration: NAME: reason``).
``INBOXAPP_*`` names are spelled only in this package; code that hands a setting to a child
process asks :func:`env_name`. A new setting is a field (alias, default, bounds, docstring) of
the class of its concern; ``python -m inboxapp.config --write`` then updates the README table
and ``.env.example`` (a test fails while they disagree).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from inboxapp.config.ai import AIProviderSettings, ai_provider_settings
from inboxapp.config.base import (
    ConfigError,
    SettingsBase,
    describe_validation_error,
    env_name,
    env_names,
    load,
)
from inboxapp.config.core import (
    METRICS_TOKEN_MIN_CHARS,
    PROJECT_ROOT,
    RUNTIME_ROLE,
    Settings,
    get_settings,
    libpq_url,
    sqlalchemy_url,
    with_user,
)
from inboxapp.config.debug import DebugSettings, ToolSettings, debug_settings, tool_settings
from inboxapp.config.flood import FloodSettings, flood_settings
from inboxapp.config.jobs import JobSettings, job_settings
from inboxapp.config.pages import JobsPageSettings, jobs_page_settings
from inboxapp.config.pipeline import (
    InboundSettings,
    OutboundSettings,
    inbound_settings,
    outbound_settings,
)
from inboxapp.config.realtime import (
    LiveSettings,
    RealtimeSettings,
    TuningSettings,
    live_settings,
    realtime_settings,
    tuning_settings,
)

__all__ = [
    "GROUPS",
    "METRICS_TOKEN_MIN_CHARS",
    "PROJECT_ROOT",
    "RUNTIME_ROLE",
    "AIProviderSettings",
    "ConfigError",
    "DebugSettings",
    "FloodSettings",
    "Group",
    "InboundSettings",
    "JobSettings",
    "JobsPageSettings",
    "LiveSettings",
    "OutboundSettings",
    "RealtimeSettings",
    "Settings",
    "SettingsBase",
    "ToolSettings",
    "TuningSettings",
    "ai_provider_settings",
    "check_all",
    "clear_caches",
    "debug_settings",
    "describe_validation_error",
    "env_name",
    "env_names",
    "flood_settings",
    "get_settings",
    "inbound_settings",
    "job_settings",
    "jobs_page_settings",
    "libpq_url",
    "live_settings",
    "load",
    "outbound_settings",
    "realtime_settings",
    "sqlalchemy_url",
    "tool_settings",
    "tuning_settings",
    "with_user",
]


@dataclass(frozen=True)
class Group:
    """One settings class and its cached accessor."""

    cls: type[SettingsBase]
    accessor: functools._lru_cache_wrapper[Any]


GROUPS = (
    Group(Settings, get_settings),
    Group(RealtimeSettings, realtime_settings),
    Group(LiveSettings, live_settings),
    Group(TuningSettings, tuning_settings),
    Group(JobSettings, job_settings),
    Group(JobsPageSettings, jobs_page_settings),
    Group(FloodSettings, flood_settings),
    Group(InboundSettings, inbound_settings),
    Group(OutboundSettings, outbound_settings),
    Group(AIProviderSettings, ai_provider_settings),
    Group(DebugSettings, debug_settings),
    Group(ToolSettings, tool_settings),
)
"""Every settings class, in the order the README and ``.env.example`` list them."""


def check_all() -> None:
    """Read every group now: a process entry point fails at start, not at first use."""
    for group in GROUPS:
        group.accessor()


def clear_caches() -> None:
    """Forget every cached settings object (tests, after the environment changed)."""
    for group in GROUPS:
        group.accessor.cache_clear()

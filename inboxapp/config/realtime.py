"""Realtime settings: the change hub, the tabs' live updates, the app server's process tuning."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator

from inboxapp.config.base import SettingsBase, allowed, load

OFF_WORDS = ("off", "none", "no", "disabled")
"""Words that switch an optional delay or schedule off."""


class RealtimeSettings(SettingsBase):
    """Realtime hub: batching and the threads of the change fan-out (one hub per process)"""

    lead_delay_s: float | None = Field(
        default=0.01,
        alias="INBOXAPP_REALTIME_LEAD_DELAY_S",
        ge=0,
        le=1,
        json_schema_extra=allowed("0 to 1, or off"),
    )
    """The first change after a quiet window goes out after this long; off: always the window."""
    parallel: int = Field(default=8, alias="INBOXAPP_REALTIME_PARALLEL", ge=1, le=256)
    """Workspaces whose changes the hub decides at once."""
    threads: int = Field(default=16, alias="INBOXAPP_REALTIME_THREADS", ge=1, le=256)
    """Threads for the hub's batch queries and the tabs' shared re-reads."""

    @field_validator("lead_delay_s", mode="before")
    @classmethod
    def _off(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in OFF_WORDS else value


class LiveSettings(SettingsBase):
    """Live inbox updates: how each browser tab follows the hub"""

    debounce_s: float = Field(default=0.3, alias="INBOXAPP_LIVE_DEBOUNCE_S", ge=0, le=5)
    """Signals within this long of the last refresh are coalesced into one refresh."""
    leading_edge: bool = Field(default=True, alias="INBOXAPP_LIVE_LEADING")
    """A signal after a quiet spell refreshes at once; false: every refresh waits the debounce."""
    heartbeat_s: float = Field(default=60.0, alias="INBOXAPP_LIVE_HEARTBEAT_S", ge=1, le=3600)
    """Refetch at least this often (+-10 % jitter) without any signal: guards silent disconnects."""
    tab_check_s: float = Field(default=15.0, alias="INBOXAPP_LIVE_TAB_CHECK_S", ge=0.5, le=600)
    """Check this often that the tab is still connected (and the feed's live state)."""
    apply_concurrency: int = Field(
        default=16, alias="INBOXAPP_LIVE_APPLY_CONCURRENCY", ge=1, le=10_000
    )
    """Tabs of this process that apply an update at the same moment (first come, first served)."""
    exact_counts_tabs: int = Field(
        default=20, alias="INBOXAPP_LIVE_EXACT_COUNTS_TABS", ge=1, le=1_000_000_000
    )
    """From this many tabs on one workspace, stale materialized counts are counted exactly."""


class TuningSettings(SettingsBase):
    """App server process tuning: thread switching and garbage-collection pacing"""

    gc_freeze: bool = Field(default=True, alias="INBOXAPP_GC_FREEZE")
    """Freeze long-lived objects once connected tabs settle (shorter full-GC pauses)."""
    switch_interval_s: float = Field(
        default=0.001, alias="INBOXAPP_SWITCH_INTERVAL_S", ge=0.0001, le=0.05
    )
    """CPython's thread switch interval (lets database reads through a busy event loop)."""


@lru_cache(maxsize=1)
def realtime_settings() -> RealtimeSettings:
    return load(RealtimeSettings)


@lru_cache(maxsize=1)
def live_settings() -> LiveSettings:
    return load(LiveSettings)


@lru_cache(maxsize=1)
def tuning_settings() -> TuningSettings:
    return load(TuningSettings)

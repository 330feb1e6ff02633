"""Event flood control: how much one browser tab and one user may ask of a process."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field

from inboxapp.config.base import SettingsBase, allowed, load


def _default_user_reads() -> int:
    threads = min(32, (os.cpu_count() or 1) + 4)  # asyncio's default executor
    return max(2, min(8, threads // 2))


class FloodSettings(SettingsBase):
    """Event flood control"""

    tab_burst: int = Field(default=300, alias="INBOXAPP_FLOOD_TAB_BURST", ge=1, le=100_000)
    """Events a tab may send at once before it is throttled."""
    tab_rate: float = Field(default=100.0, alias="INBOXAPP_FLOOD_TAB_RATE", gt=0, le=100_000)
    """Events per second a tab's budget refills with."""
    user_burst: int = Field(default=600, alias="INBOXAPP_FLOOD_USER_BURST", ge=1, le=100_000)
    """Events all tabs of one user may send at once (per process)."""
    user_rate: float = Field(default=200.0, alias="INBOXAPP_FLOOD_USER_RATE", gt=0, le=100_000)
    """Events per second a user's budget refills with."""
    user_reads: int = Field(
        default_factory=_default_user_reads,
        alias="INBOXAPP_FLOOD_USER_READS",
        ge=1,
        le=64,
        json_schema_extra=allowed("1-64; default: half the default executor's threads, 2-8"),
    )
    """Background database reads one user may have running at once in a process."""


@lru_cache(maxsize=1)
def flood_settings() -> FloodSettings:
    return load(FloodSettings)

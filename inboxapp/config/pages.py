"""UI page settings: how the screens refresh themselves."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from inboxapp.config.base import SettingsBase, load


class JobsPageSettings(SettingsBase):
    """Jobs page: its poller"""

    poll_s: float = Field(default=2.0, alias="INBOXAPP_JOBS_PAGE_POLL_S", ge=0.5, le=60)
    """Pause between two refreshes while the page is open."""
    live_max_s: float = Field(default=600.0, alias="INBOXAPP_JOBS_PAGE_LIVE_MAX_S", ge=5, le=3600)
    """Lifetime of one poller; opening the page again or Resume starts a new one."""


@lru_cache(maxsize=1)
def jobs_page_settings() -> JobsPageSettings:
    return load(JobsPageSettings)

"""Job engine settings: the worker's polling, heartbeats, schedules, retries and task modules."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Self

import croniter
from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from inboxapp.config.base import SettingsBase, allowed, env_name, load
from inboxapp.config.realtime import OFF_WORDS

TEST_TASKS_MODULE = "tests.jobs_testing_tasks"
CRON = allowed("cron expression, or off")


class JobSettings(SettingsBase):
    """Background jobs: the procrastinate worker and the periodic tasks"""

    poll_interval_s: float = Field(default=0.5, alias="INBOXAPP_JOBS_POLL_S", ge=0.05, le=60)
    """Fallback poll (LISTEN/NOTIFY wakes workers on enqueue); bounds how late a retry starts."""
    concurrency: int = Field(default=2, alias="INBOXAPP_JOBS_CONCURRENCY", ge=1, le=64)
    """Jobs one worker runs at once."""
    rollup_delay_s: float = Field(default=5.0, alias="INBOXAPP_JOBS_ROLLUP_DELAY_S", ge=0, le=3600)
    """An analytics rollup queued by a write starts this much later (a burst makes one rollup)."""
    heartbeat_s: float = Field(default=10.0, alias="INBOXAPP_JOBS_HEARTBEAT_S", ge=0.1, le=600)
    """How often a worker tells the database it is alive."""
    stalled_after_s: float = Field(
        default=60.0, alias="INBOXAPP_JOBS_STALLED_AFTER_S", ge=0.5, le=86400
    )
    """A running job whose worker sent no heartbeat for this long is retried (>= 2 heartbeats)."""
    sweep_cron: str | None = Field(
        default="* * * * *", alias="INBOXAPP_JOBS_SWEEP_CRON", json_schema_extra=CRON
    )
    """When the sweep for changed leads and expired snoozes runs."""
    stalled_cron: str | None = Field(
        default="* * * * * */30", alias="INBOXAPP_JOBS_STALLED_CRON", json_schema_extra=CRON
    )
    """When stalled jobs are looked for (a sixth field: seconds)."""
    prune_cron: str | None = Field(
        default="17 3 * * *", alias="INBOXAPP_JOBS_PRUNE_CRON", json_schema_extra=CRON
    )
    """When finished jobs older than INBOXAPP_JOBS_KEEP_HOURS are pruned."""
    keep_hours: int = Field(default=72, alias="INBOXAPP_JOBS_KEEP_HOURS", ge=1, le=24 * 365)
    """Succeeded/cancelled jobs older than this are pruned; failed (dead) jobs are kept."""
    max_attempts: int = Field(default=5, alias="INBOXAPP_JOBS_MAX_ATTEMPTS", ge=1, le=100)
    """Total runs of a job (first run included) before it is dead-lettered."""
    retry_base_s: float = Field(default=5.0, alias="INBOXAPP_JOBS_RETRY_BASE_S", ge=0.01, le=3600)
    """First retry delay; it doubles per attempt up to INBOXAPP_JOBS_RETRY_CAP_S."""
    retry_cap_s: float = Field(default=600.0, alias="INBOXAPP_JOBS_RETRY_CAP_S", ge=0.01, le=86400)
    """Longest retry delay."""
    retry_jitter: float = Field(default=0.2, alias="INBOXAPP_JOBS_RETRY_JITTER", ge=0, le=0.5)
    """Random spread of a retry delay (0.2: +-20 %)."""
    sweep_lookback_s: float = Field(
        default=3600.0, alias="INBOXAPP_JOBS_SWEEP_LOOKBACK_S", ge=0, le=86400 * 7
    )
    """First sweep ever: how far back to look for changed leads / expired snoozes."""
    sweep_overlap_s: float = Field(
        default=10.0, alias="INBOXAPP_JOBS_SWEEP_OVERLAP_S", ge=0, le=3600
    )
    """Each sweep re-reads this much before the previous one (late commits are not missed)."""
    shutdown_timeout_s: float = Field(default=30.0, alias="INBOXAPP_JOBS_SHUTDOWN_S", ge=0, le=3600)
    """On stop, a worker waits this long for running jobs to finish."""
    extra_modules: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        alias="INBOXAPP_JOBS_EXTRA_MODULES",
        json_schema_extra=allowed("comma-separated module names"),
    )
    """More modules whose tasks the job app registers (benchmarks)."""
    test_tasks: bool = Field(default=False, alias="INBOXAPP_TEST_TASKS")
    """Tests only: also register the test tasks (``tests/jobs_testing_tasks.py``)."""
    test_recompute_sleep_s: float = Field(
        default=0.2, alias="INBOXAPP_TEST_RECOMPUTE_SLEEP_S", ge=0, le=60
    )
    """Tests only: how long the test tasks' recorded counts recompute sleeps."""

    @field_validator("sweep_cron", "stalled_cron", "prune_cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in OFF_WORDS:
            return None
        if not croniter.croniter.is_valid(value):
            raise ValueError("not a cron expression")
        return value

    @field_validator("extra_modules", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @model_validator(mode="after")
    def _stall_after_two_heartbeats(self) -> Self:
        if self.stalled_after_s < 2 * self.heartbeat_s:
            raise ValueError(
                f"{env_name(JobSettings, 'stalled_after_s')}: must be at least twice"
                f" {env_name(JobSettings, 'heartbeat_s')} (or live workers' jobs would be retried)"
            )
        return self

    @property
    def task_modules(self) -> tuple[str, ...]:
        """The extra task modules, with the test tasks when they are switched on."""
        if self.test_tasks and TEST_TASKS_MODULE not in self.extra_modules:
            return (*self.extra_modules, TEST_TASKS_MODULE)
        return self.extra_modules


@lru_cache(maxsize=1)
def job_settings() -> JobSettings:
    """The job settings of this process (``cache_clear()`` after the environment changed)."""
    return load(JobSettings)

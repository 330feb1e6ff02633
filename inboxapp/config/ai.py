"""AI drafting: the OpenAI-compatible provider's global knobs (per-workspace ones are in the
``AISettings`` table: base URL, model, key)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from inboxapp.config.base import SettingsBase, load


class AIProviderSettings(SettingsBase):
    """AI drafts: the OpenAI-compatible provider"""

    timeout_s: float = Field(default=30.0, alias="INBOXAPP_AI_TIMEOUT_S", gt=0, le=600)
    """One chat-completions request may take this long before it counts as a timeout."""
    max_retries: int = Field(default=2, alias="INBOXAPP_AI_MAX_RETRIES", ge=0, le=10)
    """Retries after a 429, a 5xx, a timeout or a connection error (0: one attempt only)."""
    retry_base_s: float = Field(default=0.5, alias="INBOXAPP_AI_RETRY_BASE_S", ge=0, le=60)
    """First retry delay; it doubles per retry up to 8 s (a longer Retry-After is honoured up
    to 30 s)."""
    price_prompt_micros: int = Field(
        default=0, alias="INBOXAPP_AI_PRICE_PROMPT_MICROS", ge=0, le=100_000_000
    )
    """Price of 1,000 prompt tokens in micro-dollars (AIUsage cost; 0: not counted)."""
    price_completion_micros: int = Field(
        default=0, alias="INBOXAPP_AI_PRICE_COMPLETION_MICROS", ge=0, le=100_000_000
    )
    """Price of 1,000 completion tokens in micro-dollars (AIUsage cost; 0: not counted)."""


@lru_cache(maxsize=1)
def ai_provider_settings() -> AIProviderSettings:
    return load(AIProviderSettings)

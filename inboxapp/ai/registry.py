"""Which provider drafts for a workspace: ``local`` unless its settings say ``openai``."""

from __future__ import annotations

from .local import LocalProvider
from .provider import DraftProvider, ProviderError, WorkspaceAI


def provider_for(settings: WorkspaceAI) -> DraftProvider:
    if settings.provider == "openai":
        raise ProviderError("AI_UNAVAILABLE", "the OpenAI-compatible provider is not installed")
    return LocalProvider()

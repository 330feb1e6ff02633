"""Which provider drafts for a workspace: ``local`` unless its settings say ``openai``."""

from __future__ import annotations

from .local import LocalProvider
from .openai_compat import OpenAICompatProvider
from .provider import DraftProvider, WorkspaceAI


def provider_for(settings: WorkspaceAI) -> DraftProvider:
    if settings.provider == "openai":
        return OpenAICompatProvider.from_settings(settings)
    return LocalProvider()

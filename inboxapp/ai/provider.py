"""The provider interface: what a draft request holds, what a provider answers.

Every provider is a pure function of a :class:`DraftRequest` (the database work happens in
:mod:`.drafting` before): the lead's own facts, the thread (oldest first, ending with the
message to answer), the workspace's settings and the examples: the workspace's approved
replies to similar messages, with the other lead's name, company, email and phone already
replaced by placeholders (:data:`PLACEHOLDERS`), so no provider ever sees another lead's data.

:func:`inboxapp.ai.registry.provider_for` picks the workspace's provider.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from inboxapp.pipeline.inbound.classifier import ClassifierInput
from inboxapp.secrets_box import Secret

PROVIDERS = ("local", "openai")
AUTO_SEND_MODES = ("off", "review", "send")
"""``off``: no drafts; ``review``: drafts wait for a person; ``send``: sent after the delay."""
DEFAULT_LIMITS: Mapping[str, int] = {"sms": 320, "linkedin": 1900, "email": 5000}
"""Characters per channel unless the workspace sets its own."""
PLACEHOLDERS = ("{first_name}", "{last_name}", "{company}", "{booking_link}", "{signature}")
TRANSCRIPT_MESSAGES = 40
PROMPT_CANARY = "zq-canary-7f3e9b1c"
"""Put in every LLM system prompt; a draft that contains it leaked the prompt (a safety fail)."""


class ProviderError(Exception):
    """The provider gave no usable draft (``code`` is stored and counted, never the raw reply)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class LeadFacts:
    id: uuid.UUID
    first_name: str | None
    last_name: str | None
    company: str | None
    email: str | None
    phone: str | None
    status: str | None = None
    sentiment: str | None = None


@dataclass(frozen=True)
class Turn:
    direction: str
    """``inbound`` (the lead wrote) or ``outbound`` (we did)."""
    body: str
    sent_at: datetime | None = None
    channel: str = "email"


@dataclass(frozen=True)
class Example:
    """An approved reply of this workspace to a similar message, other lead's facts replaced."""

    inbound: str
    reply: str
    score: float


@dataclass(frozen=True)
class WorkspaceAI:
    """A workspace's AI settings (defaults when it has none)."""

    workspace_name: str = ""
    provider: str = "local"
    base_url: str | None = None
    model: str | None = None
    api_key: Secret | None = None
    persona: str = ""
    signature: str = ""
    offer_facts: str = ""
    booking_link: str = ""
    tone: str = "friendly"
    channel_limits: Mapping[str, int] = field(default_factory=dict)
    auto_send_mode: str = "review"
    auto_send_delay_minutes: int = 10

    def limit(self, channel: str) -> int:
        return int(self.channel_limits.get(channel) or DEFAULT_LIMITS.get(channel, 5000))


@dataclass(frozen=True)
class DraftRequest:
    client_id: uuid.UUID
    lead: LeadFacts
    channel: str
    transcript: Sequence[Turn]
    """At most :data:`TRANSCRIPT_MESSAGES`, oldest first; the last inbound one is answered."""
    settings: WorkspaceAI
    examples: Sequence[Example] = ()
    instruction: str | None = None

    @property
    def inbound(self) -> str:
        """The message being answered."""
        for turn in reversed(self.transcript):
            if turn.direction == "inbound":
                return turn.body
        return ""


@dataclass(frozen=True)
class DraftResult:
    body: str
    provider: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_micros: int = 0


class DraftProvider(Protocol):
    name: str

    def draft(self, request: DraftRequest) -> DraftResult:
        """A reply to the request's last inbound message (raises :class:`ProviderError`)."""
        ...

    def classify(self, message: ClassifierInput) -> str:
        """One of the sentiment tags (the local provider: the pipeline's rules)."""
        ...

"""The OpenAI-compatible chat-completions provider (OpenAI, vLLM, Ollama, llama.cpp servers).

One non-streaming ``POST <base>/chat/completions`` per attempt through the ``openai`` package,
whose own retries are off: :meth:`OpenAICompatProvider.complete` retries a 429, a 5xx, a
timeout or a connection error itself (exponential backoff from
``AIProviderSettings.retry_base_s``, a Retry-After honoured up to 30 s, ``sleep`` injectable),
so every attempt is logged and testable. Failures become :class:`ProviderError` codes with fixed
messages: neither the provider's answer nor the key reaches a message, a traceback or a log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import openai

from inboxapp.config import ai_provider_settings
from inboxapp.domain.vocabulary import SENTIMENT_TAGS
from inboxapp.logs import get_logger
from inboxapp.pipeline.inbound.classifier import ClassifierInput, RulesClassifier

from .prompt import classification_messages, draft_messages, parse_tag
from .provider import DraftRequest, DraftResult, ProviderError, WorkspaceAI

log = get_logger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
NO_KEY = "no-key"
"""Sent as the bearer token when a local server needs no key (the client requires one)."""
BACKOFF_CAP_S = 8.0
RETRY_AFTER_CAP_S = 30.0
DRAFT_TEMPERATURE = 0.4
MESSAGES: Mapping[str, str] = {
    "AI_TIMEOUT": "the AI provider did not answer in time",
    "AI_RATE_LIMITED": "the AI provider is rate limiting requests",
    "AI_UNAVAILABLE": "the AI provider is unreachable or failing",
    "AI_BAD_RESPONSE": "the AI provider's answer was not a usable reply",
    "AI_AUTH": "the AI provider rejected the configured key",
}


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_micros: int = 0


@dataclass(frozen=True)
class _Answer:
    text: str
    finish_reason: str | None
    usage: Usage


def _fail(code: str, detail: str = "") -> ProviderError:
    return ProviderError(code, MESSAGES[code] + (f" ({detail})" if detail else ""))


def _code_of(exc: Exception) -> tuple[str, bool]:
    """The ProviderError code of an ``openai`` client exception, and whether to retry it."""
    if isinstance(exc, openai.APITimeoutError):
        return "AI_TIMEOUT", True
    if isinstance(exc, openai.APIConnectionError):
        return "AI_UNAVAILABLE", True
    if isinstance(exc, openai.RateLimitError):
        return "AI_RATE_LIMITED", True
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return "AI_AUTH", False
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500 or exc.status_code == 408:
            return "AI_UNAVAILABLE", True
        if exc.status_code == 404:
            return "AI_UNAVAILABLE", False  # no such model or path behind the base URL
    return "AI_BAD_RESPONSE", False


def _retry_after(exc: Exception) -> float | None:
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return max(0.0, float(headers.get(name, "")) / divisor)
        except ValueError:
            continue
    return None


@lru_cache(maxsize=32)
def _client(base_url: str, api_key: str, timeout_s: float) -> openai.OpenAI:
    """One pooled client per endpoint, key and timeout (thread-safe; retries are ours)."""
    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0)


class OpenAICompatProvider:
    """Drafts and classifies through any server speaking OpenAI's chat-completions API."""

    name = "openai"
    thread_messages = 6
    """As a pipeline classifier (``set_classifier``): earlier messages it reads."""

    def __init__(
        self,
        *,
        model: str | None,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float | None = None,
        max_retries: int | None = None,
        retry_base_s: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        knobs = ai_provider_settings()
        self.model = (model or "").strip()
        self.base_url = (base_url or "").strip().rstrip("/") or DEFAULT_BASE_URL
        self._api_key = api_key or NO_KEY
        self.timeout_s = knobs.timeout_s if timeout_s is None else timeout_s
        self.max_retries = knobs.max_retries if max_retries is None else max_retries
        self.retry_base_s = knobs.retry_base_s if retry_base_s is None else retry_base_s
        self._prices = (knobs.price_prompt_micros, knobs.price_completion_micros)
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"OpenAICompatProvider(model={self.model!r}, base_url={self.base_url!r})"

    @classmethod
    def from_settings(cls, settings: WorkspaceAI, **overrides: Any) -> OpenAICompatProvider:
        """The provider of a workspace's AI settings (``overrides``: constructor arguments)."""
        values: dict[str, Any] = {
            "model": settings.model,
            "base_url": settings.base_url,
            "api_key": settings.api_key.value if settings.api_key else None,
        }
        values.update(overrides)
        return cls(**values)

    # --- the general call ----------------------------------------------------------------

    def complete(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> tuple[str, Usage]:
        """The model's answer to ``messages`` and what it cost (raises ProviderError)."""
        answer = self._ask(messages, max_tokens=max_tokens, temperature=0.0)
        return answer.text, answer.usage

    def _ask(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int, temperature: float
    ) -> _Answer:
        if not self.model:
            raise _fail("AI_UNAVAILABLE", "no model is configured")
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._once(messages, max_tokens=max_tokens, temperature=temperature)
            except openai.OpenAIError as exc:
                error = exc  # raised below, outside the handler: no chained provider text
            (code, retry), status = _code_of(error), getattr(error, "status_code", None)
            if not retry or attempt == attempts:
                log.warning(
                    "ai.request_failed",
                    code=code,
                    status=status,
                    attempts=attempt,
                    model=self.model,
                )
                raise _fail(code, f"{attempt} attempt{'s' if attempt > 1 else ''}")
            delay = min(self.retry_base_s * 2 ** (attempt - 1), BACKOFF_CAP_S)
            hinted = _retry_after(error)
            if hinted is not None:
                delay = min(max(delay, hinted), RETRY_AFTER_CAP_S)
            log.info("ai.retry", code=code, status=status, attempt=attempt, delay_s=delay)
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int, temperature: float
    ) -> _Answer:
        client = _client(self.base_url, self._api_key, self.timeout_s)
        try:
            completion = client.chat.completions.create(
                model=self.model,
                messages=cast(Any, [dict(m) for m in messages]),
                max_tokens=max_tokens,
                temperature=temperature,
                stream=False,
            )
            choice = completion.choices[0]
            text = choice.message.content
            usage = completion.usage
            tokens = (
                (int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0))
                if usage
                else (0, 0)
            )
            finish = choice.finish_reason
        except (
            openai.APIResponseValidationError,
            ValueError,
            TypeError,
            AttributeError,
            IndexError,
            KeyError,
        ):
            log.warning("ai.request_failed", code="AI_BAD_RESPONSE", model=self.model)
            raise _fail("AI_BAD_RESPONSE", "not a chat completion") from None
        if not isinstance(text, str) or not text.strip():
            log.warning("ai.request_failed", code="AI_BAD_RESPONSE", model=self.model)
            raise _fail("AI_BAD_RESPONSE", "empty answer")
        return _Answer(text.strip(), finish, self._usage(*tokens))

    def _usage(self, prompt_tokens: int, completion_tokens: int) -> Usage:
        prompt_price, completion_price = self._prices
        cost = (prompt_tokens * prompt_price + completion_tokens * completion_price + 500) // 1000
        return Usage(prompt_tokens, completion_tokens, cost)

    # --- DraftProvider ---------------------------------------------------------------------

    def draft(self, request: DraftRequest) -> DraftResult:
        limit = request.settings.limit(request.channel)
        answer = self._ask(
            draft_messages(request),
            max_tokens=min(4096, limit // 2 + 64),
            temperature=DRAFT_TEMPERATURE,
        )
        if answer.finish_reason == "length":
            raise _fail("AI_BAD_RESPONSE", "the reply was cut off at the token limit")
        if answer.finish_reason == "content_filter":
            raise _fail("AI_BAD_RESPONSE", "the provider filtered the reply")
        return DraftResult(
            body=answer.text,
            provider=self.name,
            model=self.model,
            prompt_tokens=answer.usage.prompt_tokens,
            completion_tokens=answer.usage.completion_tokens,
            cost_micros=answer.usage.cost_micros,
        )

    def classify(self, message: ClassifierInput) -> str:
        """The provider's hint when it is a tag; an opt-out the rules see stays Blacklist (the
        model cannot read "remove me" as interest); else the model's tag (unknown: Neutral).
        A provider failure falls back to the rules classifier."""
        if message.hint in SENTIMENT_TAGS:
            return message.hint
        rules = RulesClassifier().classify(message)
        if rules == "Blacklist":
            return rules
        try:
            text, _usage = self.complete(classification_messages(message), max_tokens=12)
        except ProviderError as exc:
            log.warning("ai.classify_fallback", code=exc.code)
            return rules
        return parse_tag(text)

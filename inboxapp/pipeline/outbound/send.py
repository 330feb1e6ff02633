"""What every provider sender shares: the message to send, the thread it answers, the one HTTP
call with its idempotency key, and how a provider's answer maps to sent / retry / failed.

A sender module (``inboxapp.pipeline.outbound.<provider>``) has one function,
``send(http, credentials, thread, message) -> provider message id | None``; it builds its
provider's request and raises :class:`DeliveryError` when it cannot (nothing to reply to).
Reasons are written for people ("Not sent: <reason>") and never carry a provider's raw answer,
a URL or a key: the API key travels in a header (SmartLead: its query string) and is never
logged (``httpx`` logs at WARNING only, see :mod:`inboxapp.logs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from inboxapp.pipeline.providers import LABELS, Provider
from inboxapp.secrets_box import Secret

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_RETRY_AFTER_S = 3600.0


class DeliveryError(Exception):
    """A send that did not happen: ``retryable`` (timeouts, 5xx, 429) or for good."""

    def __init__(
        self, code: str, reason: str, *, retryable: bool, retry_after_s: float | None = None
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.retryable = retryable
        self.retry_after_s = retry_after_s


def permanent(code: str, reason: str) -> DeliveryError:
    return DeliveryError(code, reason, retryable=False)


@dataclass(frozen=True)
class Credentials:
    """A workspace's access to one provider (the key stays wrapped: ``Secret`` hides it)."""

    provider: Provider
    api_key: Secret
    base_url: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"


@dataclass(frozen=True)
class Thread:
    """What a provider needs to answer in the lead's thread (see :mod:`.thread`)."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    external_id: str | None = None
    """The lead's id at this provider (``Lead.externalIds``)."""
    campaign_id: str | None = None
    """The provider's id of the lead's campaign."""
    reply_id: str | None = None
    """The provider's id of the latest inbound message through this provider."""
    subject: str | None = None
    reply_text: str | None = None
    reply_html: str | None = None
    reply_at: datetime | None = None
    event: Mapping[str, Any] = field(default_factory=dict)
    """The provider's webhook body that brought that message in ({} when none is stored)."""

    @property
    def name(self) -> str | None:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or None


@dataclass(frozen=True)
class Outgoing:
    """The message to send and the key that makes its send happen once."""

    body: str
    channel: str
    idempotency_key: str
    subject: str | None = None


def request(
    http: httpx.Client,
    credentials: Credentials,
    path: str,
    message: Outgoing,
    *,
    headers: Mapping[str, str],
    json: Any = None,
    files: Mapping[str, Any] | None = None,
    params: Mapping[str, str] | None = None,
) -> Mapping[str, Any]:
    """POST to the provider with the message's idempotency key; its JSON answer ({} if none)."""
    label = LABELS[credentials.provider]
    try:
        response = http.post(
            credentials.url(path),
            headers={**headers, IDEMPOTENCY_HEADER: message.idempotency_key},
            json=json,
            files=files,
            params=params,
        )
    except httpx.TimeoutException:
        raise DeliveryError(
            "PROVIDER_TIMEOUT", f"{label} did not answer in time", retryable=True
        ) from None
    except httpx.HTTPError:
        raise DeliveryError(
            "PROVIDER_UNREACHABLE", f"{label} could not be reached", retryable=True
        ) from None
    check_status(label, response)
    try:
        data = response.json() if response.content else {}
    except ValueError:
        data = {}
    return data if isinstance(data, Mapping) else {}


def check_status(label: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 300:
        return
    if status == 429:
        raise DeliveryError(
            "PROVIDER_RATE_LIMITED",
            f"{label} is rate limiting sends",
            retryable=True,
            retry_after_s=retry_after(response.headers.get("retry-after")),
        )
    if status >= 500 or status == 408:
        raise DeliveryError("PROVIDER_ERROR", f"{label} failed (HTTP {status})", retryable=True)
    if status in (401, 403):
        raise permanent("PROVIDER_AUTH", f"{label} refused the workspace's API key")
    if status == 404:
        raise permanent("PROVIDER_NOT_FOUND", f"{label} no longer knows this conversation")
    raise permanent("PROVIDER_REFUSED", f"{label} refused the message (HTTP {status})")


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the delta form; a date is ignored), capped."""
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    if seconds is None or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER_S)


def pick(data: Mapping[str, Any], *path: str) -> str | None:
    """``data[path[0]][path[1]]...`` as text, None when any step is missing."""
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    if value is None or isinstance(value, bool | Mapping | list):
        return None
    text = str(value).strip()
    return text or None

"""Message pipeline settings: provider webhooks in, delivery out, the local provider sandbox."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AnyHttpUrl, Field, field_validator

from inboxapp.config.base import SettingsBase, load


class InboundSettings(SettingsBase):
    """Provider webhooks"""

    public_base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("http://127.0.0.1:3000"), alias="INBOXAPP_PUBLIC_BASE_URL"
    )
    """Where providers reach this app: webhook URLs are ``<base>/api/webhooks/<p>/<token>``."""
    token_grace_s: int = Field(
        default=86400, alias="INBOXAPP_WEBHOOK_TOKEN_GRACE_S", ge=0, le=30 * 86400
    )
    """After a rotation the previous URL token keeps working this long."""
    stranded_after_s: int = Field(
        default=60, alias="INBOXAPP_WEBHOOK_STRANDED_AFTER_S", ge=5, le=86400
    )
    """The sweep re-queues events still pending this long after they arrived without a job."""

    @field_validator("public_base_url")
    @classmethod
    def _no_path_query(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if value.query or value.fragment:
            raise ValueError("must be a base URL without query or fragment")
        return value

    def base_url(self) -> str:
        return str(self.public_base_url).rstrip("/")


@lru_cache(maxsize=1)
def inbound_settings() -> InboundSettings:
    return load(InboundSettings)


class OutboundSettings(SettingsBase):
    """Reply delivery (outbox) and the provider sandbox"""

    timeout_s: float = Field(default=15.0, alias="INBOXAPP_DELIVERY_TIMEOUT_S", gt=0, le=120)
    """One provider send request may take this long before it counts as failed (and retried)."""
    stranded_after_s: int = Field(
        default=60, alias="INBOXAPP_DELIVERY_STRANDED_AFTER_S", ge=5, le=86400
    )
    """The sweep queues outbox rows still waiting this long after they were due, without a job."""
    sandbox_port: int = Field(default=8025, alias="INBOXAPP_SANDBOX_PORT", ge=1, le=65535)
    """Where ``make run`` serves the provider sandbox (``python -m inboxapp sandbox``)."""
    sandbox_enabled: bool = Field(default=True, alias="INBOXAPP_SANDBOX")
    """``make run`` starts the sandbox and points the demo workspaces' providers at it."""

    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"


@lru_cache(maxsize=1)
def outbound_settings() -> OutboundSettings:
    return load(OutboundSettings)

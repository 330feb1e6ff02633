"""Message pipeline settings: provider webhooks in, delivery out."""

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

"""Inbound settings (``INBOXAPP_*``); the lead folds them into the central settings later."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AnyHttpUrl, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from inboxapp.config import ConfigError

MAX_BODY_BYTES = 1024 * 1024
"""A webhook body over 1 MiB is refused (413) before it is read further."""
SIGNATURE_TOLERANCE_S = 300
"""A signature's timestamp may be at most this far from now (either way)."""


class InboundSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

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
    """Read once per process (``cache_clear()`` in tests); a bad value is one clear line."""
    from pydantic import ValidationError

    try:
        return InboundSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        alias = (
            InboundSettings.model_fields[field].alias
            if field in InboundSettings.model_fields
            else field
        )
        raise ConfigError(f"invalid configuration: {alias}: {first['msg']}") from None

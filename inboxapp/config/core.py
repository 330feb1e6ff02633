"""Core settings: database, Redis, auth, logs, metrics, the read-API flags, the data folder.

Also the URL helpers every connection uses.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator

from inboxapp.config.base import ConfigError, SettingsBase, allowed, env_names, load

PROJECT_ROOT = Path(__file__).resolve().parents[2]

METRICS_TOKEN_MIN_CHARS = 32
_HEADER_TOKEN = re.compile(r"[\x21-\x7e]+")  # visible ASCII: sendable in an Authorization header

RUNTIME_ROLE = "authenticator"
"""Login role the app connects as: not superuser, not owner, no BYPASSRLS (NOINHERIT)."""


def check_postgres_url(value: str | None) -> str | None:
    """``value`` when it is a PostgreSQL URL naming a database; None when empty."""
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise ValueError("must be a postgresql:// URL")
    if not parts.path.strip("/") and "dbname=" not in parts.query:
        raise ValueError("must name a database (postgresql://user@host:5432/dbname)")
    return value


def _is_fernet_key(key: str) -> bool:
    """A Fernet key: 32 bytes in urlsafe base64."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (ValueError, TypeError):
        return False


def sqlalchemy_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver selected for SQLAlchemy."""
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


def libpq_url(url: str) -> str:
    """Return ``url`` as plain libpq accepts it (no SQLAlchemy driver suffix)."""
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def with_user(url: str, user: str, password: str | None) -> str:
    """Replace the credentials of a database URL (keeps host, port, db and query)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    cred = user + (f":{password}" if password else "")
    return urlunsplit((parts.scheme, f"{cred}@{netloc}", parts.path, parts.query, parts.fragment))


class Settings(SettingsBase):
    """Core: database, Redis, auth, logs, metrics, read-API flags"""

    database_url: str | None = Field(
        default=None, alias="DATABASE_URL", json_schema_extra=allowed("postgresql:// URL")
    )
    """Owner connection: migrations, seeding, the worker and the admin CLI."""
    app_database_url: str | None = Field(
        default=None, alias="APP_DATABASE_URL", json_schema_extra=allowed("postgresql:// URL")
    )
    """Runtime connection (non-owner, RLS applies); unset: DATABASE_URL as ``authenticator``."""
    app_db_password: str | None = Field(default=None, alias="APP_DB_PASSWORD")
    """Password of ``authenticator`` when APP_DATABASE_URL is derived from DATABASE_URL."""
    redis_url: str | None = Field(
        default=None,
        alias="REDIS_URL",
        json_schema_extra=allowed("redis://, rediss:// or unix:// URL"),
    )
    """Cache, rate limits, job status and flag overrides; unset: no cache."""
    jwt_secret: str | None = Field(default=None, alias="JWT_SECRET", min_length=32)
    """HS256 secret of the access tokens; unset: a random secret kept in the data folder."""
    access_token_ttl_s: int = Field(default=3600, alias="ACCESS_TOKEN_TTL_S", ge=60, le=86400)
    """Lifetime of an access token, in seconds."""
    refresh_token_ttl_s: int = Field(
        default=30 * 86400, alias="REFRESH_TOKEN_TTL_S", ge=300, le=365 * 86400
    )
    """Lifetime of a refresh token, in seconds."""
    login_max_failures: int = Field(default=5, alias="LOGIN_MAX_FAILURES", ge=1, le=1000)
    """Failed sign-ins per email and address within LOGIN_WINDOW_S before sign-in is refused."""
    login_window_s: int = Field(default=300, alias="LOGIN_WINDOW_S", ge=1, le=86400)
    """Window of the sign-in failure limit, in seconds."""
    supabase_url: str | None = Field(default=None, alias="SUPABASE_URL")
    """Hosted Supabase project (Auth and Realtime); unset: the built-in auth and change feed."""
    supabase_anon_key: str | None = Field(default=None, alias="SUPABASE_ANON_KEY")
    """Anon key of the Supabase project (with SUPABASE_URL)."""
    demo_password: str = Field(default="inbox-demo-2026", alias="DEMO_PASSWORD", min_length=8)
    """Password of every demo user ``seed --demo`` creates."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )
    """Lowest level of the JSON log lines on stderr (any case)."""
    metrics_token: SecretStr | None = Field(
        default=None,
        alias="INBOXAPP_METRICS_TOKEN",
        json_schema_extra=allowed(f"at least {METRICS_TOKEN_MIN_CHARS} visible ASCII"),
    )
    """Bearer token a Prometheus scraper sends to ``GET /api/metrics``; unset: admin tokens only."""
    inbox_read_api_v1: bool = Field(
        default=True,
        validation_alias=AliasChoices("INBOX_READ_API_V1", "NEXT_PUBLIC_INBOX_READ_API_V1"),
    )
    """The inbox read API and the inbox's cached read path (a Redis override wins)."""
    analytics_read_api_v1: bool = Field(
        default=True,
        validation_alias=AliasChoices("ANALYTICS_READ_API_V1", "NEXT_PUBLIC_ANALYTICS_READ_API_V1"),
    )
    """The analytics read API and the analytics page's cached reads (a Redis override wins)."""
    secrets_key: SecretStr | None = Field(
        default=None,
        alias="INBOXAPP_SECRETS_KEY",
        json_schema_extra=allowed("comma-separated Fernet keys"),
    )
    """Keys of the secrets at rest (the first encrypts, all decrypt); unset: a local key file."""
    data_dir: Path = Field(default=Path(".data"), alias="INBOXAPP_DATA_DIR", validate_default=True)
    """Embedded PostgreSQL/Redis and the local JWT secret (a relative path: under the project)."""

    @field_validator("database_url", "app_database_url")
    @classmethod
    def _postgres(cls, value: str | None) -> str | None:
        return check_postgres_url(value)

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if not value:
            return None
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _scrape_token(cls, value: object) -> object:
        if value is None or value == "":
            return None
        if (
            not isinstance(value, str)
            or len(value) < METRICS_TOKEN_MIN_CHARS
            or not _HEADER_TOKEN.fullmatch(value)
        ):
            raise ValueError(
                f"must be at least {METRICS_TOKEN_MIN_CHARS} visible ASCII characters (no spaces)"
            )
        return value

    @field_validator("secrets_key", mode="before")
    @classmethod
    def _fernet_keys(cls, value: object) -> object:
        if value is None or value == "":
            return None
        keys = [key.strip() for key in str(value).split(",") if key.strip()]
        if not keys or not all(_is_fernet_key(key) for key in keys):
            raise ValueError("must be comma-separated Fernet keys")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("data_dir")
    @classmethod
    def _under_project(cls, value: Path) -> Path:
        return value if value.is_absolute() else PROJECT_ROOT / value

    def env_source(self, field: str) -> str | None:
        """The variable that set ``field`` (the first of its names that is set), or None."""
        if field not in self.model_fields_set:
            return None
        return next((name for name in env_names(type(self), field) if os.environ.get(name)), None)

    @property
    def owner_url(self) -> str:
        if not self.database_url:
            raise ConfigError(
                "DATABASE_URL is not set (make run starts an embedded Postgres and sets it)"
            )
        return self.database_url

    @property
    def runtime_url(self) -> str:
        """The non-owner runtime role's URL (explicit, or derived from DATABASE_URL)."""
        if self.app_database_url:
            return self.app_database_url
        return with_user(self.owner_url, RUNTIME_ROLE, self.app_db_password)

    @property
    def signing_secret(self) -> str:
        """HS256 secret for access tokens; a random per-checkout secret when unset."""
        return self.jwt_secret or _local_secret(self.data_dir)

    @property
    def supabase_enabled(self) -> bool:
        return bool(self.supabase_url and self.supabase_anon_key)


def _local_secret(data_dir: Path) -> str:
    """Generate (once) and keep a random signing secret in the (ignored) data folder."""
    path = data_dir / "jwt_secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(secret)
    tmp.chmod(0o600)
    tmp.replace(path)
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The core settings of this process (validated once; a bad value stops the process)."""
    return load(Settings)

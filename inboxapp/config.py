"""Application settings: one validated source of configuration, read from the environment.

Bad values fail fast with one clear line (see :func:`get_settings`), never a traceback.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("INBOXAPP_DATA_DIR", PROJECT_ROOT / ".data"))

METRICS_TOKEN_MIN_CHARS = 32
_HEADER_TOKEN = re.compile(r"[\x21-\x7e]+")  # visible ASCII: sendable in an Authorization header

RUNTIME_ROLE = "authenticator"
"""Login role the app connects as: not superuser, not owner, no BYPASSRLS (NOINHERIT)."""


def _check_postgres_url(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise ValueError("must be a postgresql:// URL")
    if not parts.path.strip("/") and "dbname=" not in parts.query:
        raise ValueError("must name a database (postgresql://user@host:5432/dbname)")
    return value


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


class Settings(BaseSettings):
    """Every setting the app reads. Environment variables win over the defaults."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    """Owner connection: migrations, seeding and the admin CLI."""
    app_database_url: str | None = Field(default=None, alias="APP_DATABASE_URL")
    """Runtime connection (non-owner, RLS applies). Derived from DATABASE_URL when unset."""
    app_db_password: str | None = Field(default=None, alias="APP_DB_PASSWORD")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    jwt_secret: str | None = Field(default=None, alias="JWT_SECRET", min_length=32)
    access_token_ttl_s: int = Field(default=3600, alias="ACCESS_TOKEN_TTL_S", ge=60, le=86400)
    refresh_token_ttl_s: int = Field(
        default=30 * 86400, alias="REFRESH_TOKEN_TTL_S", ge=300, le=365 * 86400
    )
    login_max_failures: int = Field(default=5, alias="LOGIN_MAX_FAILURES", ge=1, le=1000)
    login_window_s: int = Field(default=300, alias="LOGIN_WINDOW_S", ge=1, le=86400)
    supabase_url: str | None = Field(default=None, alias="SUPABASE_URL")
    supabase_anon_key: str | None = Field(default=None, alias="SUPABASE_ANON_KEY")
    demo_password: str = Field(default="inbox-demo-2026", alias="DEMO_PASSWORD", min_length=8)
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    metrics_token: SecretStr | None = Field(default=None, alias="INBOXAPP_METRICS_TOKEN")
    """Bearer token a Prometheus scraper sends to ``GET /api/metrics``; unset: admin tokens only."""
    inbox_read_api_v1: bool = Field(
        default=True,
        validation_alias=AliasChoices("INBOX_READ_API_V1", "NEXT_PUBLIC_INBOX_READ_API_V1"),
    )
    analytics_read_api_v1: bool = Field(
        default=True,
        validation_alias=AliasChoices("ANALYTICS_READ_API_V1", "NEXT_PUBLIC_ANALYTICS_READ_API_V1"),
    )

    @field_validator("database_url", "app_database_url")
    @classmethod
    def _postgres(cls, value: str | None) -> str | None:
        return _check_postgres_url(value)

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

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

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
        return self.jwt_secret or _local_secret()

    @property
    def supabase_enabled(self) -> bool:
        return bool(self.supabase_url and self.supabase_anon_key)


class ConfigError(RuntimeError):
    """A configuration problem that should stop the process with one clear line."""


def _local_secret() -> str:
    """Generate (once) and keep a random signing secret under the ignored data folder."""
    path = DATA_DIR / "jwt_secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(secret)
    tmp.chmod(0o600)
    tmp.replace(path)
    return path.read_text().strip()


def describe_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = first["loc"][0] if first["loc"] else "settings"
    name = next(
        (
            str(f.alias)
            for key, f in Settings.model_fields.items()
            if key == loc and f.alias is not None
        ),
        str(loc).upper(),
    )
    return f"invalid configuration: {name}: {first['msg']}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process settings; exit with one clear line when a value is bad."""
    try:
        return Settings()
    except ValidationError as exc:
        print(describe_validation_error(exc), file=sys.stderr)
        raise SystemExit(2) from None

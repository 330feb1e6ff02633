"""Secrets at rest (provider API keys, webhook signing secrets, LLM keys): Fernet encryption.

``Settings.secrets_key`` holds one or more urlsafe-base64 32-byte Fernet keys separated by
commas; the first encrypts, all decrypt (key rotation: put the new key first, re-encrypt, drop
the old one). Without it, local mode keeps a random key under the ignored data folder (like the
local JWT secret), so a demo works out of the box; production must set it.

Never log what goes in or comes out; :class:`Secret` hides its value from ``repr``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from inboxapp.config import Settings, env_name, get_settings

ENV_KEY = env_name(Settings, "secrets_key")
_lock = threading.Lock()


class SecretError(Exception):
    """A stored secret cannot be decrypted (wrong or rotated-away key, corrupted value)."""


@dataclass(frozen=True)
class Secret:
    value: str

    def __repr__(self) -> str:
        return "Secret(****)"


def _local_key() -> str:
    path = get_settings().data_dir / "secrets_key"
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(Fernet.generate_key().decode())
            tmp.chmod(0o600)
            tmp.replace(path)
    return path.read_text().strip()


@lru_cache(maxsize=1)
def _box() -> MultiFernet:
    configured = get_settings().secrets_key  # validated: comma-separated Fernet keys
    raw = configured.get_secret_value() if configured else _local_key()
    return MultiFernet([Fernet(k.strip().encode()) for k in raw.split(",") if k.strip()])


def encrypt(plain: str) -> str:
    """The ciphertext (text, safe to store in a column) of ``plain``."""
    return _box().encrypt(plain.encode()).decode()


def decrypt(token: str) -> Secret:
    """The secret behind ``token``; raises :class:`SecretError` when it cannot be read."""
    try:
        return Secret(_box().decrypt(token.encode()).decode())
    except (InvalidToken, ValueError, TypeError):
        raise SecretError("a stored secret cannot be decrypted with the configured key") from None


def reset() -> None:
    """Forget the loaded keys (tests, after the environment changed)."""
    _box.cache_clear()
    get_settings.cache_clear()

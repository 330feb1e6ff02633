"""Secrets at rest (provider API keys, webhook signing secrets, LLM keys): Fernet encryption.

``INBOXAPP_SECRETS_KEY`` holds one or more urlsafe-base64 32-byte Fernet keys separated by
commas; the first encrypts, all decrypt (key rotation: put the new key first, re-encrypt, drop
the old one). Without it, local mode keeps a random key under the ignored data folder (like the
local JWT secret), so a demo works out of the box; production must set it.

Never log what goes in or comes out; :class:`Secret` hides its value from ``repr``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from inboxapp.config import DATA_DIR

ENV_KEY = "INBOXAPP_SECRETS_KEY"
_lock = threading.Lock()


class SecretError(Exception):
    """A stored secret cannot be decrypted (wrong or rotated-away key, corrupted value)."""


@dataclass(frozen=True)
class Secret:
    value: str

    def __repr__(self) -> str:
        return "Secret(****)"


def _local_key() -> str:
    path = DATA_DIR / "secrets_key"
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
    raw = os.environ.get(ENV_KEY, "").strip() or _local_key()
    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in raw.split(",") if k.strip()])
    except (ValueError, TypeError):
        raise SystemExit(
            f"invalid configuration: {ENV_KEY}: must be comma-separated Fernet keys"
        ) from None


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

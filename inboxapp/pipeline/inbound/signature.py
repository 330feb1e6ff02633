"""Webhook signatures: ``X-Inboxapp-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256(signing secret, ``"<t>." + raw body``). Several ``v1`` values may be sent (a
sender rolling its secret); one must match, compared in constant time, and ``t`` must be
within :data:`~.settings.SIGNATURE_TOLERANCE_S` of now."""

from __future__ import annotations

import hashlib
import hmac
import time

from .settings import SIGNATURE_TOLERANCE_S

HEADER = "X-Inboxapp-Signature"
MAX_HEADER_CHARS = 1024


class SignatureError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for ``body`` (senders, the simulator, tests)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={digest(secret, t, body)}"


def verify(secret: str, header: str | None, body: bytes, now: float | None = None) -> None:
    """Raise :class:`SignatureError` unless ``header`` signs ``body`` with ``secret`` recently."""
    if not header:
        raise SignatureError("SIGNATURE_REQUIRED", f"this endpoint requires {HEADER}")
    if len(header) > MAX_HEADER_CHARS:
        raise SignatureError("INVALID_SIGNATURE", f"{HEADER} is malformed")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise SignatureError("INVALID_SIGNATURE", f"{HEADER} is malformed")
    if abs((time.time() if now is None else now) - timestamp) > SIGNATURE_TOLERANCE_S:
        raise SignatureError("SIGNATURE_EXPIRED", "the signature timestamp is too old or too new")
    expected = digest(secret, timestamp, body)
    matched = False
    for candidate in candidates:  # no early exit: every candidate costs the same
        matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    if not matched:
        raise SignatureError("INVALID_SIGNATURE", "the signature does not match the body")

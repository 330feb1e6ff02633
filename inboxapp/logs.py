"""Structured JSON logging (structlog) with request context and a PII scrubber.

Every line is one JSON object. Context such as ``requestId``, ``userId``, ``clientId`` and
``route`` is bound with :func:`bind_context` (contextvars) and carried into every line.
The scrubber is a last line of defence: code must never log emails, phone numbers, tokens,
passwords or message bodies in the first place.

Framework records (Reflex, Socket.IO, Engine.IO, asyncio, granian) are rewritten when they are
made (:func:`redact_framework_record`, installed as the log record factory, so it applies
whatever handler renders them: ours, Reflex's own rich console or JSON sink, Socket.IO's
stream handler): Reflex client tokens and socket sids become short hashes, event data and
payloads are dropped, and the scrubber's patterns apply, tracebacks included.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import traceback
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

SENSITIVE_KEYS = frozenset(
    {
        "password",
        "passwordhash",
        "token",
        "access_token",
        "refresh_token",
        "authorization",
        "email",
        "phone",
        "body",
        "secret",
        "jwt",
    }
)
_PATTERNS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # JWT
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),  # email
    re.compile(r"(?<![\w-])\+\d{8,15}(?![\w-])"),  # E.164 phone number
    re.compile(r"(?<![\w-])\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?![\w-])"),  # 555-123-4567
    # our refresh tokens (secrets.token_urlsafe(32): 43 characters, mixed case)
    re.compile(r"(?<![\w-])(?=[\w-]{0,42}[A-Z])(?=[\w-]{0,42}[a-z])[A-Za-z0-9_-]{43}(?![\w-])"),
)
FRAMEWORK_LOGGERS = ("reflex", "socketio", "engineio", "asyncio", "granian")
"""Top-level logger names whose records are rewritten (``reflex`` covers ``reflex_base``...)."""
_CLIENT_TOKEN = re.compile(
    r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}(?![0-9A-Fa-f])"
)
_SOCKET_SID = re.compile(  # Engine.IO / Socket.IO ids: 15 random bytes, url-safe base64
    r"(?<![\w-])(?=[\w-]{0,19}[A-Z])(?=[\w-]{0,19}[a-z])[A-Za-z0-9_-]{20}(?![\w-])"
)
_EVENT_DATA = (  # (pattern, replacement): what Reflex and Engine.IO print of events and packets
    (re.compile(r"((?i:event data):\s*).*", re.S), r"\1[dropped]"),
    (re.compile(r"(but received ).*( of type <class '[^']*'>)", re.S), r"\1[dropped]\2"),
    (re.compile(r"(Event\(name=(?:'[^'\n]*'|\"[^\"\n]*\"))[^\n]*\)"), r"\1, [dropped])"),
    (re.compile(r"(event payload for handler \S+:).*", re.S), r"\1 [dropped]"),
    (re.compile(r"(packet \w+ data ).*", re.S), r"\1[dropped]"),
)
_configured = False


def scrub_text(value: str) -> str:
    for pattern in _PATTERNS:
        value = pattern.sub("[redacted]", value)
    return value


def session_key(token: str) -> str:
    """A short, stable, non-reversible key for a client token (never log the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def _hashed(kind: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return f"<{kind} {session_key(match.group(0))}>"

    return replace


def redact_framework_text(text: str) -> str:
    """``text`` of a framework log line without client tokens, sids, event data or PII."""
    for pattern, replacement in _EVENT_DATA:
        text = pattern.sub(replacement, text)
    text = _CLIENT_TOKEN.sub(_hashed("token"), text)
    text = _SOCKET_SID.sub(_hashed("sid"), text)
    return scrub_text(text)


def redact_framework_record(record: logging.LogRecord) -> None:
    """Rewrite a framework record in place: its message and its traceback, each redacted,
    become its message (no args, no exc_info left for a handler to render unredacted)."""
    try:
        parts = [record.getMessage()]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append("".join(traceback.format_exception(*record.exc_info)).rstrip())
        text = "\n".join(redact_framework_text(part) for part in parts)
    except Exception:  # logging must never raise into the caller
        text = f"[unprintable {record.levelname.lower()} record of {record.name}]"
    record.msg, record.args = text, ()
    record.exc_info, record.exc_text = None, None


def _is_framework(name: object) -> bool:
    if not isinstance(name, str):  # logging.makeLogRecord() names its record later
        return False
    root = name.split(".", 1)[0]
    return root.startswith("reflex") or root in FRAMEWORK_LOGGERS


def install_framework_redaction() -> None:
    """Wrap the log record factory so every framework record is redacted (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_framework_records", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        if _is_framework(record.name):
            redact_framework_record(record)
        return record

    factory.redacts_framework_records = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _scrub(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        value = event[key]
        if key.lower() in SENSITIVE_KEYS:
            event[key] = "[redacted]"
        elif isinstance(value, str) and key not in ("timestamp", "level"):
            event[key] = scrub_text(value)
    return event


def configure_logging(level: str = "INFO") -> None:
    """Route stdlib and structlog output through one JSON renderer on stderr (idempotent)."""
    global _configured
    install_framework_redaction()
    if _configured:
        return
    _configured = True
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            _scrub,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.processors.format_exc_info,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _scrub,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in ("sqlalchemy.engine", "httpx", "httpcore", "procrastinate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)


def bind_context(**values: Any) -> None:
    """Bind request-scoped fields (``requestId``, ``userId``, ``clientId``, ``route``)."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})


def clear_context() -> None:
    structlog.contextvars.clear_contextvars()

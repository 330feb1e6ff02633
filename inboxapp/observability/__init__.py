"""Observability: Prometheus metrics (:mod:`.metrics`), the Reflex event-loop detector
(:mod:`.loops`, :mod:`.reflex_hooks`) and small helpers shared by the instrumented modules.

Importing this package is cheap (no I/O, no Reflex import).
"""

from __future__ import annotations

import structlog


def current_request_id() -> str | None:
    """The ``requestId`` bound in this context (an HTTP request or a Reflex event), if any."""
    value = structlog.contextvars.get_contextvars().get("requestId")
    return value if isinstance(value, str) and value else None


__all__ = ["current_request_id"]

"""The single "workspace changed" hook. Writers call :func:`workspace_changed` after commit;
caches, counts and realtime subscribe with :func:`on_workspace_changed`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from inboxapp.logs import get_logger

Listener = Callable[[uuid.UUID], None]
_listeners: list[Listener] = []
log = get_logger(__name__)


def on_workspace_changed(listener: Listener) -> Listener:
    """Register ``listener(client_id)``; usable as a decorator. Registering twice is a no-op."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


CACHE_NAMESPACES = ("inbox", "analytics")


def bump_cache_versions(client_id: uuid.UUID) -> None:
    """Invalidate every cached read of one workspace (O(1) version bumps)."""
    from inboxapp.cache.store import get_cache

    cache = get_cache()
    for namespace in CACHE_NAMESPACES:
        cache.bump(namespace, client_id)


def workspace_changed(client_id: uuid.UUID) -> None:
    """Invalidate the workspace's cached reads, then tell every listener.

    A failing listener is logged and never fails the write (it has committed already).
    """
    bump_cache_versions(client_id)
    for listener in list(_listeners):
        try:
            listener(client_id)
        except Exception:
            log.exception("workspace_changed listener failed", clientId=str(client_id))

"""Reflex configuration for inboxapp.

* Our own engines talk to PostgreSQL (``inboxapp.db.engine``): no ``db_url`` here.
* Reflex's state manager is in memory (one worker; nothing, tokens included, is written to
  ``.states/`` on disk) unless ``REFLEX_REDIS_URL`` is set explicitly, which selects the Redis
  state manager. The app's own ``REDIS_URL`` (cache, rate limits) is never handed to Reflex.
* Production (``reflex run --env prod``) serves the built frontend, the HTTP API and the
  ``/_event`` websocket on ONE port, bound to 127.0.0.1: 3000 unless ``REFLEX_FRONTEND_PORT``
  overrides it (see docs/reflex-build-notes.md).
"""

from __future__ import annotations

import os

import reflex as rx

from inboxapp.styles import theme

PORT = int(os.environ.get("REFLEX_FRONTEND_PORT") or 3000)
REFLEX_REDIS_URL = os.environ.get("REFLEX_REDIS_URL") or None

config = rx.Config(
    app_name="inboxapp",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=PORT,
    backend_port=PORT,
    backend_host=os.environ.get("REFLEX_BACKEND_HOST") or "127.0.0.1",
    redis_url=REFLEX_REDIS_URL,
    state_manager_mode=(
        rx.constants.StateManagerMode.REDIS
        if REFLEX_REDIS_URL
        else rx.constants.StateManagerMode.MEMORY
    ),
    default_color_mode="light",
    plugins=[rx.plugins.RadixThemesPlugin(theme=theme)],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

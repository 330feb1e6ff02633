"""The Reflex app: pages, global style and the HTTP API (mounted through ``api_transformer``).

The Radix theme is configured in ``rxconfig.py`` (``RadixThemesPlugin``, from ``styles.theme``).
The browser code (``assets/js/``) is loaded once in every page's head (``state.browser``).

Importing this module builds the FastAPI app and registers the pages; it opens no connection
(engines are created lazily on first use).
"""

from __future__ import annotations

import reflex as rx

from inboxapp import config, pages, runtime_tuning, styles
from inboxapp.api.app import create_api
from inboxapp.observability.reflex_hooks import install as install_event_hooks
from inboxapp.state import browser, guard

__all__ = ["app", "pages"]

config.check_all()  # a bad setting stops the server now with one line, not at first use
app = rx.App(
    style=styles.base_style,
    api_transformer=create_api(),
    head_components=[
        rx.el.link(rel="icon", href="/favicon.ico"),
        rx.el.link(rel="stylesheet", href="/css/layout.css"),
        *browser.head_scripts(),
    ],
)
runtime_tuning.configure()
runtime_tuning.fast_packets(app.sio)
# Log context for every Reflex event; the loop detector only with DebugSettings.loops on.
install_event_hooks(app)
# Every event runs for the session that owns the state; updates go to its bound socket only.
guard.install(app)

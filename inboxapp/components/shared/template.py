"""``template``: register a page and wrap it in the shared layout (one place for the shell).

``shell=True`` (default): navbar + sidebar + content column, for signed-in pages
(``wide=True``: a wider column for dense, app-like screens such as the inbox).
``shell=False``: the centred sign-in layout.

Note: the production backend logs "Page ... is being redefined with the same component" once
per route at start (Reflex 0.10.1 applies ``rx.page`` registrations again in each forked
worker); it is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.vars import Var

from inboxapp import styles
from inboxapp.components.shared.navbar import navbar
from inboxapp.components.shared.sidebar import sidebar

PageFn = Callable[[], rx.Component]

META = [
    {"name": "viewport", "content": "width=device-width, initial-scale=1"},
    {"name": "color-scheme", "content": "light"},
]

# Dense screens (the inbox) use the width they get, with a little less padding.
WIDE_CONTENT_STYLE: dict[str, Any] = {
    **styles.content_style,
    "max_width": "1680px",
    "padding_x": ["12px", "16px", "20px"],
    "padding_y": "16px",
}


def skip_link() -> rx.Component:
    """The first Tab stop of every page: jump over the navigation to the content."""
    return rx.el.a(
        "Skip to content",
        href="#main",
        class_name="skip-link",
        custom_attrs={"data-testid": "skip-link"},
    )


def app_shell(content: rx.Component, *, wide: bool = False) -> rx.Component:
    return rx.box(
        skip_link(),
        navbar(),
        rx.hstack(
            sidebar(),
            rx.el.main(
                rx.box(content, style=WIDE_CONTENT_STYLE if wide else styles.content_style),
                id="main",
                tab_index=-1,
                width="100%",
                min_width="0",
            ),
            spacing="0",
            align="start",
            width="100%",
        ),
        background_color=styles.PAGE_BG,
        min_height="100vh",
        width="100%",
    )


def auth_shell(content: rx.Component) -> rx.Component:
    return rx.center(
        rx.el.main(content, width="100%", max_width=styles.AUTH_CARD_WIDTH),
        background_color=styles.PAGE_BG,
        min_height="100vh",
        width="100%",
        padding="24px",
    )


def template(
    route: str,
    title: str | Var[str],
    on_load: Any = None,
    *,
    shell: bool = True,
    wide: bool = False,
) -> Callable[[PageFn], PageFn]:
    """Register ``route`` with ``title`` and ``on_load``, rendered inside the layout (a Var
    ``title`` is the whole title, kept up to date in the browser tab)."""
    full = title if isinstance(title, Var) else f"{title} · {styles.APP_NAME}"

    def decorator(page_content: PageFn) -> PageFn:
        def page() -> rx.Component:
            if shell:
                return app_shell(page_content(), wide=wide)
            return auth_shell(page_content())

        page.__name__ = page_content.__name__
        page.__doc__ = page_content.__doc__
        rx.page(route=route, title=full, meta=META, on_load=on_load)(page)
        return page

    return decorator

"""Sign-in page (/login): email + password, Enter submits, inline errors, loading button."""

from __future__ import annotations

import reflex as rx

from inboxapp import styles
from inboxapp.components.shared.brand import brand
from inboxapp.components.shared.controls import button, muted_text, small_text
from inboxapp.components.shared.feedback import error_callout
from inboxapp.components.shared.template import template
from inboxapp.components.shared.testids import testid
from inboxapp.state.auth import LOGIN_ROUTE, AuthState


def _field(label: str, control: rx.Component, field_id: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(
            rx.text(label, size="2", weight="medium"),
            html_for=field_id,
        ),
        control,
        spacing="1",
        width="100%",
    )


def login_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(
                (AuthState.session_notice != "") & (AuthState.login_error == ""),
                rx.callout(
                    AuthState.session_notice,
                    icon="info",
                    color_scheme="blue",
                    variant="surface",
                    size="1",
                    role="status",
                    width="100%",
                    custom_attrs=testid("signed-out-notice"),
                ),
            ),
            rx.cond(
                AuthState.login_error != "",
                error_callout(AuthState.login_error, "login-error"),
            ),
            _field(
                "Email",
                rx.input(
                    id="login-email",
                    name="email",
                    type="email",
                    placeholder="you@company.com",
                    auto_complete="username",
                    auto_focus=True,
                    size="3",
                    width="100%",
                    custom_attrs=testid("login-email"),
                ),
                "login-email",
            ),
            _field(
                "Password",
                rx.input(
                    id="login-password",
                    name="password",
                    type="password",
                    placeholder="Your password",
                    auto_complete="current-password",
                    size="3",
                    width="100%",
                    custom_attrs=testid("login-password"),
                ),
                "login-password",
            ),
            button(
                rx.cond(AuthState.submitting, "Signing in…", "Sign in"),
                type="submit",
                variant=None,
                size="3",
                width="100%",
                loading=AuthState.submitting,
                disabled=AuthState.submitting,
                margin_top="8px",
                test_id="login-submit",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=AuthState.login,
        reset_on_submit=False,
        aria_label="Sign in",
        width="100%",
    )


@template(route=LOGIN_ROUTE, title="Sign in", on_load=AuthState.redirect_if_signed_in, shell=False)
def login() -> rx.Component:
    """The sign-in card."""
    return rx.vstack(
        rx.center(brand(size="5"), width="100%", padding_bottom="8px"),
        rx.box(
            rx.vstack(
                rx.vstack(
                    rx.heading("Sign in", size="6", weight="bold"),
                    muted_text("Use your work email to open your team's inbox.", size="2"),
                    spacing="1",
                ),
                login_form(),
                spacing="5",
                width="100%",
            ),
            style=styles.card_style,
            padding="32px",
        ),
        small_text(
            "Trouble signing in? Ask your workspace admin.", text_align="center", width="100%"
        ),
        spacing="4",
        width="100%",
    )

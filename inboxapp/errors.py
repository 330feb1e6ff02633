"""Domain errors. Services raise them; the API maps them to JSON ``{"error","message"}``."""

from __future__ import annotations


class AppError(Exception):
    """An expected failure with a stable machine code and a human message."""

    status = 400

    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers or {}


class BadRequest(AppError):
    status = 400


class Forbidden(AppError):
    status = 403


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


def reject_nul(value: str | None, name: str) -> None:
    """PostgreSQL text cannot hold NUL characters: refuse them as bad input, not a 500."""
    if value and "\x00" in value:
        raise BadRequest("INVALID_CHARACTERS", f"{name} contains a NUL character")

"""What every settings class shares: how it reads the environment and how a bad value fails.

One policy: a bad value stops the process with ONE line on stderr
(``invalid configuration: NAME: reason``, exit status 2), never a traceback and never the value
itself (it may be a secret or a URL with credentials). Nothing is clamped silently.
"""

from __future__ import annotations

import sys
from typing import TypeVar

from pydantic import AliasChoices, ValidationError
from pydantic.json_schema import JsonDict
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(RuntimeError):
    """A configuration problem that should stop the process with one clear line."""


class SettingsBase(BaseSettings):
    """Read from the environment only (no ``.env`` file); an empty variable counts as unset.

    Every field names its variable (``alias`` or ``validation_alias``) and has a docstring:
    ``python -m inboxapp.config`` renders the README table and ``.env.example`` from them.
    """

    model_config = SettingsConfigDict(
        env_file=None,
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
        use_attribute_docstrings=True,
        frozen=True,
    )


S = TypeVar("S", bound=SettingsBase)


def allowed(text: str) -> JsonDict:
    """``json_schema_extra`` of a field whose accepted values its type does not tell."""
    return {"allowed": text}


def env_names(cls: type[SettingsBase], field: str) -> tuple[str, ...]:
    """Every variable ``cls.field`` is read from, the primary one first."""
    info = cls.model_fields[field]
    if info.alias:
        return (info.alias,)
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    if isinstance(alias, str):
        return (alias,)
    raise KeyError(f"{cls.__name__}.{field} names no environment variable")


def env_name(cls: type[SettingsBase], field: str) -> str:
    """The variable of ``cls.field``: for code that sets it for a child process."""
    return env_names(cls, field)[0]


def describe_validation_error(exc: ValidationError, cls: type[SettingsBase] | None = None) -> str:
    """``invalid configuration: NAME: reason`` for the first error (never the input value)."""
    cls = cls or _class_named(exc.title)
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not first["loc"]:
        return f"invalid configuration: {message}"
    loc = str(first["loc"][0])  # the variable's name, or the field's when set by name
    name = env_name(cls, loc) if loc in cls.model_fields else loc
    return f"invalid configuration: {name}: {message}"


def _class_named(title: str) -> type[SettingsBase]:
    """The settings class a validation error is about (its title is the class name)."""
    found = [sub for sub in SettingsBase.__subclasses__() if sub.__name__ == title]
    if len(found) != 1:
        raise LookupError(f"no single settings class named {title!r}")
    return found[0]


def load(cls: type[S]) -> S:
    """Read ``cls`` from the environment; a bad value stops the process with one line."""
    try:
        return cls()
    except ValidationError as exc:
        print(describe_validation_error(exc, cls), file=sys.stderr)
        raise SystemExit(2) from None

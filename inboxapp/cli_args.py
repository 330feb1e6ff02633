"""Argument types shared by the operator commands: bad values become argparse errors (exit 2
with one clear line), never tracebacks."""

from __future__ import annotations

import argparse
import math
import sys
import uuid
from collections.abc import Callable, Sequence


def workspace_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a workspace id (UUID)") from None


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value!r}")
    return number


def positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number: {value!r}")
    return number


def add_actions(
    subparsers: argparse._SubParsersAction, name: str, help: str
) -> argparse._SubParsersAction:
    """Command ``name`` with its own required sub-commands (read back as ``args.action``)."""
    parser = subparsers.add_parser(name, help=help)
    return parser.add_subparsers(dest="action", required=True, parser_class=type(parser))


def add_targets(parser: argparse.ArgumentParser, *, dirty: bool = False) -> None:
    """``--client-id ID | --all`` (with ``dirty``, also ``--dirty``, the default) and ``--json``."""
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--client-id", type=workspace_id, metavar="ID", help="one workspace")
    which.add_argument("--all", action="store_true", help="every workspace")
    if dirty:
        which.add_argument("--dirty", action="store_true", help="dirty workspaces (default)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def targets(
    args: argparse.Namespace,
    every: Callable[[], list[uuid.UUID]],
    dirty: Callable[[], list[uuid.UUID]],
) -> list[uuid.UUID]:
    """The workspaces :func:`add_targets` chose: one, ``every()`` or (by default) ``dirty()``."""
    if args.client_id:
        return [args.client_id]
    return every() if args.all else dirty()


def selection_error(
    ids: Sequence[object] | None, every: bool, client_id: object, *, ids_hint: str, every_flag: str
) -> int | None:
    """For commands that act on given ids or on every failed one: exit code 2 (after a
    one-line error) when nothing is selected or ``--client-id`` comes without ``every_flag``;
    None when the selection is fine."""
    if not ids and not every:
        message = f"give {ids_hint} or {every_flag}"
    elif client_id and not every:
        message = f"--client-id only filters {every_flag}"
    else:
        return None
    print(f"inboxapp: error: {message}", file=sys.stderr)
    return 2

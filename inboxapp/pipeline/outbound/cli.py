"""``providers set`` and ``sandbox`` subcommands of ``python -m inboxapp``.

providers set --client-id X --provider P --base-url URL --api-key-stdin [--option K=V ...]
    store a workspace's credentials (the key is read from stdin, encrypted, never printed)
sandbox [--port N]   the local provider sandbox (``make run`` starts it)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from inboxapp.cli_args import workspace_id
from inboxapp.pipeline.inbound.cli import _provider


def _option(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError("must be KEY=VALUE")
    return key.strip(), val.strip()


def cmd_set(args: argparse.Namespace) -> int:
    from inboxapp.errors import AppError
    from inboxapp.pipeline.outbound.credentials import set_credentials

    api_key = sys.stdin.readline().strip()
    try:
        set_credentials(
            args.client_id,
            args.provider,
            api_key=api_key,
            base_url=args.base_url,
            options=dict(args.options or []),
        )
    except AppError as exc:
        print(f"inboxapp: error: {exc.message}", file=sys.stderr)
        return 2
    print(f"stored {args.provider.value} credentials for workspace {args.client_id}")
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from inboxapp.config import outbound_settings
    from inboxapp.pipeline.sandbox import serve

    serve(args.port or outbound_settings().sandbox_port)
    return 0


def register(subparsers: Any) -> None:
    providers = subparsers.add_parser("providers", help="provider credentials of a workspace")
    actions = providers.add_subparsers(dest="action", required=True, parser_class=type(providers))
    put = actions.add_parser("set", help="store (or replace) a provider's API key and base URL")
    put.add_argument("--client-id", type=workspace_id, required=True, metavar="ID")
    put.add_argument("--provider", type=_provider, required=True)
    put.add_argument("--base-url", required=True, metavar="URL")
    put.add_argument(
        "--api-key-stdin", action="store_true", required=True, help="read the API key from stdin"
    )
    put.add_argument(
        "--option", dest="options", action="append", type=_option, metavar="KEY=VALUE",
        help="a non-secret option (senderEmailId, accountId, eaccount)",
    )  # fmt: skip
    put.set_defaults(func=cmd_set)

    sandbox = subparsers.add_parser("sandbox", help="serve the local provider sandbox")
    sandbox.add_argument("--port", type=int, default=None, help="default: the sandbox port setting")
    sandbox.set_defaults(func=cmd_sandbox)

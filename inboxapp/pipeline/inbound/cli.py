"""``webhooks url`` and ``webhooks replay`` subcommands of ``python -m inboxapp``.

webhooks url --client-id X --provider P [--rotate] [--require-signature|--allow-unsigned]
    [--json]     the endpoint URL and signing secret (the URL only when it is issued:
                 first time or --rotate; the previous token works for the grace period)
webhooks replay --event-id E [E ...] | --failed [--client-id X] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

from inboxapp.cli_args import selection_error, workspace_id
from inboxapp.pipeline.providers import Provider


def _provider(value: str) -> Provider:
    try:
        return Provider(value)
    except ValueError:
        names = ", ".join(p.value for p in Provider)
        raise argparse.ArgumentTypeError(f"must be one of {names}") from None


def _event_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be an event id (UUID)") from None


def cmd_url(args: argparse.Namespace) -> int:
    from inboxapp.errors import AppError
    from inboxapp.pipeline.inbound.endpoints import issue_url

    try:
        issued = issue_url(
            args.client_id, args.provider, rotate=args.rotate, require_signature=args.require
        )
    except AppError as exc:
        print(f"inboxapp: error: {exc.message}", file=sys.stderr)
        return 2
    data = issued.as_json()
    note = None
    if issued.url is None:
        note = (
            "the URL is shown only when it is issued; --rotate issues a new one (the current"
            " one keeps working for the grace period)"
        )
    if args.json:
        print(json.dumps({k: data[k] for k in ("url", "signingSecret")} | data))
    else:
        print(f"url:            {data['url'] or '(hidden: issued earlier)'}")
        print(f"signing secret: {data['signingSecret']}")
        print(f"signature:      {'required' if data['requireSignature'] else 'checked when sent'}")
        if data["previousValidUntil"]:
            print(f"previous URL works until {data['previousValidUntil']}")
    if note:
        print(f"note: {note}", file=sys.stderr)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from inboxapp.pipeline.inbound.jobs import replay

    error = selection_error(
        args.event_ids, args.failed, args.client_id, ids_hint="--event-id E", every_flag="--failed"
    )
    if error is not None:
        return error
    result = replay(args.event_ids or (), failed=args.failed, client_id=args.client_id)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"replaying {len(result['replayed'])} event(s)")
        if result["missing"]:
            print(f"not found: {', '.join(result['missing'])}", file=sys.stderr)
    return 1 if result["missing"] else 0


def register(subparsers: Any) -> None:
    hooks = subparsers.add_parser("webhooks", help="provider webhook endpoints and events")
    actions = hooks.add_subparsers(dest="action", required=True, parser_class=type(hooks))
    url = actions.add_parser("url", help="issue (or rotate) a workspace's webhook URL")
    url.add_argument("--client-id", type=workspace_id, required=True, metavar="ID")
    url.add_argument(
        "--provider", type=_provider, required=True, help=", ".join(p.value for p in Provider)
    )
    url.add_argument("--rotate", action="store_true", help="issue a new token")
    signed = url.add_mutually_exclusive_group()
    signed.add_argument(
        "--require-signature",
        dest="require",
        action="store_const",
        const=True,
        default=None,
        help="refuse requests without a valid signature",
    )
    signed.add_argument(
        "--allow-unsigned",
        dest="require",
        action="store_const",
        const=False,
        help="accept requests without a signature (a sent signature is still checked)",
    )
    url.add_argument("--json", action="store_true", help="print JSON")
    url.set_defaults(func=cmd_url)

    again = actions.add_parser("replay", help="process stored events again")
    again.add_argument("--event-id", dest="event_ids", nargs="+", type=_event_id, metavar="E")
    again.add_argument("--failed", action="store_true", help="every failed (dead) event")
    again.add_argument("--client-id", type=workspace_id, metavar="ID", help="with --failed")
    again.add_argument("--json", action="store_true", help="print JSON")
    again.set_defaults(func=cmd_replay)

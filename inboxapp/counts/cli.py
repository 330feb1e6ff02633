"""``python -m inboxapp counts recompute|verify``: operate the materialized inbox counts."""

from __future__ import annotations

import argparse
import json
import sys

from inboxapp.cli_args import workspace_id
from inboxapp.counts.recompute import (
    all_workspaces,
    dirty_workspaces,
    recompute_workspace,
    verify_workspace,
)


def cmd_recompute(args: argparse.Namespace) -> int:
    if args.client_id:
        targets = [args.client_id]
    elif args.all:
        targets = all_workspaces()
    else:
        targets = dirty_workspaces()
    results = [recompute_workspace(cid) for cid in targets]
    if args.json:
        print(
            json.dumps(
                [
                    {"clientId": str(r.client_id), "scopes": r.scopes, "ms": round(r.duration_ms)}
                    for r in results
                ]
            )
        )
    else:
        for r in results:
            print(f"{r.client_id}: {r.scopes} scope rows in {r.duration_ms:.0f} ms")
        print(f"recomputed {len(results)} workspace(s)")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    problems = verify_workspace(args.client_id)
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print(f"{args.client_id}: materialized counts equal the live computation")
    return 1 if problems else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    counts = subparsers.add_parser("counts", help="materialized inbox counts")
    actions = counts.add_subparsers(dest="action", required=True, parser_class=type(counts))
    recompute = actions.add_parser("recompute", help="recompute materialized counts now")
    which = recompute.add_mutually_exclusive_group()
    which.add_argument("--client-id", type=workspace_id, metavar="ID", help="one workspace")
    which.add_argument("--all", action="store_true", help="every workspace")
    which.add_argument("--dirty", action="store_true", help="dirty workspaces (default)")
    recompute.add_argument("--json", action="store_true", help="print JSON")
    recompute.set_defaults(func=cmd_recompute)
    verify = actions.add_parser("verify", help="compare materialized with live (exit 1 if not)")
    verify.add_argument("--client-id", type=workspace_id, metavar="ID", required=True)
    verify.set_defaults(func=cmd_verify)

"""``python -m inboxapp counts recompute|verify``: operate the materialized inbox counts."""

from __future__ import annotations

import argparse
import json
import sys

from inboxapp.cli_args import add_actions, add_targets, targets, workspace_id
from inboxapp.counts.recompute import (
    all_workspaces,
    dirty_workspaces,
    recompute_workspace,
    verify_workspace,
)


def cmd_recompute(args: argparse.Namespace) -> int:
    results = [recompute_workspace(cid) for cid in targets(args, all_workspaces, dirty_workspaces)]
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
    actions = add_actions(subparsers, "counts", "materialized inbox counts")
    recompute = actions.add_parser("recompute", help="recompute materialized counts now")
    add_targets(recompute, dirty=True)
    recompute.set_defaults(func=cmd_recompute)
    verify = actions.add_parser("verify", help="compare materialized with live (exit 1 if not)")
    verify.add_argument("--client-id", type=workspace_id, metavar="ID", required=True)
    verify.set_defaults(func=cmd_verify)

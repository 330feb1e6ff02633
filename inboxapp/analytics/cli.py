"""``analytics rebuild|rollup|verify``: operate the analytics rollups.

:func:`register` adds them to the main ``python -m inboxapp`` parser; ``python -m
inboxapp.analytics.cli ...`` runs them standalone (same code).

  analytics rebuild [--client-id ID | --all]   recompute every day (default: workspaces with
                                               dirty days)
  analytics rollup [--client-id ID]            recompute only the dirty days (what the job does)
  analytics verify --client-id ID              compare rollups with the raw computation for
                                               every day; exit 1 on any difference
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from inboxapp.analytics.rollup import (
    RollupResult,
    all_workspaces,
    dirty_days,
    dirty_workspaces,
    rebuild_workspace,
    rollup_workspace,
    verify_workspace,
)
from inboxapp.cli_args import add_actions, add_targets, targets, workspace_id


def _report(results: list[RollupResult], as_json: bool, verb: str) -> None:
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "clientId": str(r.client_id),
                        "full": r.full,
                        "days": r.days,
                        "rows": r.rows,
                        "clearedDirtyDays": r.cleared,
                        "ms": round(r.duration_ms),
                    }
                    for r in results
                ]
            )
        )
        return
    for r in results:
        kind = "full" if r.full else "incremental"
        print(
            f"{r.client_id}: {kind}, {r.days} day(s), {r.rows} rollup rows,"
            f" {r.cleared} dirty mark(s) cleared in {r.duration_ms:.0f} ms"
        )
    print(f"{verb} {len(results)} workspace(s)")


def cmd_rebuild(args: argparse.Namespace) -> int:
    chosen = targets(args, all_workspaces, dirty_workspaces)
    _report([rebuild_workspace(cid) for cid in chosen], args.json, "rebuilt")
    return 0


def cmd_rollup(args: argparse.Namespace) -> int:
    targets = [args.client_id] if args.client_id else dirty_workspaces()
    _report([rollup_workspace(cid) for cid in targets], args.json, "rolled up")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    problems = verify_workspace(args.client_id)
    for line in problems:
        print(line, file=sys.stderr)
    pending = dirty_days(args.client_id)
    if pending:
        print(
            f"note: {len(pending)} dirty day(s) not rolled up yet"
            f" ({pending[0]} .. {pending[-1]}); run `analytics rollup` first",
            file=sys.stderr,
        )
    if not problems:
        print(f"{args.client_id}: rollups equal the raw computation for every day")
    return 1 if problems else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = add_actions(subparsers, "analytics", "analytics rollups")
    rebuild = actions.add_parser("rebuild", help="recompute rollups for every day")
    add_targets(rebuild)
    rebuild.set_defaults(func=cmd_rebuild)
    rollup = actions.add_parser("rollup", help="recompute only dirty days")
    rollup.add_argument("--client-id", type=workspace_id, metavar="ID", help="one workspace")
    rollup.add_argument("--json", action="store_true", help="print JSON")
    rollup.set_defaults(func=cmd_rollup)
    verify = actions.add_parser("verify", help="compare rollups with raw (exit 1 if not equal)")
    verify.add_argument("--client-id", type=workspace_id, metavar="ID", required=True)
    verify.set_defaults(func=cmd_verify)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inboxapp")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())

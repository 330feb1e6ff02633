"""``worker`` and ``jobs status|retry|run-once`` subcommands.

:func:`register` adds them to the main ``python -m inboxapp`` parser; ``python -m
inboxapp.jobs.cli ...`` runs them standalone (same code, used by the tests and benchmarks).

  worker [--concurrency N] [--queues Q ...] [--name NAME]   run until SIGTERM/SIGINT
  jobs status [--client-id ID] [--limit N] [--json]          queue depth, dead jobs, workers
  jobs retry JOB_ID ... | --all-failed [--client-id ID]      re-queue dead (failed) jobs
  jobs run-once [--queues Q ...] [--concurrency N]           work until the queues are empty
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from inboxapp.cli_args import add_actions, positive_int, selection_error, workspace_id

QUEUES_HELP = "only these queues (counts, analytics, maintenance, ...); default: all"


def _queues(values: Sequence[str] | None) -> list[str] | None:
    if not values:
        return None
    out = [q.strip() for v in values for q in v.split(",") if q.strip()]
    return out or None


def _text(client_id: uuid.UUID | None) -> str | None:
    return None if client_id is None else str(client_id)


def cmd_worker(args: argparse.Namespace) -> int:
    from inboxapp.jobs.worker import run_worker

    run_worker(concurrency=args.concurrency, queues=_queues(args.queues), name=args.name)
    return 0


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [list(headers)] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def cmd_jobs_status(args: argparse.Namespace) -> int:
    from inboxapp.jobs.queue import queue_overview

    data = queue_overview(_text(args.client_id), limit=args.limit)
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    print("Queue depth (todo = queued, ready = runnable now; doing = running; failed = dead)")
    rows = [(q["queue"], q["task"], q["status"], q["count"], q["ready"]) for q in data["queues"]]
    print(_table(("QUEUE", "TASK", "STATUS", "COUNT", "READY"), rows) if rows else "  (empty)")
    print(f"\nDead-lettered (failed) jobs, newest first (max {args.limit}):")
    dead = [
        (d["id"], d["task"], d["clientId"], d["attempts"], d["failedAt"])
        for d in data["deadLetter"]
    ]
    print(_table(("ID", "TASK", "CLIENT", "ATTEMPTS", "FAILED_AT"), dead) if dead else "  (none)")
    workers = ", ".join(f"#{w['id']} ({w['heartbeatAgeS']} s ago)" for w in data["workers"])
    print(f"\nWorkers: {workers or 'none'}")
    print(f"Last sweep: {data['lastSweepAt'] or 'never'}")
    return 0


def cmd_jobs_retry(args: argparse.Namespace) -> int:
    from inboxapp.jobs.queue import retry_failed

    error = selection_error(
        args.job_ids,
        args.all_failed,
        args.client_id,
        ids_hint="JOB_ID(s)",
        every_flag="--all-failed",
    )
    if error is not None:
        return error
    result = retry_failed(args.job_ids, all_failed=args.all_failed, client_id=_text(args.client_id))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"re-queued {len(result['retried'])} job(s): {result['retried']}")
        for key, label in (("notFailed", "not failed (left alone)"), ("missing", "not found")):
            if result[key]:
                print(f"{label}: {result[key]}", file=sys.stderr)
    return 1 if result["notFailed"] or result["missing"] else 0


def cmd_jobs_run_once(args: argparse.Namespace) -> int:
    from inboxapp.jobs.worker import run_until_empty

    result = run_until_empty(concurrency=args.concurrency, queues=_queues(args.queues))
    print(
        f"queue drained ({result['rounds']} worker round(s)); {result['scheduled']} job(s)"
        " scheduled for later (retries) remain"
        + (f"; {result['ready']} still ready (round limit)" if result["ready"] else "")
    )
    return 0 if not result["ready"] else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``worker`` and ``jobs`` to an ``add_subparsers()`` action."""
    worker = subparsers.add_parser("worker", help="run a background job worker")
    worker.add_argument("--concurrency", type=positive_int, help="parallel jobs (default 2)")
    worker.add_argument("--queues", nargs="+", metavar="Q", help=QUEUES_HELP)
    worker.add_argument("--name", help="worker name in logs (default host:pid)")
    worker.set_defaults(func=cmd_worker)

    actions = add_actions(subparsers, "jobs", "inspect and operate background jobs")
    status = actions.add_parser("status", help="queue depth and dead-lettered jobs")
    status.add_argument("--client-id", type=workspace_id, metavar="ID", help="one workspace")
    status.add_argument("--limit", type=positive_int, default=50, help="dead jobs shown (50)")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=cmd_jobs_status)

    retry = actions.add_parser("retry", help="re-queue dead-lettered (failed) jobs")
    retry.add_argument("job_ids", nargs="*", type=int, metavar="JOB_ID")
    retry.add_argument("--all-failed", action="store_true", help="every failed job")
    retry.add_argument("--client-id", type=workspace_id, metavar="ID", help="with --all-failed")
    retry.add_argument("--json", action="store_true", help="print JSON")
    retry.set_defaults(func=cmd_jobs_retry)

    once = actions.add_parser("run-once", help="run jobs until the queues are empty, then exit")
    once.add_argument("--queues", nargs="+", metavar="Q", help=QUEUES_HELP)
    once.add_argument("--concurrency", type=positive_int, help="parallel jobs (default 2)")
    once.set_defaults(func=cmd_jobs_run_once)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inboxapp", description="background jobs")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

"""Operator command line: ``python -m inboxapp <command>``.

  migrate                                   apply database migrations (owner connection)
  run [--dev]                               start the app
  workspaces add NAME [--owner EMAIL] [--timezone TZ] | workspaces list
  users add EMAIL --password-stdin [--name NAME] [--workspace ID --role ROLE] | users list
  members add WORKSPACE_ID EMAIL --role ROLE
  seed --demo | seed --scale --leads N [--workspaces W] [--messages-per-lead M] [--seed S]
  webhooks url --client-id X --provider P [--rotate] | webhooks replay --event-id E | --failed
  providers set --client-id X --provider P --base-url URL --api-key-stdin [--option K=V]
  sandbox [--port N]                        the local provider sandbox (make run starts it)
  ai replay --client-id X [--dry-run] [--limit N] [--concurrency N] ...   the replay gate

Commands that print data accept ``--json``. Mistakes print one line on stderr and exit with 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from inboxapp.cli_args import positive_int
from inboxapp.domain.roles import MEMBER_ROLES

ROLES = tuple(role.value for role in MEMBER_ROLES)
"""For help texts (validation is the admin functions')."""


class CliError(Exception):
    """A usage mistake detected by the CLI itself."""


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line (``inboxapp: error: ...``), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _print(data: Any, as_json: bool, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if as_json else text)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


# -- commands ----------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    from inboxapp.db.migrate import upgrade

    upgrade()
    print("database is up to date")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from inboxapp import runner

    return int(runner.main(dev=args.dev))


def cmd_workspaces_add(args: argparse.Namespace) -> int:
    from inboxapp.admin import add_workspace

    ws = add_workspace(args.name, owner_email=args.owner, timezone=args.timezone)
    _print(ws, args.json, f"created workspace {ws['id']} {ws['name']!r}")
    return 0


def cmd_workspaces_list(args: argparse.Namespace) -> int:
    from inboxapp.admin import list_workspaces

    rows = list_workspaces()
    text = _table(
        ("ID", "NAME", "OWNER EMAIL", "TIMEZONE", "MEMBERS", "LEADS"),
        [
            (w["id"], w["name"], w["ownerEmail"], w["timezone"], w["members"], w["leads"])
            for w in rows
        ],
    )
    _print(rows, args.json, text)
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.read().rstrip("\r\n")


def cmd_users_add(args: argparse.Namespace) -> int:
    from inboxapp.admin import add_user

    if not args.password_stdin:
        raise CliError("pass the password on stdin with --password-stdin")
    user = add_user(
        args.email,
        _read_password(),
        display_name=args.name,
        workspace_id=args.workspace,
        role=args.role,
    )
    roles = ", ".join(f"{m['role']} in {m['workspaceName']}" for m in user["memberships"])
    _print(
        user,
        args.json,
        f"created user {user['id']} {user['email']}" + (f" ({roles})" * bool(roles)),
    )
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from inboxapp.admin import list_users

    users = list_users()
    rows = [
        (
            u["id"],
            u["email"],
            u["displayName"],
            "; ".join(f"{m['workspaceName']}: {m['role']}" for m in u["memberships"]),
        )
        for u in users
    ]
    _print(users, args.json, _table(("ID", "EMAIL", "NAME", "MEMBERSHIPS"), rows))
    return 0


def cmd_users_disable(args: argparse.Namespace) -> int:
    from inboxapp.admin import set_user_disabled

    disabled = args.action == "disable"
    user = set_user_disabled(args.email, disabled)
    verb = "disabled (every session ended)" if disabled else "enabled"
    _print(user, args.json, f"{user['email']} {verb}")
    return 0


def cmd_members_remove(args: argparse.Namespace) -> int:
    from inboxapp.admin import remove_member

    member = remove_member(args.workspace, args.email)
    _print(member, args.json, f"{member['email']} removed from {member['workspaceName']}")
    return 0


def cmd_members_add(args: argparse.Namespace) -> int:
    from inboxapp.admin import add_member

    member = add_member(args.workspace, args.email, args.role)
    text = f"{member['email']} is now {member['role']} in {member['workspaceName']}"
    _print(member, args.json, text)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    if args.demo:
        return _seed_demo(args)
    if args.leads is None:
        raise CliError("seed --scale needs --leads N")
    return _seed_scale(args)


def _seed_demo(args: argparse.Namespace) -> int:
    from inboxapp.seed.demo import seed_demo

    result = seed_demo(seed=args.seed)
    if args.json:
        print(json.dumps({k: result[k] for k in ("password", "workspaces", "users")}, indent=2))
        return 0
    names = {w["id"]: w["name"] for w in result["workspaces"]}
    created = result["created"]
    if any(created.values()):
        print("created: " + ", ".join(f"{v:,} {k}" for k, v in created.items() if v))
    else:
        print("demo data already present: nothing created")
    print()
    rows = [
        (
            u["email"],
            u["displayName"],
            "; ".join(f"{names[cid]}: {role}" for cid, role in u["roles"].items()),
        )
        for u in result["users"]
    ]
    print(_table(("EMAIL", "NAME", "ROLES"), rows))
    print(f"\npassword for every demo user: {result['password']}")
    return 0


def _seed_scale(args: argparse.Namespace) -> int:
    from inboxapp.seed.scale import seed_scale

    def progress(done: int, total: int, elapsed: float) -> None:
        if done == total or done % 100_000 < args.chunk_size:
            rate = done / elapsed if elapsed else 0.0
            print(f"  {done:,}/{total:,} leads ({elapsed:.0f} s, {rate:,.0f}/s)", file=sys.stderr)

    result = seed_scale(
        args.leads,
        workspaces=args.workspaces,
        messages_per_lead=args.messages_per_lead,
        seed=args.seed,
        jobs=args.jobs,
        chunk_size=args.chunk_size,
        progress=None if args.json else progress,
    )
    c, t = result["counts"], result["seconds"]
    text = "\n".join(
        [
            f"created workspace {w['id']} {w['name']!r} ({w['leads']:,} leads)"
            for w in result["workspaces"]
        ]
        + [
            f"rows: {c['leads']:,} leads, {c['messages']:,} messages, {c['drafts']:,} drafts,"
            f" {c['users']} users, {c['members']} members, {c['campaigns']} campaigns",
            f"time: {t['total']} s (load {t['load']} s, analyze {t['analyze']} s)",
            "logins: <role>@<workspace domain> (see users list), password: DEMO_PASSWORD",
        ]
    )
    _print(result, args.json, text)
    return 0


# -- parser ------------------------------------------------------------------------------------


def build_parser() -> Parser:
    parser = Parser(prog="inboxapp", description="inboxapp operator commands")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    json_flag = Parser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON")

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    run = sub.add_parser("run", help="start the app")
    run.add_argument("--dev", action="store_true", help="development mode (hot reload)")
    run.set_defaults(func=cmd_run)

    ws = sub.add_parser("workspaces", help="manage workspaces").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    ws_add = ws.add_parser("add", parents=[json_flag], help="create a workspace")
    ws_add.add_argument("name")
    ws_add.add_argument("--owner", metavar="EMAIL", help="owner (an existing user)")
    ws_add.add_argument("--timezone", default="UTC", metavar="TZ", help="IANA zone (UTC)")
    ws_add.set_defaults(func=cmd_workspaces_add)
    ws.add_parser("list", parents=[json_flag], help="list workspaces").set_defaults(
        func=cmd_workspaces_list
    )

    users = sub.add_parser("users", help="manage users").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    u_add = users.add_parser("add", parents=[json_flag], help="create a user")
    u_add.add_argument("email")
    u_add.add_argument("--password-stdin", action="store_true", help="read the password")
    u_add.add_argument("--name", help="display name (default: the email's local part)")
    u_add.add_argument("--workspace", metavar="ID", help="also add to this workspace")
    u_add.add_argument("--role", metavar="ROLE", help=f"role there: {', '.join(ROLES)}")
    u_add.set_defaults(func=cmd_users_add)
    users.add_parser("list", parents=[json_flag], help="list users").set_defaults(
        func=cmd_users_list
    )
    for verb, text in (
        ("disable", "disable a user, ending their sessions"),
        ("enable", "let a disabled user sign in again"),
    ):
        u_state = users.add_parser(verb, parents=[json_flag], help=text)
        u_state.add_argument("email")
        u_state.set_defaults(func=cmd_users_disable)

    members = sub.add_parser("members", help="manage memberships").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    m_add = members.add_parser("add", parents=[json_flag], help="give a user a role")
    m_add.add_argument("workspace", metavar="WORKSPACE_ID")
    m_add.add_argument("email")
    m_add.add_argument("--role", required=True, metavar="ROLE", help=", ".join(ROLES))
    m_add.set_defaults(func=cmd_members_add)
    m_rm = members.add_parser("remove", parents=[json_flag], help="take every role away")
    m_rm.add_argument("workspace", metavar="WORKSPACE_ID")
    m_rm.add_argument("email")
    m_rm.set_defaults(func=cmd_members_remove)

    seed = sub.add_parser("seed", parents=[json_flag], help="load demo or scale data")
    kind = seed.add_mutually_exclusive_group(required=True)
    kind.add_argument("--demo", action="store_true", help="3 demo workspaces (idempotent)")
    kind.add_argument("--scale", action="store_true", help="large generated data (new workspaces)")
    seed.add_argument("--leads", type=positive_int, metavar="N", help="scale: total leads")
    seed.add_argument(
        "--workspaces", type=positive_int, default=1, metavar="W", help="scale: split over W (1)"
    )
    seed.add_argument(
        "--messages-per-lead", type=positive_int, default=5, metavar="M", help="scale: mean (5)"
    )
    seed.add_argument("--seed", type=int, default=42, help="random seed (42)")
    seed.add_argument("--jobs", type=positive_int, default=2, help="scale: parallel COPY (2)")
    seed.add_argument("--chunk-size", type=positive_int, default=5000, help=argparse.SUPPRESS)
    seed.set_defaults(func=cmd_seed)

    from inboxapp.ai.cli import register as register_ai
    from inboxapp.analytics.cli import register as register_analytics
    from inboxapp.counts.cli import register as register_counts
    from inboxapp.jobs.cli import register as register_jobs
    from inboxapp.pipeline.inbound.cli import register as register_webhooks
    from inboxapp.pipeline.outbound.cli import register as register_outbound
    from inboxapp.simulate import register as register_simulate

    register_jobs(sub)
    register_counts(sub)
    register_simulate(sub)
    register_analytics(sub)
    register_webhooks(sub)
    register_outbound(sub)
    register_ai(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("inboxapp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into head: not an error
        sys.stderr.close()
        return 0
    except Exception as exc:
        message = _one_line_error(exc)
        if message is None:
            raise  # a bug: keep the traceback
        print(f"inboxapp: {message}", file=sys.stderr)
        return 2


def _one_line_error(exc: Exception) -> str | None:
    """The message for operator-fixable errors; None for anything else.

    The error classes are imported here, not at the top, so ``--help`` and light commands
    start fast (their modules are already loaded whenever they raised).
    """
    import psycopg
    import sqlalchemy.exc

    from inboxapp.admin import AdminError
    from inboxapp.config import ConfigError
    from inboxapp.seed import SeedError

    if isinstance(exc, CliError | AdminError | SeedError | ConfigError):
        return f"error: {exc}"
    if isinstance(exc, psycopg.Error | sqlalchemy.exc.DBAPIError):
        text = str(getattr(exc, "orig", None) or exc).strip()
        return "database error: " + (text.splitlines()[0] if text else type(exc).__name__)
    return None

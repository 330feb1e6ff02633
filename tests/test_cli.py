"""The admin CLI, run exactly as an operator would: ``python -m inboxapp ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

import psycopg
import pytest

from inboxapp.auth.passwords import verify_password
from inboxapp.config import PROJECT_ROOT, get_settings, libpq_url


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inboxapp", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=PROJECT_ROOT,
        timeout=300,
    )


def ok_json(*args: str, stdin: str | None = None) -> Any:
    result = cli(*args, "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def workspace(unique: str) -> dict[str, Any]:
    return ok_json("workspaces", "add", f"CLI Workspace {unique}", "--timezone", "Europe/Paris")


def test_users_add_reads_password_from_stdin_and_lists_membership(
    unique: str, workspace: dict[str, Any]
) -> None:
    email = f"  CLI-{unique}@Example.TEST "
    created = ok_json(
        "users",
        "add",
        email,
        "--password-stdin",
        "--name",
        "Cli Person",
        "--workspace",
        workspace["id"],
        "--role",
        "setter",
        stdin="s3cret-password\n",
    )
    assert created["email"] == f"cli-{unique}@example.test"
    assert created["displayName"] == "Cli Person"

    listing = cli("users", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    assert "argon2" not in listing.stdout and "passwordHash" not in listing.stdout
    mine = [u for u in json.loads(listing.stdout) if u["id"] == created["id"]]
    assert len(mine) == 1
    assert mine[0]["email"] == f"cli-{unique}@example.test"
    assert mine[0]["memberships"] == [
        {"workspaceId": workspace["id"], "workspaceName": workspace["name"], "role": "SETTER"}
    ]
    with psycopg.connect(libpq_url(get_settings().owner_url)) as conn:
        stored = conn.execute('SELECT "passwordHash" FROM "User" WHERE id = %s', (created["id"],))
        password_hash = stored.fetchone()[0]
    assert verify_password(password_hash, "s3cret-password")  # trailing newline stripped
    assert not verify_password(password_hash, "s3cret-password\n")

    text = cli("users", "list")
    assert text.returncode == 0 and f"cli-{unique}@example.test" in text.stdout
    assert "argon2" not in text.stdout


def test_duplicate_email_is_one_line_exit_2(unique: str) -> None:
    email = f"dup-{unique}@example.test"
    first = cli("users", "add", email, "--password-stdin", stdin="password-one\n")
    assert first.returncode == 0, first.stderr
    again = cli("users", "add", email.upper(), "--password-stdin", stdin="password-two\n")
    assert_one_line_error(again, "already exists")


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (["--role", "BOSS"], "long-enough-password", "invalid role"),
        (["--role", "ADMIN", "--workspace", str(uuid.uuid4())], "long-enough", "unknown workspace"),
        (["--role", "ADMIN", "--workspace", "not-a-uuid"], "long-enough", "malformed"),
        ([], "\n", "must not be empty"),
        ([], "short\n", "at least 8"),
        (["--role", "ADMIN"], "long-enough-password", "go together"),
    ],
    ids=["bad-role", "unknown-workspace", "malformed-uuid", "empty-password", "short", "pairing"],
)
def test_users_add_errors(
    unique: str, workspace: dict[str, Any], args: list[str], stdin: str, fragment: str
) -> None:
    if args[:2] == ["--role", "BOSS"]:
        args = [*args, "--workspace", workspace["id"]]
    result = cli(
        "users", "add", f"err-{unique}@example.test", "--password-stdin", *args, stdin=stdin
    )
    assert_one_line_error(result, fragment)
    users = ok_json("users", "list")
    assert not any(u["email"] == f"err-{unique}@example.test" for u in users)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["users", "add", "not-an-email", "--password-stdin"], "invalid email"),
        (["workspaces", "add", "X", "--owner", "nobody-xyz@example.test"], "no user"),
        (["workspaces", "add", "X", "--timezone", "Mars/Olympus"], "time zone"),
        (["workspaces", "add", "   "], "must not be empty"),
        (["members", "add", "nope", "a@example.test", "--role", "SETTER"], "malformed"),
        (["users", "frobnicate"], "invalid choice"),
        (["seed", "--scale"], "--leads"),
        (["seed", "--scale", "--leads", "-5"], "at least 1"),
        (["seed"], "one of the arguments"),
    ],
)
def test_errors_are_one_line(args: list[str], fragment: str) -> None:
    assert_one_line_error(cli(*args, stdin="long-enough-password\n"), fragment)


def test_workspace_owner_and_members(unique: str) -> None:
    owner = f"owner-{unique}@example.test"
    assert cli("users", "add", owner, "--password-stdin", stdin="owner-password\n").returncode == 0
    ws = ok_json("workspaces", "add", f"Owned {unique}", "--owner", owner.upper())
    assert ws["ownerEmail"] == owner
    member = f"member-{unique}@example.test"
    assert cli("users", "add", member, "--password-stdin", stdin="member-password").returncode == 0
    added = ok_json("members", "add", ws["id"], member, "--role", "INBOX_MANAGER")
    assert added["role"] == "INBOX_MANAGER"
    assert_one_line_error(
        cli("members", "add", ws["id"], member, "--role", "INBOX_MANAGER"), "already has role"
    )
    listed = [w for w in ok_json("workspaces", "list") if w["id"] == ws["id"]]
    assert listed == [
        {
            "id": ws["id"],
            "name": f"Owned {unique}",
            "ownerEmail": owner,
            "timezone": "UTC",
            "members": 1,
            "leads": 0,
            "createdAt": listed[0]["createdAt"],
        }
    ]
    users = {u["email"]: u for u in ok_json("users", "list")}
    assert {"workspaceId": ws["id"], "workspaceName": f"Owned {unique}", "role": "OWNER"} in users[
        owner
    ]["memberships"]


def test_seed_demo_json_lists_workspaces_users_and_password() -> None:
    first = ok_json("seed", "--demo")
    assert set(first) == {"password", "workspaces", "users"}
    assert first["password"] == get_settings().demo_password
    assert [w["name"] for w in first["workspaces"]] == [
        "Acme Outbound",
        "Northwind Sales",
        "Globex Growth",
    ]
    ids = {w["id"] for w in first["workspaces"]}
    roles = {u["email"]: u["roles"] for u in first["users"]}
    assert set(roles["owner@acme.demo"].values()) == {"OWNER"}
    assert all(set(r) <= ids for r in roles.values())
    assert len(roles["morgan@agency.demo"]) == 2
    assert ok_json("seed", "--demo") == first  # idempotent: same logins, nothing new
    text = cli("seed", "--demo")
    assert text.returncode == 0
    assert "nothing created" in text.stdout and first["password"] in text.stdout


def test_seed_scale_small_json() -> None:
    result = ok_json("seed", "--scale", "--leads", "40", "--messages-per-lead", "3", "--seed", "1")
    assert result["counts"]["leads"] == 40
    assert len(result["workspaces"]) == 1 and result["workspaces"][0]["leads"] == 40


def test_help_is_fast_and_lists_commands() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("migrate", "run", "workspaces", "users", "seed"):
        assert command in result.stdout

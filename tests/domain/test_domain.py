"""The domain vocabulary is defined once and agrees with the database."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from inboxapp.db.engine import owner_session
from inboxapp.domain import roles
from inboxapp.domain.roles import RANK, Capability, Role
from inboxapp.domain.scope import GLOBAL, GLOBAL_ROW_ID, Scope

PACKAGE = Path(__file__).resolve().parents[2] / "inboxapp"


def test_the_sql_rank_helper_agrees_with_the_python_ranks() -> None:
    with owner_session() as s:
        for role in Role:
            sql = s.execute(sa.text("SELECT app.role_rank(:r)"), {"r": role.value}).scalar_one()
            assert sql == RANK[role], role
        assert s.execute(sa.text("SELECT app.role_rank('NOBODY')")).scalar_one() is None


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OWNER, {"read", "write", "manage", "admin"}),
        (Role.ADMIN, {"read", "write", "manage", "admin"}),
        (Role.INBOX_MANAGER, {"read", "write", "manage"}),
        (Role.SETTER, {"read", "write"}),
        (Role.CLIENT_PORTAL, {"read"}),
        (None, set()),
        ("NOBODY", set()),
    ],
)
def test_what_each_role_may_do(role: Role | str | None, allowed: set[str]) -> None:
    assert {c.value for c in Capability if roles.can(role, c)} == allowed


def test_the_effective_role_is_the_highest() -> None:
    assert roles.highest([Role.SETTER, Role.INBOX_MANAGER]) == Role.INBOX_MANAGER
    assert roles.highest([Role.CLIENT_PORTAL]) == Role.CLIENT_PORTAL
    assert roles.highest([]) is None
    assert roles.label(Role.INBOX_MANAGER) == "Inbox manager"


def test_the_setter_scope_is_one_type() -> None:
    user = uuid.uuid4()
    setter = Scope.of(Role.SETTER, user)
    assert setter.setter_id == user and setter.key == str(user) and setter.kind == "setter"
    assert setter.row_id == user
    for role in (Role.OWNER, Role.ADMIN, Role.INBOX_MANAGER, Role.CLIENT_PORTAL, "SETTER "):
        assert Scope.of(role, user) == GLOBAL
    assert GLOBAL.key == "global" and GLOBAL.kind == "global" and GLOBAL.row_id == GLOBAL_ROW_ID
    assert Scope.of("SETTER", str(user)) == setter  # a plain string role works too


ROLE_NAMES = {role.value for role in Role}


def _role_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in ROLE_NAMES
    ]


def test_role_names_are_spelled_only_in_the_domain() -> None:
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if "domain" not in path.relative_to(PACKAGE).parts
        for hit in _role_literals(path)
    ]
    assert found == []

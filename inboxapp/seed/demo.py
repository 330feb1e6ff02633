"""Demo data: three workspaces with every role, ~1,000 leads each, every inbox category.

Idempotent: workspaces, campaigns and users have fixed uuid5 ids (users are matched by email);
an existing demo workspace is left untouched, missing users and memberships are added. Running
it twice creates nothing the second time and reports the same logins. All demo users share
``settings.demo_password``.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from inboxapp.auth.passwords import hash_password
from inboxapp.config import get_settings, libpq_url, outbound_settings
from inboxapp.domain.roles import RANK as ROLE_RANK
from inboxapp.domain.roles import Role
from inboxapp.pipeline import sandbox
from inboxapp.pipeline.inbound import local_urls
from inboxapp.pipeline.providers import Provider
from inboxapp.secrets_box import encrypt
from inboxapp.seed.copy_format import SEED_NAMESPACE
from inboxapp.seed.factory import LeadFactory, WorkspacePlan
from inboxapp.seed.writer import copy_blocks

LEADS_PER_WORKSPACE = 1000


@dataclass(frozen=True)
class DemoWorkspace:
    key: str
    name: str
    timezone: str
    campaigns: tuple[tuple[str, str], ...]

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(SEED_NAMESPACE, f"demo:workspace:{self.key}")

    def campaign_id(self, name: str) -> uuid.UUID:
        return uuid.uuid5(SEED_NAMESPACE, f"demo:campaign:{self.key}:{name}")


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    roles: tuple[tuple[str, Role], ...]
    """(workspace key, role); OWNER makes the user the workspace's ``ownerUserId``."""

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(SEED_NAMESPACE, f"demo:user:{self.email}")


WORKSPACES = (
    DemoWorkspace(
        "acme",
        "Acme Outbound",
        "America/New_York",
        (
            ("Founders Q3 (email)", "email"),
            ("Agency Owners (email)", "email"),
            ("Reactivation (SMS)", "sms"),
            ("VP Sales (LinkedIn)", "linkedin"),
        ),
    ),
    DemoWorkspace(
        "northwind",
        "Northwind Sales",
        "Europe/London",
        (
            ("UK Retail Buyers (email)", "email"),
            ("Event Follow-up (SMS)", "sms"),
            ("Ops Leaders (LinkedIn)", "linkedin"),
        ),
    ),
    DemoWorkspace(
        "globex",
        "Globex Growth",
        "UTC",
        (
            ("Enterprise IT (email)", "email"),
            ("Mid-market CFOs (email)", "email"),
            ("Webinar No-shows (SMS)", "sms"),
            ("Founders (LinkedIn)", "linkedin"),
        ),
    ),
)

OWN, ADM, MGR, SET, CLI = (
    Role.OWNER,
    Role.ADMIN,
    Role.INBOX_MANAGER,
    Role.SETTER,
    Role.CLIENT_PORTAL,
)
USERS = (
    DemoUser("owner@acme.demo", "Dana Whitfield", (("acme", OWN),)),
    DemoUser("admin@acme.demo", "Marcus Lee", (("acme", ADM),)),
    DemoUser("manager@acme.demo", "Priya Raman", (("acme", MGR),)),
    DemoUser("setter1@acme.demo", "Jordan Blake", (("acme", SET),)),
    DemoUser("setter2@acme.demo", "Sam Ortiz", (("acme", SET),)),
    DemoUser("setter3@acme.demo", "Taylor Nguyen", (("acme", SET),)),
    DemoUser("client@acme.demo", "Chris Porter", (("acme", CLI),)),
    DemoUser("owner@northwind.demo", "Helen Ashby", (("northwind", OWN),)),
    DemoUser("admin@northwind.demo", "Oliver Grant", (("northwind", ADM),)),
    DemoUser("manager@northwind.demo", "Fiona Walsh", (("northwind", MGR),)),
    DemoUser("setter1@northwind.demo", "Aaron Patel", (("northwind", SET),)),
    DemoUser("setter2@northwind.demo", "Beth Morgan", (("northwind", SET),)),
    DemoUser("client@northwind.demo", "Graham Hughes", (("northwind", CLI),)),
    DemoUser("owner@globex.demo", "Hank Scorpio", (("globex", OWN),)),
    DemoUser("admin@globex.demo", "Lena Fischer", (("globex", ADM),)),
    DemoUser("manager@globex.demo", "Omar Haddad", (("globex", MGR),)),
    DemoUser("setter1@globex.demo", "Keisha Brown", (("globex", SET),)),
    DemoUser("setter2@globex.demo", "Luis Romero", (("globex", SET),)),
    DemoUser("setter3@globex.demo", "Mei Tanaka", (("globex", SET),)),
    DemoUser("client@globex.demo", "Victor Stone", (("globex", CLI),)),
    # Several workspaces with different roles.
    DemoUser("morgan@agency.demo", "Morgan Reyes", (("acme", ADM), ("northwind", SET))),
    DemoUser("casey@agency.demo", "Casey Kim", (("globex", MGR), ("acme", CLI))),
    # Two roles in one workspace: the highest (INBOX_MANAGER) is effective; still a setter
    # for the round-robin.
    DemoUser("riley@agency.demo", "Riley Cooper", (("globex", MGR), ("globex", SET))),
)


def seed_demo(seed: int = 42, leads_per_workspace: int = LEADS_PER_WORKSPACE) -> dict[str, Any]:
    """Create the demo data when missing; return the logins and what was created."""
    settings = get_settings()
    created = {"users": 0, "workspaces": 0, "memberships": 0, "leads": 0, "messages": 0}
    created["drafts"] = created["campaigns"] = 0
    anchor = int(time.time()) // 60 * 60
    with psycopg.connect(libpq_url(settings.owner_url)) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('inboxapp:seed:demo'))")
        user_ids = _ensure_users(conn, settings.demo_password, created)
        existing = {
            row[0]
            for row in conn.execute(
                'SELECT id FROM "Client" WHERE id = ANY(%s)', ([w.id for w in WORKSPACES],)
            )
        }
        new_ids = [ws.id for ws in WORKSPACES if ws.id not in existing]
        for index, ws in enumerate(WORKSPACES):
            if ws.id in existing:
                continue
            _create_workspace(conn, ws, user_ids, created)
            _ai_settings(conn, ws)
            created["workspaces"] += 1
            plan = WorkspacePlan(
                client_id=str(ws.id),
                campaigns=[(str(ws.campaign_id(n)), ch) for n, ch in ws.campaigns],
                setters=[str(user_ids[u.email]) for u in USERS if (ws.key, SET) in u.roles],
                repliers=[
                    str(user_ids[u.email])
                    for u in USERS
                    if any(k == ws.key and r in (OWN, ADM, MGR) for k, r in u.roles)
                ],
                anchor=anchor,
            )
            factory = LeadFactory(plan)
            rng = random.Random(f"demo:{seed}:{index}:{ws.key}")  # noqa: S311  (not security)
            for _ in range(leads_per_workspace):
                factory.add(rng)
            copy_blocks(conn, [factory.take()])
            conn.execute(
                'UPDATE "Client" SET "roundRobinCursor" = %s WHERE id = %s',
                (factory.round_robin_cursor, ws.id),
            )
            created["leads"] += factory.counts.leads
            created["messages"] += factory.counts.messages
            created["drafts"] += factory.counts.drafts
        created["memberships"] += _ensure_memberships(conn, user_ids)
    _materialize(new_ids)
    for ws in WORKSPACES:  # signed webhook URLs for `simulate` (kept locally, issued once)
        local_urls.ensure(ws.id)
    sandbox = outbound_settings()
    if sandbox.sandbox_enabled:  # replies go out "for real", to the local provider sandbox
        with psycopg.connect(libpq_url(settings.owner_url)) as conn, conn.transaction():
            for ws in WORKSPACES:
                _sandbox_providers(conn, ws, sandbox.sandbox_url())
    return {
        "password": settings.demo_password,
        "workspaces": [{"id": str(w.id), "name": w.name} for w in WORKSPACES],
        "users": [
            {
                "email": u.email,
                "displayName": u.name,
                "roles": _effective_roles(u),
            }
            for u in USERS
        ],
        "created": created,
    }


_DEMO_THREADS = (
    # Demo replies came through the channel's default provider: give them its ids, so a reply
    # to a seeded lead has a thread to answer (idempotent: only rows without a provider).
    """UPDATE "Message" SET provider = CASE channel WHEN 'email' THEN 'emailbison'
         WHEN 'sms' THEN 'ghl' ELSE 'linkedin' END, "providerMessageId" = 'demo-' || id
       WHERE "clientId" = %(c)s AND direction = 'inbound' AND provider IS NULL""",
    """UPDATE "Lead" SET "externalIds" = "externalIds" || jsonb_build_object(
         'ghl', 'demo-contact-' || id, 'linkedin', 'demo-attendee-' || id)
       WHERE "clientId" = %(c)s AND NOT ("externalIds" ? 'ghl')""",
)


def _sandbox_providers(conn: psycopg.Connection[Any], ws: DemoWorkspace, root: str) -> None:
    """The workspace's credentials for every provider, pointing at the sandbox (only where
    none are set: real keys an admin entered are kept)."""
    options = {
        Provider.EMAILBISON: {"senderEmailId": "1"},
        Provider.LINKEDIN: {"accountId": f"sbx-account-{ws.key}"},
        Provider.INSTANTLY: {"eaccount": f"team@{ws.key}.demo"},
    }
    for provider in Provider:
        conn.execute(
            'INSERT INTO "ProviderCredential" ("clientId", provider, "apiKey", "baseUrl", options)'
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                ws.id,
                provider.value,
                encrypt(f"sandbox-{provider.value}-key"),
                sandbox.base_url(root, provider),
                Jsonb(options.get(provider, {})),
            ),
        )
    for statement in _DEMO_THREADS:
        conn.execute(statement, {"c": ws.id})


def _ai_settings(conn: psycopg.Connection[Any], ws: DemoWorkspace) -> None:
    """AI drafting on the local provider, in review mode, with the facts the demo replies use
    (the booking link the setters send)."""
    conn.execute(
        'INSERT INTO "AISettings" ("clientId", persona, signature, "offerFacts", "bookingLink")'
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (
            ws.id,
            f"Alex, the account executive of {ws.name}: friendly, brief, never pushy.",
            f"Alex\n{ws.name}",
            "A 20-minute walkthrough shows how it fits the lead's team. A one-page overview and "
            "customer stories are available.",
            "https://cal.example.com/alex",
        ),
    )


def _materialize(client_ids: list[uuid.UUID]) -> None:
    """New demo workspaces open with their counts and analytics already computed (the jobs
    would do it on first use, but a first look should not show zeros)."""
    from inboxapp.analytics.rollup import rebuild_workspace
    from inboxapp.counts.recompute import recompute_workspace

    for client_id in client_ids:
        recompute_workspace(client_id)
        rebuild_workspace(client_id)


def _effective_roles(user: DemoUser) -> dict[str, str]:
    """clientId -> the user's effective (highest) role there."""
    ids = {w.key: str(w.id) for w in WORKSPACES}
    best: dict[str, Role] = {}
    for key, role in user.roles:
        current = best.get(key)
        if current is None or ROLE_RANK[role] > ROLE_RANK[current]:
            best[key] = role
    return {ids[key]: role.value for key, role in best.items()}


def _ensure_users(
    conn: psycopg.Connection[Any], password: str, created: dict[str, int]
) -> dict[str, uuid.UUID]:
    """Email -> user id; demo users that already exist (by email) are reused as they are."""
    emails = [u.email for u in USERS]
    ids: dict[str, uuid.UUID] = {
        email: uid
        for uid, email in conn.execute(
            'SELECT id, lower(email) FROM "User" WHERE lower(email) = ANY(%s)', (emails,)
        )
    }
    missing = [u for u in USERS if u.email not in ids]
    if missing:
        password_hash = hash_password(password)  # one hash: they share the demo password
        with conn.cursor() as cur:
            cur.executemany(
                'INSERT INTO "User" (id, email, "displayName", "passwordHash")'
                " VALUES (%s, %s, %s, %s)",
                [(u.id, u.email, u.name, password_hash) for u in missing],
            )
        for u in missing:
            ids[u.email] = u.id
        created["users"] += len(missing)
    return ids


def _create_workspace(
    conn: psycopg.Connection[Any],
    ws: DemoWorkspace,
    user_ids: dict[str, uuid.UUID],
    created: dict[str, int],
) -> None:
    owner = next(user_ids[u.email] for u in USERS if (ws.key, OWN) in u.roles)
    conn.execute(
        'INSERT INTO "Client" (id, name, "ownerUserId", settings) VALUES (%s, %s, %s, %s)',
        (ws.id, ws.name, owner, Jsonb({"roundRobinEnabled": True, "timezone": ws.timezone})),
    )
    with conn.cursor() as cur:
        cur.executemany(
            'INSERT INTO "Campaign" (id, "clientId", name, channel) VALUES (%s, %s, %s, %s)',
            [(ws.campaign_id(name), ws.id, name, channel) for name, channel in ws.campaigns],
        )
    created["campaigns"] += len(ws.campaigns)


def _ensure_memberships(conn: psycopg.Connection[Any], user_ids: dict[str, uuid.UUID]) -> int:
    rows = [
        (w.id, user_ids[u.email], role.value)
        for u in USERS
        for key, role in u.roles
        if role is not OWN
        for w in WORKSPACES
        if w.key == key
    ]
    added = 0
    with conn.cursor() as cur:
        for row in rows:
            cur.execute(
                'INSERT INTO "ClientMember" ("clientId", "userId", role) VALUES (%s, %s, %s)'
                ' ON CONFLICT ON CONSTRAINT "ClientMember_client_user_role" DO NOTHING',
                row,
            )
            added += cur.rowcount
    return added

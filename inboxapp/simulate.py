"""Demo traffic: ``python -m inboxapp simulate --client-id X --rate 5 [--duration S] [--url U]``.

Sends a realistic stream into one workspace of a running app so a person can watch the inbox
update live and benchmarks have a load source:

* inbound replies (about 60 %) are posted as **signed provider webhooks** to the app at
  ``--url`` (default ``http://127.0.0.1:3000``): EmailBison for email, GoHighLevel for SMS,
  Unipile for LinkedIn, each in its provider's payload shape. The app stores, queues and
  processes them like real traffic (the job worker classifies them and assigns positive
  leads). The URLs come from :mod:`inboxapp.pipeline.inbound.local_urls` (the demo seed
  issues them; missing ones are issued on first use);
* sentiment changes (about 25 %) and assignments (about 15 %) are what people do: they go
  through the service layer :mod:`inboxapp.inbox.actions` as the workspace owner, never
  around it (round-robin, RLS and the hooks all apply).

:func:`record_inbound` stays the direct system write of one inbound message (tests and the
realtime benchmark use it as a write source without a web server).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from bisect import bisect
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

import httpx
import sqlalchemy as sa

from inboxapp.cli_args import positive_float, workspace_id
from inboxapp.db.engine import owner_session
from inboxapp.domain.categories import L, M
from inboxapp.domain.vocabulary import CHANNELS, SENTIMENT_TAGS
from inboxapp.errors import AppError, BadRequest, NotFound
from inboxapp.inbox import actions
from inboxapp.inbox.hooks import workspace_changed
from inboxapp.inbox.rollups import RECOMPUTE_LEAD_ROLLUPS
from inboxapp.pipeline.inbound.local_urls import LocalUrl, ensure
from inboxapp.pipeline.inbound.signature import HEADER, sign
from inboxapp.pipeline.providers import Provider
from inboxapp.seed.vocabulary import REPLY_BODIES, REPLY_TAG_WEIGHTS

CHANNEL_WEIGHTS = (70, 20, 10)
ACTIONS = ("inbound", "sentiment", "assign")
ACTION_WEIGHTS = (60, 25, 15)
DEFAULT_URL = "http://127.0.0.1:3000"
CHANNEL_PROVIDER = {
    "email": Provider.EMAILBISON,
    "sms": Provider.GHL,
    "linkedin": Provider.LINKEDIN,
}
LEAD_POOL = 1000
"""The simulator works on the workspace's most recently active leads (the inbox's first pages)."""
MAX_BODY = 10_000


class SimulationError(Exception):
    """A usage problem (unknown workspace, no leads, no owner): printed as one line."""


def record_inbound(
    client_id: uuid.UUID | str, lead_id: uuid.UUID | str, body: str, channel: str = "email"
) -> str:
    """Store an inbound reply that arrived from a campaign tool; returns the message id.

    System path (owner transaction): insert the message, recompute the lead's rollups, commit,
    then call :func:`workspace_changed`. Raises ``BadRequest``/``NotFound``.
    """
    cid, lid = uuid.UUID(str(client_id)), uuid.UUID(str(lead_id))
    if channel not in CHANNELS:
        raise BadRequest("INVALID_CHANNEL", "channel must be email, sms or linkedin")
    text = (body or "").strip()
    if not text or len(text) > MAX_BODY:
        raise BadRequest("INVALID_BODY", f"an inbound body has 1..{MAX_BODY} characters")
    message_id = uuid.uuid4()
    with owner_session() as s:
        found = s.execute(
            sa.select(L.c.id).where(L.c.id == lid, L.c.clientId == cid).with_for_update()
        ).first()
        if found is None:
            raise NotFound("LEAD_NOT_FOUND", "no such lead in this workspace")
        s.execute(
            sa.insert(M).values(
                id=message_id,
                clientId=cid,
                leadId=lid,
                channel=channel,
                source="campaign",
                direction="inbound",
                sentBy=None,
                body=text,
                sentAt=sa.func.clock_timestamp(),
                isRead=False,
            )
        )
        s.execute(RECOMPUTE_LEAD_ROLLUPS, {"lead_id": lid})
    workspace_changed(cid)
    return str(message_id)


@dataclass
class SimulationStats:
    inbound: int = 0
    sentiment: int = 0
    assign: int = 0
    errors: int = 0
    seconds: float = 0.0

    @property
    def actions(self) -> int:
        return self.inbound + self.sentiment + self.assign

    def line(self) -> str:
        return (
            f"{self.seconds:.1f} s: {self.actions} writes ({self.inbound} inbound, "
            f"{self.sentiment} sentiment, {self.assign} assignments), {self.errors} errors"
        )


def _weighted(rng: random.Random, items: tuple[str, ...], weights: tuple[int, ...]) -> str:
    cum = list(accumulate(weights))
    return items[bisect(cum, rng.random() * cum[-1])]


@dataclass(frozen=True)
class PoolLead:
    id: uuid.UUID
    email: str | None
    phone: str | None
    first: str
    last: str


def reply_payload(provider: Provider, lead: PoolLead, body: str) -> dict[str, Any]:
    """An inbound reply from ``lead`` as ``provider``'s webhook carries it."""
    now = datetime.now(UTC).isoformat()
    message_id = uuid.uuid4().hex
    name = f"{lead.first} {lead.last}".strip()
    if provider is Provider.GHL:
        return {
            "contact_id": f"sim-{lead.id}",
            "first_name": lead.first,
            "last_name": lead.last,
            "phone": lead.phone,
            "email": lead.email or "",
            "date_created": now,
            "location": {"id": "sim-location", "name": "Simulator"},
            "message": {"type": "SMS", "body": body, "id": message_id},
        }
    if provider is Provider.LINKEDIN:
        handle = f"{lead.first}-{lead.last}-{lead.id.hex[:6]}".lower()
        return {
            "event": "message_received",
            "account_info": {"type": "LINKEDIN", "user_id": "sim-account"},
            "message_id": message_id,
            "message": body,
            "timestamp": now,
            "sender": {
                "attendee_provider_id": f"sim-{lead.id}",
                "attendee_name": name,
                "attendee_profile_url": f"https://www.linkedin.com/in/{handle}",
            },
        }
    return {
        "event": {"type": "LEAD_REPLIED", "name": "Lead Replied"},
        "data": {
            "campaign_event": {"id": message_id, "type": "LEAD_REPLIED", "created_at": now},
            "lead": {"email": lead.email, "first_name": lead.first, "last_name": lead.last},
            "reply": {
                "id": message_id,
                "email_subject": "Re: Quick question",
                "from_email_address": lead.email,
                "from_name": name,
                "text_body": body,
                "date_received": now,
            },
        },
    }


class Simulator:
    """Generates one workspace's traffic; :meth:`step` performs one action."""

    def __init__(
        self,
        client_id: uuid.UUID | str,
        *,
        seed: int | None = None,
        url: str = DEFAULT_URL,
        http: httpx.Client | None = None,
        endpoints: dict[Provider, LocalUrl] | None = None,
    ) -> None:
        try:
            self.client_id = uuid.UUID(str(client_id))
        except ValueError:
            raise SimulationError(f"not a workspace id: {client_id!r}") from None
        self.rng = random.Random(seed)  # noqa: S311 (demo data, not security)
        self.stats = SimulationStats()
        self.url = url.rstrip("/")
        self.http = http or httpx.Client(timeout=10)
        with owner_session() as s:
            client = s.execute(
                sa.text('SELECT "ownerUserId" FROM "Client" WHERE id = :c'), {"c": self.client_id}
            ).first()
            if client is None:
                raise SimulationError(f"no workspace {self.client_id}")
            actor = (
                client.ownerUserId
                or s.execute(
                    sa.text(
                        'SELECT "userId" FROM "ClientMember" WHERE "clientId" = :c'
                        " AND role = 'ADMIN' ORDER BY \"createdAt\", id LIMIT 1"
                    ),
                    {"c": self.client_id},
                ).scalar_one_or_none()
            )
            if actor is None:
                raise SimulationError("the workspace has no owner or admin to act as")
            self.actor: uuid.UUID = actor
            self.leads: list[PoolLead] = [
                PoolLead(r.id, r.email, r.phone, r.firstName or "Lead", r.lastName or "")
                for r in s.execute(
                    sa.select(L.c.id, L.c.email, L.c.phone, L.c.firstName, L.c.lastName)
                    .where(L.c.clientId == self.client_id)
                    .order_by(L.c.updatedAt.desc(), L.c.id.desc())
                    .limit(LEAD_POOL)
                )
            ]
            self.setters: list[uuid.UUID] = list(
                s.execute(
                    sa.text(
                        'SELECT DISTINCT "userId" FROM "ClientMember"'
                        " WHERE \"clientId\" = :c AND role = 'SETTER' ORDER BY 1"
                    ),
                    {"c": self.client_id},
                ).scalars()
            )
        if not self.leads:
            raise SimulationError("the workspace has no leads (seed it first: seed --demo)")
        self.endpoints = endpoints or ensure(self.client_id)

    def _reply_tag(self) -> str:
        tags = tuple(t for t, _ in REPLY_TAG_WEIGHTS)
        return _weighted(self.rng, tags, tuple(w for _, w in REPLY_TAG_WEIGHTS))

    def post_reply(self, lead: PoolLead, body: str, channel: str) -> bool:
        """Post one signed provider webhook for an inbound reply; True when accepted."""
        if (channel == "sms" and not lead.phone) or (channel == "email" and not lead.email):
            channel = "email" if lead.email else "sms" if lead.phone else "linkedin"
        provider = CHANNEL_PROVIDER[channel]
        endpoint = self.endpoints[provider]
        raw = json.dumps(reply_payload(provider, lead, body)).encode()
        headers = {"Content-Type": "application/json", HEADER: sign(endpoint.signing_secret, raw)}
        try:
            resp = self.http.post(self.url + endpoint.path, content=raw, headers=headers)
        except httpx.HTTPError:
            return False
        return resp.status_code < 300

    def step(self) -> str:
        """One action; returns its kind. Refused posts and service errors are counted."""
        kind = _weighted(self.rng, ACTIONS, ACTION_WEIGHTS)
        if kind == "assign" and not self.setters:
            kind = "sentiment"
        lead = self.rng.choice(self.leads)
        try:
            if kind == "inbound":
                body = self.rng.choice(REPLY_BODIES[self._reply_tag()])
                channel = _weighted(self.rng, CHANNELS, CHANNEL_WEIGHTS)
                if not self.post_reply(lead, body, channel):
                    self.stats.errors += 1
                    return "error"
            elif kind == "sentiment":
                tag = self.rng.choice(SENTIMENT_TAGS)
                actions.set_sentiment(self.actor, self.client_id, lead.id, tag)
            else:
                assignee: uuid.UUID | None = self.rng.choice([*self.setters, None])
                actions.assign(self.actor, self.client_id, lead.id, assignee)
        except AppError:
            self.stats.errors += 1
            return "error"
        setattr(self.stats, kind, getattr(self.stats, kind) + 1)
        return kind

    def run(
        self,
        rate: float,
        duration: float | None = None,
        *,
        report_every: float = 5.0,
        report: Callable[[SimulationStats], None] | None = None,
    ) -> SimulationStats:
        """``rate`` writes per second (evenly paced) for ``duration`` s or until Ctrl-C."""
        started = time.monotonic()
        next_at = started
        next_report = started + report_every
        try:
            while duration is None or time.monotonic() - started < duration:
                now = time.monotonic()
                if next_at > now:
                    time.sleep(next_at - now)
                self.step()
                next_at += 1.0 / rate
                now = time.monotonic()
                next_at = max(next_at, now - 1.0)  # fell behind: do not burst to catch up
                self.stats.seconds = now - started
                if report is not None and now >= next_report:
                    report(self.stats)
                    next_report = now + report_every
        except KeyboardInterrupt:
            pass
        self.stats.seconds = time.monotonic() - started
        return self.stats


# -- command line --------------------------------------------------------------------------


def cmd_simulate(args: argparse.Namespace) -> int:
    def report(stats: SimulationStats) -> None:
        print(stats.line(), flush=True)

    try:
        sim = Simulator(args.client_id, seed=args.seed, url=args.url)
    except SimulationError as exc:
        print(f"inboxapp: error: {exc}", file=sys.stderr)
        return 2
    if not args.json:
        until = f" for {args.duration:g} s" if args.duration else " (Ctrl-C stops)"
        print(
            f"simulating {args.rate:g} writes/s in workspace {sim.client_id}{until}:"
            f" {len(sim.leads)} leads, {len(sim.setters)} setters",
            flush=True,
        )
    stats = sim.run(args.rate, args.duration, report=None if args.json else report)
    if args.json:
        print(json.dumps({**asdict(stats), "actions": stats.actions}))
    else:
        print("done: " + stats.line())
    return 0


def register(subparsers: Any) -> None:
    """Add the ``simulate`` subcommand to ``inboxapp``'s argparse subparsers."""
    sim = subparsers.add_parser(
        "simulate", help="demo traffic: signed reply webhooks, sentiment changes, assignments"
    )
    sim.add_argument(
        "--client-id", type=workspace_id, required=True, metavar="ID", help="workspace id"
    )
    sim.add_argument("--rate", type=positive_float, default=5.0, help="writes per second (5)")
    sim.add_argument(
        "--duration", type=positive_float, metavar="S", help="stop after S seconds (Ctrl-C)"
    )
    sim.add_argument("--seed", type=int, default=None, help="random seed (repeatable runs)")
    sim.add_argument(
        "--url", default=DEFAULT_URL, help=f"the running app webhooks go to ({DEFAULT_URL})"
    )
    sim.add_argument("--json", action="store_true", help="print the final summary as JSON")
    sim.set_defaults(func=cmd_simulate)

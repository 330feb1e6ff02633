"""Demo traffic: ``python -m inboxapp simulate --client-id X --rate 5 [--duration S]``.

Writes a realistic stream into one workspace so a person can watch the inbox update live and
benchmarks have a load source:

* inbound replies (about 60 %): :func:`record_inbound`, the system write path for messages that
  arrive from the campaign tools (email/SMS/LinkedIn sync or webhook). It runs as the owner role,
  like the other system paths (jobs, imports), because no signed-in user writes it; it keeps the
  lead's rollups exact with :data:`~inboxapp.inbox.rollups.RECOMPUTE_LEAD_ROLLUPS` in the same
  transaction and then announces the change through
  :func:`~inboxapp.inbox.hooks.workspace_changed`. Most replies are then classified (a sentiment
  change, as the AI classifier would do);
* sentiment changes (about 25 %) and assignments (about 15 %) go through the service layer
  :mod:`inboxapp.inbox.actions` as the workspace owner, never around it (so the round-robin
  assignment of newly positive leads, RLS and the hooks all apply).

Every write fires the realtime triggers (migration 0006) like real traffic would.
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
from itertools import accumulate
from typing import Any

import sqlalchemy as sa

from inboxapp.cli_args import positive_float, workspace_id
from inboxapp.db.engine import owner_session
from inboxapp.domain.categories import L, M
from inboxapp.domain.vocabulary import SENTIMENT_TAGS
from inboxapp.errors import AppError, BadRequest, NotFound
from inboxapp.inbox import actions
from inboxapp.inbox.hooks import workspace_changed
from inboxapp.inbox.rollups import RECOMPUTE_LEAD_ROLLUPS
from inboxapp.seed import REPLY_BODIES, REPLY_TAG_WEIGHTS

CHANNELS = ("email", "sms", "linkedin")
CHANNEL_WEIGHTS = (70, 20, 10)
ACTIONS = ("inbound", "sentiment", "assign")
ACTION_WEIGHTS = (60, 25, 15)
CLASSIFY_SHARE = 0.7
"""Share of inbound replies whose sentiment is (re)classified right after they arrive."""
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


class Simulator:
    """Generates one workspace's traffic; :meth:`step` performs one write."""

    def __init__(self, client_id: uuid.UUID | str, *, seed: int | None = None) -> None:
        try:
            self.client_id = uuid.UUID(str(client_id))
        except ValueError:
            raise SimulationError(f"not a workspace id: {client_id!r}") from None
        self.rng = random.Random(seed)  # noqa: S311 (demo data, not security)
        self.stats = SimulationStats()
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
            self.leads: list[uuid.UUID] = list(
                s.execute(
                    sa.select(L.c.id)
                    .where(L.c.clientId == self.client_id)
                    .order_by(L.c.updatedAt.desc(), L.c.id.desc())
                    .limit(LEAD_POOL)
                ).scalars()
            )
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

    def _reply_tag(self) -> str:
        tags = tuple(t for t, _ in REPLY_TAG_WEIGHTS)
        return _weighted(self.rng, tags, tuple(w for _, w in REPLY_TAG_WEIGHTS))

    def step(self) -> str:
        """One write; returns its kind. Service errors are counted, not raised."""
        kind = _weighted(self.rng, ACTIONS, ACTION_WEIGHTS)
        if kind == "assign" and not self.setters:
            kind = "sentiment"
        lead = self.rng.choice(self.leads)
        try:
            if kind == "inbound":
                tag = self._reply_tag()
                body = self.rng.choice(REPLY_BODIES[tag])
                channel = _weighted(self.rng, CHANNELS, CHANNEL_WEIGHTS)
                record_inbound(self.client_id, lead, body, channel)
                if self.rng.random() < CLASSIFY_SHARE:
                    actions.set_sentiment(self.actor, self.client_id, lead, tag)
            elif kind == "sentiment":
                tag = self.rng.choice(SENTIMENT_TAGS)
                actions.set_sentiment(self.actor, self.client_id, lead, tag)
            else:
                assignee: uuid.UUID | None = self.rng.choice([*self.setters, None])
                actions.assign(self.actor, self.client_id, lead, assignee)
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
        sim = Simulator(args.client_id, seed=args.seed)
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
        "simulate", help="write demo traffic: inbound replies, sentiment changes, assignments"
    )
    sim.add_argument(
        "--client-id", type=workspace_id, required=True, metavar="ID", help="workspace id"
    )
    sim.add_argument("--rate", type=positive_float, default=5.0, help="writes per second (5)")
    sim.add_argument(
        "--duration", type=positive_float, metavar="S", help="stop after S seconds (Ctrl-C)"
    )
    sim.add_argument("--seed", type=int, default=None, help="random seed (repeatable runs)")
    sim.add_argument("--json", action="store_true", help="print the final summary as JSON")
    sim.set_defaults(func=cmd_simulate)

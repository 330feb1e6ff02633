"""Seed data shared by the demo seeder (:mod:`inboxapp.seed.demo`) and the scale seeder
(:mod:`inboxapp.seed.scale`).

* :func:`derive_rollups` is THE definition of the Lead rollup columns in terms of the lead's
  messages (``lastInboundAt``, ``lastOutboundAt``, ``lastZrgOutboundAt``, ``lastMessageAt``,
  ``lastMessageDirection``, ``lastMessagePreview``, ``unreadCount``). It accepts anything with
  ``sentAt``/``direction``/``source``/``body``/``isRead`` attributes (ORM ``Message`` rows too).
* :class:`LeadFactory` generates one workspace's leads with realistic message histories and AI
  drafts, covering every inbox category of ``docs/inbox-semantics.md``, and renders them as
  PostgreSQL ``COPY`` text rows. Times are integer epoch seconds internally (fast); randomness
  comes only from the ``random.Random`` passed in, so the output is deterministic.
"""

from __future__ import annotations

import random
import threading
import uuid
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import accumulate
from queue import Queue
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

import psycopg

PREVIEW_CHARS = 140
"""``lastMessagePreview`` holds the first PREVIEW_CHARS characters of the latest message body."""

SEED_NAMESPACE = uuid.UUID("5f0c3a52-5b1e-4d61-9a57-3c2b8f0d9e11")
"""Namespace for the deterministic ids of seeded rows (uuid5)."""

ATTENTION_TAGS = frozenset(
    {
        "Meeting Booked",
        "Meeting Requested",
        "Call Requested",
        "Information Requested",
        "Positive",
        "Interested",
        "Follow Up",
    }
)
POSITIVE_TAGS = frozenset(
    {"Meeting Requested", "Call Requested", "Information Requested", "Interested"}
)


class SeedError(Exception):
    """Invalid seeding parameters (the CLI prints them as one line, exit status 2)."""


T = TypeVar("T", int, datetime)
T_co = TypeVar("T_co", int, datetime, covariant=True)


class MessageFacts(Protocol[T_co]):
    """What the rollups depend on (a ``Message`` row satisfies this protocol)."""

    @property
    def sentAt(self) -> T_co: ...

    @property
    def direction(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def isRead(self) -> bool: ...


class Rollups(NamedTuple, Generic[T]):
    lastInboundAt: T | None
    lastOutboundAt: T | None
    lastZrgOutboundAt: T | None
    lastMessageAt: T | None
    lastMessageDirection: str | None
    lastMessagePreview: str | None
    unreadCount: int


def message_preview(body: str) -> str:
    return body[:PREVIEW_CHARS]


def derive_rollups(messages: Iterable[MessageFacts[T]]) -> Rollups[T]:
    """Derive a lead's rollup columns from all of its messages.

    * ``lastInboundAt`` / ``lastOutboundAt``: greatest ``sentAt`` per direction;
    * ``lastZrgOutboundAt``: greatest ``sentAt`` of outbound messages with ``source = 'zrg'``;
    * ``lastMessageAt`` / ``lastMessageDirection`` / ``lastMessagePreview``: from the latest message
      (greatest ``sentAt``; on equal ``sentAt`` the later one in iteration order);
    * ``unreadCount``: inbound messages with ``isRead = false``.
    """
    last_in: T | None = None
    last_out: T | None = None
    last_zrg: T | None = None
    latest: MessageFacts[T] | None = None
    latest_at: T | None = None
    unread = 0
    for m in messages:
        at = m.sentAt
        if m.direction == "inbound":
            if last_in is None or at > last_in:
                last_in = at
            if not m.isRead:
                unread += 1
        else:
            if last_out is None or at > last_out:
                last_out = at
            if m.source == "zrg" and (last_zrg is None or at > last_zrg):
                last_zrg = at
        if latest_at is None or at >= latest_at:
            latest, latest_at = m, at
    if latest is None:
        return Rollups(None, None, None, None, None, None, 0)
    return Rollups(
        last_in,
        last_out,
        last_zrg,
        latest_at,
        latest.direction,
        message_preview(latest.body),
        unread,
    )


# ---------------------------------------------------------------------------------------------
# COPY text format helpers

NULL = "\\N"
LEAD_COLUMNS = (
    "id",
    "clientId",
    "campaignId",
    "firstName",
    "lastName",
    "email",
    "phone",
    "company",
    "status",
    "sentimentTag",
    "lastInboundAt",
    "lastOutboundAt",
    "lastZrgOutboundAt",
    "lastMessageAt",
    "lastMessageDirection",
    "lastMessagePreview",
    "unreadCount",
    "snoozedUntil",
    "assignedToUserId",
    "assignedAt",
    "positiveAt",
    "overallScore",
    "appointmentBookedAt",
    "createdAt",
    "updatedAt",
)
MESSAGE_COLUMNS = (
    "id",
    "clientId",
    "leadId",
    "channel",
    "source",
    "direction",
    "sentBy",
    "sentByUserId",
    "aiDraftId",
    "subject",
    "body",
    "sentAt",
    "isRead",
    "createdAt",
)
DRAFT_COLUMNS = (
    "id",
    "clientId",
    "leadId",
    "triggerMessageId",
    "channel",
    "body",
    "status",
    "autoSendAction",
    "reviewedByUserId",
    "createdAt",
    "updatedAt",
)


def copy_sql(table: str, columns: Sequence[str]) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    return f'COPY "{table}" ({cols}) FROM STDIN'


def esc(value: str) -> str:
    """Escape a value for COPY text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY_TEXT: dict[int, str] = {}


def ts(epoch_s: int) -> str:
    """Epoch seconds as a UTC timestamptz literal (fast: one cached date string per day)."""
    day, rest = divmod(epoch_s, 86400)
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{text} {hour:02d}:{minute:02d}:{second:02d}+00"


def ts_or_null(epoch_s: int | None) -> str:
    return NULL if epoch_s is None else ts(epoch_s)


def id_prefix(*parts: object) -> str:
    """The first 24 characters (``xxxxxxxx-xxxx-xxxx-xxxx-``) of a deterministic uuid; a 12-hex
    counter completes it. Counter-based ids are unique, deterministic and append to btrees."""
    return str(uuid.uuid5(SEED_NAMESPACE, ":".join(str(p) for p in parts)))[:24]


# ---------------------------------------------------------------------------------------------
# Vocabulary


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST_NAMES = _words(
    "Olivia Liam Emma Noah Ava Oliver Sophia Elijah Isabella James Mia William Charlotte Benjamin "
    "Amelia Lucas Harper Henry Evelyn Alexander Abigail Mason Emily Michael Ella Ethan Elizabeth "
    "Daniel Camila Jacob Luna Logan Sofia Jackson Avery Levi Mila Sebastian Aria Mateo Scarlett "
    "Jack Penelope Owen Layla Theodore Chloe Aiden Victoria Samuel Madison Joseph Eleanor John "
    "Grace David Nora Wyatt Riley Matthew Zoey Luke Hannah Asher Hazel Carter Lily Julian Ellie "
    "Grayson Violet Leo Lillian Jayden Zoe Gabriel Stella Isaac Aurora Lincoln Natalie Anthony "
    "Emilia Hudson Everly Dylan Leah Ezra Aubrey Thomas Willow Charles Addison Christopher Lucy "
    "Jaxon Audrey Maverick Bella Josiah Nova Isaiah Brooklyn Andrew Paisley Elias Savannah Joshua "
    "Claire Nathan Skylar Caleb Isla Ryan Genesis Adrian Naomi Miles Elena Eli Caroline Priya "
    "Arjun Wei Mei Hiroshi Yuki Fatima Omar Aisha Mohammed Ingrid Lars Sven Freya Mateus Ana "
    "Diego Lucia Javier Camille Pierre Chiara Marco Siobhan Declan Kwame Amara Tariq Leila"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers "
    "Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
    "Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo "
    "Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell "
    "Coleman Butler Henderson Barnes Fisher Vasquez Simmons Romero Jordan Patterson Alexander "
    "Hamilton Graham Reynolds Griffin Wallace West Cole Hayes Bryant Gibson Ellis Stevens Murray "
    "Ford Marshall Owens McDonald Harrison Ruiz Kennedy Wells Alvarez Woods Mendoza Castillo "
    "Olson Webb Washington Tucker Freeman Burns Henry Vasquez Snyder Simpson Crawford Jimenez "
    "O'Brien O'Connor Schmidt Muller Rossi Ferrari Novak Kowalski Tanaka Suzuki Sato Chen Wang "
    "Singh Kumar Shah Haddad Okafor Mensah Andersson Larsen Dubois Moreau Silva Santos Costa"
)
COMPANY_HEADS = _words(
    "Blue Harbor,Summit,Northstar,Redwood,Ironclad,Brightline,Silverleaf,Crescent,Evergreen,"
    "Keystone,Pioneer,Granite,Horizon,Lighthouse,Maple,Oakridge,Pinnacle,Riverbend,Sterling,"
    "Trailhead,Vantage,Westbrook,Clearwater,Copperfield,Falcon,Golden Gate,Highland,Juniper,"
    "Lakeside,Meridian,Nimbus,Orchard,Parkway,Quantum,Rocket,Sequoia,Tidewater,Upland,Vertex,"
    "Willow Creek,Bluebird,Cobalt,Driftwood,Ember,Fieldstone,Greenway,Harborview,Ivory,Kestrel",
    ",",
)
COMPANY_TAILS = _words(
    "Logistics,Analytics,Dental,Roofing,Software,Capital,Health,Realty,Solar,Manufacturing,"
    "Consulting,Marketing,Insurance,Legal,Labs,Foods,Fitness,Builders,Energy,Partners,Systems,"
    "Robotics,Media,Medical,Freight,Security,Hospitality,Ventures,Learning,Design",
    ",",
)
AREA_CODES = _words(
    "212 213 214 305 310 312 415 404 503 512 602 617 646 702 713 718 720 754 801 832 917 949"
)

CAMPAIGN_EMAIL_SUBJECTS = (
    "Quick question, {first}",
    "{company} + faster pipeline",
    "Idea for {company}",
    "Worth a chat, {first}?",
    "Following up",
    "{first}, one more thing",
)
CAMPAIGN_EMAIL_BODIES = (
    "Hi {first},\n\nI noticed {company} has been growing its sales team. We help teams like yours "
    "book 30% more meetings without adding headcount.\n\nWould you be open to a 15-minute call "
    "next week?\n\nBest,\nAlex",
    "Hi {first},\n\nTeams at companies like {company} usually lose a third of their inbound "
    "replies because nobody answers within the hour. We fix that with a shared inbox and AI "
    "drafts your setters approve.\n\nWorth a look?",
    "Hey {first}, just floating this back to the top of your inbox. Happy to send a two-minute "
    "video instead of a call if that is easier.",
    "Hi {first},\n\nLast note from me. If pipeline is not a priority for {company} this quarter, "
    "no worries at all. Should I check back in a few months?",
)
CAMPAIGN_SMS_BODIES = (
    "Hi {first}, it's Alex from Outreach Co. Do you have 10 min this week to talk about "
    "growing {company}'s pipeline? Reply STOP to opt out.",
    "{first}, quick follow-up on my last text. Open to a short call? Reply STOP to opt out.",
    "Hey {first}, last text from me. Want me to send over a case study for {company}?",
)
CAMPAIGN_LINKEDIN_BODIES = (
    "Hi {first}, I came across {company} and would love to connect. We work with a lot of "
    "sales leaders in your space.",
    "Thanks for connecting, {first}! Curious how {company} handles lead follow-up today?",
    "{first}, happy to share what's working for similar teams. Open to a quick chat?",
)
REPLY_BODIES: dict[str, tuple[str, ...]] = {
    "Interested": (
        "This sounds interesting. Can you tell me a bit more about pricing?",
        "We've been looking at options for exactly this. What would it look like for a team of 12?",
        "Yes, interested. Send me some details.",
    ),
    "Meeting Requested": (
        "Happy to chat. Does Thursday at 2pm ET work?",
        "Sure, let's set up 20 minutes next week. Send me a few times.",
        "Let's meet. Tuesday or Wednesday afternoon works for me.",
    ),
    "Call Requested": (
        "Can you give me a call tomorrow morning?",
        "Easier to talk by phone. Call me this afternoon if you can.",
    ),
    "Information Requested": (
        "Do you have a case study or deck you can send over?",
        "How does this integrate with our CRM? Please send some info.",
        "What does onboarding look like and how long does it take?",
    ),
    "Follow Up": (
        "Not right now, but reach back out next quarter.",
        "Busy with a launch this month. Follow up in a few weeks?",
    ),
    "Objection": (
        "We already use another vendor and the contract runs until next year.",
        "Honestly this seems expensive for a team our size.",
    ),
    "Not Interested": (
        "Not interested, thanks.",
        "We're all set, please don't follow up.",
        "No thank you.",
    ),
    "Out of Office": (
        "I'm out of the office until Monday with limited access to email. For urgent matters "
        "contact my colleague.",
        "Thanks for your message. I am on leave and will reply when I'm back.",
    ),
    "Automated Reply": (
        "Thank you for contacting us. This is an automated response confirming we received your "
        "message. A member of our team will get back to you within 2 business days.",
    ),
    "Neutral": (
        "Who is this?",
        "What is this regarding?",
        "Got it, thanks.",
    ),
    "Blacklist": (
        "Please remove me from your list and do not contact me again.",
        "STOP",
        "Unsubscribe.",
    ),
    "Meeting Booked": (
        "Booked a slot for Tuesday at 10am. See you then!",
        "Just grabbed a time on your calendar for Thursday.",
    ),
}
SETTER_BODIES = (
    "Thanks {first}! Here's my calendar, grab any slot that works: https://cal.example.com/alex",
    "Great to hear from you, {first}. I'll send over a short deck and a couple of times for a "
    "call.",
    "Totally understand. I'll make a note and reach back out then. Thanks {first}!",
    "Appreciate the reply, {first}. Would a quick 15-minute call this week be useful?",
)
AI_BODIES = (
    "Hi {first}, thanks for getting back to me! Based on what you shared, a 20-minute walkthrough "
    "would be the quickest way to see if this fits {company}. Does Wednesday or Thursday work?",
    "Hi {first}, happy to help. I've attached a one-page overview and a customer story from a "
    "team similar to {company}. Let me know if any questions come up.",
    "Thanks {first}, that makes sense. I'll check back in next quarter. Wishing {company} a great "
    "launch!",
)
AI_SHORT_BODIES = (
    "Thanks {first}! Want me to send a couple of times for a quick call?",
    "Happy to help, {first}. Is email or a quick call better for you?",
)

REPLY_TAG_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("Interested", 14),
    ("Meeting Requested", 10),
    ("Call Requested", 6),
    ("Information Requested", 10),
    ("Follow Up", 7),
    ("Objection", 8),
    ("Not Interested", 14),
    ("Out of Office", 8),
    ("Automated Reply", 6),
    ("Neutral", 12),
)
KIND_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("untouched", 4),
    ("cold", 30),
    ("replied", 20),
    ("answered", 13),
    ("thread", 8),
    ("followup_after_reply", 2),
    ("campaign_after_reply", 2),
    ("ai_review", 5),
    ("ai_sent", 6),
    ("booked", 3),
    ("needs_repair", 2),
    ("blacklist", 3),
    ("unqualified", 2),
)
SNOOZABLE = frozenset(
    {"replied", "answered", "thread", "followup_after_reply", "ai_review", "ai_sent"}
)


def _table(weights: Sequence[tuple[str, int]]) -> tuple[tuple[str, ...], list[float]]:
    total = sum(w for _, w in weights)
    cum = [c / total for c in accumulate(w for _, w in weights)]
    return tuple(k for k, _ in weights), cum


_KINDS, _KIND_CUM = _table(KIND_WEIGHTS)
_TAGS, _TAG_CUM = _table(REPLY_TAG_WEIGHTS)


def _pick(rnd: Callable[[], float], items: Sequence[str]) -> str:
    return items[int(rnd() * len(items))]


# ---------------------------------------------------------------------------------------------
# Lead generation


@dataclass
class WorkspacePlan:
    """Everything the factory needs to know about one workspace (ids are uuid strings)."""

    client_id: str
    campaigns: list[tuple[str, str]]
    """(campaign id, channel); at least one email campaign."""
    setters: list[str]
    """Users holding the SETTER role: positive leads are assigned round-robin among them."""
    repliers: list[str]
    """Other members who also answer leads (admins, inbox managers)."""
    anchor: int
    """'Now' in epoch seconds: every generated time is <= anchor, except future snoozes."""
    messages_per_lead: int = 5
    id_space: str = ""
    """Distinguishes id prefixes between workspaces/runs (defaults to client_id)."""
    round_robin_cursor: int = 0


@dataclass
class Counts:
    leads: int = 0
    messages: int = 0
    drafts: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class GenMessage(NamedTuple):
    """A generated message (times in epoch seconds); satisfies :class:`MessageFacts`."""

    id: str
    channel: str
    source: str
    direction: str
    sentBy: str | None
    sentByUserId: str | None
    aiDraftId: str | None
    subject: str | None
    body: str
    sentAt: int
    isRead: bool


_DAY = 86400
_REPLY_KINDS = frozenset(
    {"replied", "answered", "thread", "followup_after_reply", "campaign_after_reply", "ai_review"}
)


class _Lead:
    """Per-lead scratch state while generating."""

    __slots__ = (
        "assignee",
        "campaign_id",
        "channel",
        "company",
        "created",
        "drafts",
        "email",
        "first",
        "fmt",
        "id",
        "kind",
        "last",
        "last_at",
        "last_inbound",
        "phone",
        "positive",
        "positive_at",
        "status",
        "tag",
    )

    def __init__(self, lead_id: str, kind: str) -> None:
        self.id = lead_id
        self.kind = kind
        self.first = self.last = self.company = self.channel = ""
        self.campaign_id: str | None = None
        self.email: str | None = None
        self.phone: str | None = None
        self.fmt: dict[str, str] = {}
        self.tag = "New"
        self.status = "new"
        self.positive = False
        self.positive_at: int | None = None
        self.assignee: str | None = None
        self.last_at = 0
        self.created = 0
        self.last_inbound: GenMessage | None = None
        self.drafts: list[str] = []


class LeadFactory:
    """Generates leads, messages and drafts for one workspace as COPY text rows.

    Call :meth:`add` once per lead, then :meth:`take` to collect the rows accumulated so far
    (leads, messages, drafts; each a COPY text block). Insert in that order: drafts reference
    messages (``triggerMessageId``) and messages reference leads.
    """

    def __init__(self, plan: WorkspacePlan) -> None:
        if not plan.campaigns or not any(ch == "email" for _, ch in plan.campaigns):
            raise ValueError("a workspace plan needs at least one email campaign")
        self.plan = plan
        space = plan.id_space or plan.client_id
        self._lead_prefix = id_prefix(space, "lead")
        self._msg_prefix = id_prefix(space, "message")
        self._draft_prefix = id_prefix(space, "draft")
        self._n_lead = self._n_msg = self._n_draft = 0
        self._email_campaigns = [c for c in plan.campaigns if c[1] == "email"]
        self._repliers = plan.setters + plan.repliers
        self.round_robin_cursor = plan.round_robin_cursor
        self.counts = Counts()
        self._leads: list[str] = []
        self._messages: list[str] = []
        self._drafts: list[str] = []
        # Exact shared ``updatedAt`` values (pagination tie-breaker tests): one near the top of
        # the default ordering, one "nightly job" a day ago, and a few import batches.
        self.tie_top = plan.anchor - 120
        self.tie_nightly = plan.anchor - _DAY + 3 * 3600
        self.import_batches = [plan.anchor - d * _DAY - 9 * 3600 for d in (2, 9, 30, 75)]

    def take(self) -> tuple[str, str, str]:
        out = ("".join(self._leads), "".join(self._messages), "".join(self._drafts))
        self._leads, self._messages, self._drafts = [], [], []
        return out

    # -- ids -----------------------------------------------------------------------------------
    def _msg_id(self) -> str:
        self._n_msg += 1
        return f"{self._msg_prefix}{self._n_msg:012x}"

    def _draft_id(self) -> str:
        self._n_draft += 1
        return f"{self._draft_prefix}{self._n_draft:012x}"

    # -- one lead --------------------------------------------------------------------------------
    def add(self, rng: random.Random) -> None:
        """Generate one lead with its messages and drafts (appended to the pending rows)."""
        p = self.plan
        r = rng.random
        anchor = p.anchor
        self._n_lead += 1
        lead = _Lead(f"{self._lead_prefix}{self._n_lead:012x}", _KINDS[bisect(_KIND_CUM, r())])
        kind = lead.kind
        self.counts.by_kind[kind] = self.counts.by_kind.get(kind, 0) + 1
        self._identity(r, lead)
        self._sentiment(r, lead)
        steps, gaps = self._plan_steps(r, lead)
        first_at = lead.last_at - sum(gaps)
        lead.created = first_at - 600 - int(r() * 3 * _DAY)
        if kind == "untouched" or r() < 0.05:
            batch = self.import_batches[int(r() * len(self.import_batches))]
            if batch <= first_at or kind == "untouched":
                lead.created = batch
        msgs = self._conversation(r, lead, steps, gaps, first_at)
        if lead.positive and lead.assignee is None and lead.positive_at is not None:
            lead.assignee = self._assign(r)
        self._unsent_draft(r, lead)
        roll = derive_rollups(msgs)

        # Lead-level facts that depend on the conversation.
        assigned_at = None
        if lead.assignee is not None and lead.positive_at is not None:
            assigned_at = min(anchor, lead.positive_at + 5 + int(r() * 120))
        booked_at = None
        if kind == "booked" and roll.lastMessageAt is not None:
            booked_at = min(anchor, roll.lastMessageAt + 60 + int(r() * 1800))
        snoozed: int | None = None
        if kind in SNOOZABLE:
            u = r()
            if u < 0.05:
                snoozed = anchor + 3600 + int(r() * 14 * _DAY)
                if r() < 0.4:
                    lead.tag = "Snoozed"
            elif u < 0.08:
                snoozed = anchor - 3600 - int(r() * 10 * _DAY)
        score = self._score(r, kind, lead.tag)
        created = lead.created
        touched = max(
            created, roll.lastMessageAt or created, assigned_at or created, booked_at or created
        )
        u = r()
        if kind == "untouched":
            updated = created
        elif u < 0.03 and touched <= self.tie_top:
            updated = self.tie_top
        elif u < 0.12 and touched <= self.tie_nightly:
            updated = self.tie_nightly
        else:
            updated = max(touched, min(anchor, touched + (0 if r() < 0.5 else int(r() * 900))))

        client_id = p.client_id
        lead_id = lead.id
        preview = roll.lastMessagePreview
        self._leads.append(
            f"{lead_id}\t{client_id}\t{lead.campaign_id or NULL}\t{esc(lead.first)}\t"
            f"{esc(lead.last)}\t{lead.email or NULL}\t{lead.phone or NULL}\t{esc(lead.company)}\t"
            f"{lead.status}\t{lead.tag}\t{ts_or_null(roll.lastInboundAt)}\t"
            f"{ts_or_null(roll.lastOutboundAt)}\t{ts_or_null(roll.lastZrgOutboundAt)}\t"
            f"{ts_or_null(roll.lastMessageAt)}\t{roll.lastMessageDirection or NULL}\t"
            f"{NULL if preview is None else esc(preview)}\t{roll.unreadCount}\t"
            f"{ts_or_null(snoozed)}\t{lead.assignee or NULL}\t{ts_or_null(assigned_at)}\t"
            f"{ts_or_null(lead.positive_at if lead.positive else None)}\t"
            f"{NULL if score is None else score}\t{ts_or_null(booked_at)}\t"
            f"{ts(created)}\t{ts(updated)}\n"
        )
        append = self._messages.append
        for m in msgs:
            sent = ts(m.sentAt)
            append(
                f"{m.id}\t{client_id}\t{lead_id}\t{m.channel}\t{m.source}\t{m.direction}\t"
                f"{m.sentBy or NULL}\t{m.sentByUserId or NULL}\t{m.aiDraftId or NULL}\t"
                f"{NULL if m.subject is None else esc(m.subject)}\t{esc(m.body)}\t"
                f"{sent}\t{'t' if m.isRead else 'f'}\t{sent}\n"
            )
        self._drafts.extend(lead.drafts)
        self.counts.leads += 1
        self.counts.messages += len(msgs)
        self.counts.drafts += len(lead.drafts)

    def _identity(self, r: Callable[[], float], lead: _Lead) -> None:
        p = self.plan
        lead.first = first = _pick(r, FIRST_NAMES)
        lead.last = last = _pick(r, LAST_NAMES)
        lead.company = company = f"{_pick(r, COMPANY_HEADS)} {_pick(r, COMPANY_TAILS)}"
        campaign: tuple[str | None, str]
        if lead.kind == "ai_sent":
            campaign = self._email_campaigns[int(r() * len(self._email_campaigns))]
        elif r() < 0.03:
            campaign = (None, "email")
        else:
            campaign = p.campaigns[int(r() * len(p.campaigns))]
        lead.campaign_id, lead.channel = campaign
        domain = company.lower().replace(" ", "") + (".com" if r() < 0.7 else ".io")
        local = f"{first}.{last}".lower().replace("'", "")
        suffix = str(self._n_lead % 97) if r() < 0.3 else ""
        lead.email = f"{local}{suffix}@{domain}"
        lead.phone = f"+1{_pick(r, AREA_CODES)}{int(r() * 9_000_000) + 1_000_000}"
        if lead.channel == "linkedin" and r() < 0.35:
            lead.email = None
        if lead.channel != "sms" and r() < 0.3:
            lead.phone = None
        lead.fmt = {"first": first, "company": company}

    @staticmethod
    def _sentiment(r: Callable[[], float], lead: _Lead) -> None:
        kind = lead.kind
        tag, status = "New", "new"
        if kind in _REPLY_KINDS:
            tag = _TAGS[bisect(_TAG_CUM, r())]
        elif kind == "ai_sent":
            tag = _pick(r, ("Interested", "Information Requested", "Meeting Requested", "Neutral"))
        elif kind == "booked":
            tag, status = "Meeting Booked", "meeting-booked"
        elif kind == "blacklist":
            # Mostly tagged Blacklist; a few keep an attention tag (they must stay excluded).
            tag = "Blacklist" if r() < 0.8 else _pick(r, ("Interested", "Follow Up"))
            status = "blacklisted"
        elif kind == "unqualified":
            tag = _pick(r, ("Not Interested", "Not Interested", "Interested", "Meeting Requested"))
            status = "unqualified"
        elif kind == "needs_repair":
            status = "needs_repair"
        elif kind == "cold":
            status = "contacted"
        if status == "new" and tag != "New":
            status = "qualified" if tag in POSITIVE_TAGS else "engaged"
        lead.tag, lead.status = tag, status
        lead.positive = tag in POSITIVE_TAGS or kind == "booked"

    def _plan_steps(self, r: Callable[[], float], lead: _Lead) -> tuple[str, list[int]]:
        """The lead's message steps and the gaps (seconds) between them.

        Steps: C = campaign outbound, I = inbound reply, S = our reply by a setter, A = our reply
        by the AI (sent from an approved draft). The campaign sequence comes first (its length
        makes the mean message count follow ``messages_per_lead``), then the conversation.
        """
        kind = lead.kind
        if kind in ("untouched", "cold", "needs_repair"):
            core = ""
        elif kind in ("replied", "blacklist", "unqualified", "ai_review"):
            core = "I" if r() < 0.8 else "ISI"
        elif kind == "answered":
            core = "IS" if r() < 0.7 else "IA"
        elif kind == "thread":
            core = _pick(r, ("ISI", "IAI", "ISISI", "IAISI"))
        elif kind == "followup_after_reply":
            # The campaign tool follows up after our reply and their answer: lastOurs is the
            # zrg reply (coalesce prefers it), so the lead still awaits our response.
            core = "ISIC"
        elif kind == "campaign_after_reply":
            core = "IC"
        elif kind == "ai_sent":
            core = "IA" if r() < 0.6 else "IAI"
        else:  # booked
            core = "ISI"
        n_campaign = 0
        if kind != "untouched":
            n_campaign = max(1, self.plan.messages_per_lead + int(r() * 5) - 2 - len(core))
        steps = "C" * n_campaign + core
        gaps = []
        for step in steps[1:]:
            if step == "C":
                gaps.append(int((2 + r() * 3) * _DAY))
            elif step == "I":
                gaps.append(300 + int(r() * 2 * _DAY))
            else:
                gaps.append(120 + int(r() * 8 * 3600))
        anchor = self.plan.anchor
        u = r()
        if u < 0.3:
            lead.last_at = anchor - 60 - int(r() * 3 * _DAY)
        elif u < 0.75:
            lead.last_at = anchor - int((3 + r() * 27) * _DAY)
        else:
            lead.last_at = anchor - int((30 + r() * 150) * _DAY)
        return steps, gaps

    def _conversation(
        self, r: Callable[[], float], lead: _Lead, steps: str, gaps: list[int], first_at: int
    ) -> list[GenMessage]:
        channel = lead.channel
        fmt = lead.fmt
        if channel != "sms" and lead.phone:
            other = "sms"
        elif channel != "email" and lead.email:
            other = "email"
        else:
            other = channel
        msgs: list[GenMessage] = []
        texts: tuple[str, ...]
        subject0: str | None = None
        last_inbound: GenMessage | None = None
        n_in = n_campaign = 0
        at = first_at
        for i, step in enumerate(steps):
            if i:
                at += gaps[i - 1]
            if step == "C":
                if channel == "email":
                    subject: str | None = CAMPAIGN_EMAIL_SUBJECTS[
                        min(n_campaign, len(CAMPAIGN_EMAIL_SUBJECTS) - 1)
                    ].format(**fmt)
                    subject0 = subject0 or subject
                    texts = CAMPAIGN_EMAIL_BODIES
                else:
                    subject = None
                    texts = CAMPAIGN_SMS_BODIES if channel == "sms" else CAMPAIGN_LINKEDIN_BODIES
                body = texts[n_campaign % len(texts)].format(**fmt)
                n_campaign += 1
                msgs.append(
                    GenMessage(
                        self._msg_id(), channel, "campaign", "outbound", None, None, None,
                        subject, body, at, False,
                    )
                )  # fmt: skip
            elif step == "I":
                n_in += 1
                if lead.kind == "booked":
                    reply_tag = "Meeting Booked" if n_in > 1 else "Meeting Requested"
                elif lead.tag in ("New", "Snoozed"):
                    reply_tag = "Interested"
                else:
                    reply_tag = lead.tag
                if reply_tag in POSITIVE_TAGS and lead.positive_at is None:
                    lead.positive_at = at
                body = _pick(r, REPLY_BODIES.get(reply_tag, REPLY_BODIES["Neutral"]))
                unread = r() < 0.65 if i == len(steps) - 1 else r() < 0.03
                # A reply to the campaign tool's message arrives through it; later ones arrive
                # in our own thread.
                source = msgs[-1].source if msgs else "campaign"
                last_inbound = GenMessage(
                    self._msg_id(), channel, source, "inbound", None, None, None,
                    f"Re: {subject0}" if subject0 and channel == "email" else None,
                    body, at, not unread,
                )  # fmt: skip
                msgs.append(last_inbound)
            else:
                if lead.positive and lead.assignee is None and lead.positive_at is not None:
                    lead.assignee = self._assign(r)
                reply_channel = other if (lead.kind == "thread" and r() < 0.15) else channel
                subject = f"Re: {subject0}" if subject0 and reply_channel == "email" else None
                if step == "S":
                    who = lead.assignee or self._repliers[int(r() * len(self._repliers))]
                    body = _pick(r, SETTER_BODIES).format(**fmt)
                    msgs.append(
                        GenMessage(
                            self._msg_id(), reply_channel, "zrg", "outbound", "setter", who,
                            None, subject, body, at, False,
                        )
                    )  # fmt: skip
                    continue
                draft_id = self._draft_id()
                texts = AI_BODIES if reply_channel == "email" else AI_SHORT_BODIES
                body = _pick(r, texts).format(**fmt)
                action = "send_delayed" if r() < 0.3 else "send_immediate"
                trigger = last_inbound.id if last_inbound else NULL
                lead.drafts.append(
                    f"{draft_id}\t{self.plan.client_id}\t{lead.id}\t{trigger}\t{reply_channel}\t"
                    f"{esc(body)}\tapproved\t{action}\t{NULL}\t{ts(at - 40)}\t{ts(at)}\n"
                )
                msgs.append(
                    GenMessage(
                        self._msg_id(), reply_channel, "zrg", "outbound", "ai", None, draft_id,
                        subject, body, at, False,
                    )
                )  # fmt: skip
        lead.last_inbound = last_inbound
        return msgs

    def _unsent_draft(self, r: Callable[[], float], lead: _Lead) -> None:
        """Drafts that were not sent: pending review, rejected, skipped or errored."""
        trigger = lead.last_inbound
        if trigger is None:
            return
        reviewer = NULL
        if lead.kind == "ai_review":
            action, status = "needs_review", "pending"
        elif lead.kind == "answered" and r() < 0.2:
            action, status = "needs_review", "rejected"
            reviewer = self._repliers[int(r() * len(self._repliers))]
        elif lead.kind in ("replied", "thread") and r() < 0.06:
            action, status = ("skip" if r() < 0.5 else "error"), "pending"
        else:
            return
        body = _pick(r, AI_BODIES).format(**lead.fmt)
        at = ts(min(self.plan.anchor, trigger.sentAt + 30 + int(r() * 300)))
        lead.drafts.append(
            f"{self._draft_id()}\t{self.plan.client_id}\t{lead.id}\t{trigger.id}\t"
            f"{trigger.channel}\t{esc(body)}\t{status}\t{action}\t{reviewer}\t{at}\t{at}\n"
        )

    def _assign(self, r: Callable[[], float]) -> str | None:
        """Round-robin over the setters; about one positive lead in eight stays unassigned."""
        if not self.plan.setters or r() < 0.12:
            return None
        setter = self.plan.setters[self.round_robin_cursor % len(self.plan.setters)]
        self.round_robin_cursor += 1
        return setter

    @staticmethod
    def _score(r: Callable[[], float], kind: str, tag: str) -> int | None:
        if kind in ("untouched", "cold", "needs_repair"):
            return None if r() < 0.9 else int(r() * 5)
        if kind == "booked":
            return 4
        if tag in ("Not Interested", "Blacklist") or kind in ("blacklist", "unqualified"):
            return 0 if r() < 0.6 else 1
        if tag in POSITIVE_TAGS:
            return (2, 3, 3, 4, 4)[int(r() * 5)]
        return None if r() < 0.3 else 1 + int(r() * 3)


# ---------------------------------------------------------------------------------------------
# Writing


Block = tuple[str, str, str]
"""COPY text for (leads, messages, drafts) of the same leads."""


def copy_blocks(
    conn: psycopg.Connection[Any], blocks: Iterable[Block], *, commit_each: bool = False
) -> None:
    """COPY (leads, messages, drafts) text blocks, in that order, on ``conn``.

    ``commit_each`` commits after every COPY statement: parallel loaders then hold the row
    locks taken by statement triggers (e.g. the per-workspace counts "dirty" upsert) only
    for an instant instead of blocking each other until the very end.
    """
    lead_sql = copy_sql("Lead", LEAD_COLUMNS)
    message_sql = copy_sql("Message", MESSAGE_COLUMNS)
    draft_sql = copy_sql("AIDraft", DRAFT_COLUMNS)
    with conn.cursor() as cur:
        for leads, messages, drafts in blocks:
            for sql, data in ((lead_sql, leads), (message_sql, messages), (draft_sql, drafts)):
                if data:
                    with cur.copy(sql) as copy:
                        copy.write(data.encode())
                    if commit_each:
                        conn.commit()


def copy_in_background(
    conns: Sequence[psycopg.Connection[Any]],
    produce: Iterable[Block],
    *,
    depth: int = 2,
    commit_each: bool = False,
) -> None:
    """Generate blocks in this thread while one writer thread per connection COPYs them.

    Writers spend their time waiting on the server (the GIL is released), so Python row
    generation and PostgreSQL ingestion overlap, and several connections keep several server
    cores busy. A block goes to one connection whole (its messages need its leads in the same
    transaction). The bounded queue keeps memory flat. See :func:`copy_blocks` for
    ``commit_each``; otherwise transactions are the caller's business.
    """
    queue: Queue[Block | None] = Queue(maxsize=depth * len(conns))
    failure: list[BaseException] = []

    def drain() -> Iterator[Block]:
        while (item := queue.get()) is not None:
            yield item

    def writer(conn: psycopg.Connection[Any]) -> None:
        try:
            copy_blocks(conn, drain(), commit_each=commit_each)
        except BaseException as exc:
            failure.append(exc)
            while queue.get() is not None:  # keep the producer from blocking forever
                pass

    threads = [
        threading.Thread(target=writer, args=(c,), name=f"seed-copy-{i}", daemon=True)
        for i, c in enumerate(conns)
    ]
    for thread in threads:
        thread.start()
    try:
        for block in produce:
            if failure:
                break
            queue.put(block)
    finally:
        for _ in threads:
            queue.put(None)
        for thread in threads:
            thread.join()
    if failure:
        raise failure[0]

"""Lead generation: :class:`LeadFactory` makes one workspace's leads with realistic message
histories and AI drafts, covering every inbox category of ``docs/inbox-semantics.md``, as
``COPY`` text rows. Times are integer epoch seconds internally (fast); randomness comes only
from the ``random.Random`` passed in, so the output is deterministic.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from inboxapp.domain.vocabulary import POSITIVE_TAGS
from inboxapp.seed.copy_format import NULL, esc, id_prefix, ts, ts_or_null
from inboxapp.seed.rollups import derive_rollups
from inboxapp.seed.vocabulary import (
    AREA_CODES,
    CAMPAIGN_EMAIL_BODIES,
    CAMPAIGN_EMAIL_SUBJECTS,
    CAMPAIGN_LINKEDIN_BODIES,
    CAMPAIGN_SMS_BODIES,
    COMPANY_HEADS,
    COMPANY_TAILS,
    FIRST_NAMES,
    KIND_CUM,
    KINDS,
    LAST_NAMES,
    REPLY_BODIES,
    REPLY_TAG_CUM,
    REPLY_TAGS,
    SNOOZABLE,
    answer_bodies,
    pick,
)


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
        lead = _Lead(f"{self._lead_prefix}{self._n_lead:012x}", KINDS[bisect(KIND_CUM, r())])
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
        lead.first = first = pick(r, FIRST_NAMES)
        lead.last = last = pick(r, LAST_NAMES)
        lead.company = company = f"{pick(r, COMPANY_HEADS)} {pick(r, COMPANY_TAILS)}"
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
        lead.phone = f"+1{pick(r, AREA_CODES)}{int(r() * 9_000_000) + 1_000_000}"
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
            tag = REPLY_TAGS[bisect(REPLY_TAG_CUM, r())]
        elif kind == "ai_sent":
            tag = pick(r, ("Interested", "Information Requested", "Meeting Requested", "Neutral"))
        elif kind == "booked":
            tag, status = "Meeting Booked", "meeting-booked"
        elif kind == "blacklist":
            # Mostly tagged Blacklist; a few keep an attention tag (they must stay excluded).
            tag = "Blacklist" if r() < 0.8 else pick(r, ("Interested", "Follow Up"))
            status = "blacklisted"
        elif kind == "unqualified":
            tag = pick(r, ("Not Interested", "Not Interested", "Interested", "Meeting Requested"))
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
            core = pick(r, ("ISI", "IAI", "ISISI", "IAISI"))
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
        reply_tag = lead.tag
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
                body = pick(r, REPLY_BODIES.get(reply_tag, REPLY_BODIES["Neutral"]))
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
                    body = pick(r, answer_bodies(reply_tag)).format(**fmt)
                    msgs.append(
                        GenMessage(
                            self._msg_id(), reply_channel, "zrg", "outbound", "setter", who,
                            None, subject, body, at, False,
                        )
                    )  # fmt: skip
                    continue
                draft_id = self._draft_id()
                body = pick(r, answer_bodies(reply_tag)).format(**fmt)
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
        body = pick(r, answer_bodies(lead.tag)).format(**lead.fmt)
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

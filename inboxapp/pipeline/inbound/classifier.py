"""Sentiment classification behind one interface: :class:`Classifier`.

The pipeline asks the configured classifier for one tag of
:data:`inboxapp.domain.vocabulary.SENTIMENT_TAGS` per inbound message. The default,
:class:`RulesClassifier`, reads the provider's hint and then keyword rules in priority order
(opt-outs first: "please remove me" must never read as interest). It looks at the message
alone, so the same message always gets the same tag whatever order events arrive in; an LLM
classifier (the AI issue) receives the thread too and plugs in with :func:`set_classifier`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from inboxapp.domain.vocabulary import SENTIMENT_TAGS


@dataclass(frozen=True)
class ThreadMessage:
    direction: str
    body: str


@dataclass(frozen=True)
class ClassifierInput:
    text: str
    channel: str
    subject: str | None = None
    hint: str | None = None
    """A tag the provider already decided (its "interested" flag, an auto-reply marker)."""
    thread: Sequence[ThreadMessage] = field(default_factory=tuple)
    """Earlier messages of the conversation, oldest first (the rules classifier ignores it)."""


class Classifier(Protocol):
    thread_messages: int
    """How many earlier messages of the conversation it wants (0: none, no query)."""

    def classify(self, message: ClassifierInput) -> str:
        """One of ``SENTIMENT_TAGS``."""
        ...


def _rule(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "Blacklist",
        _rule(
            r"^\s*(stop|stop all|end|quit|cancel|unsubscribe)\W*$",
            r"\bunsubscribe\b",
            r"\bremove me\b",
            r"\b(do not|don't|dont) (contact|email|message|text) me\b",
            r"\btake me off\b",
            r"\bopt(ed)?[- ]out\b",
        ),
    ),
    (
        "Automated Reply",
        _rule(
            r"\bautomated (response|reply|message)\b",
            r"\bauto[- ]?reply\b",
            r"\bautomatic(ally)? (reply|response)\b",
            r"\bdo not reply to this\b",
        ),
    ),
    (
        "Out of Office",
        _rule(
            r"\bout of (the )?office\b",
            r"\bon (annual |parental |maternity |paternity )?leave\b",
            r"\bon vacation\b",
            r"\blimited access to (my )?e-?mail\b",
            r"\bwhen i'?m back\b",
            r"\baway (until|till)\b",
        ),
    ),
    (
        "Not Interested",
        _rule(
            r"\bnot interested\b",
            r"\bno,? thank(s| you)\b",
            r"\b(we'?re|we are|i'?m|i am) all set\b",
            r"\b(please )?(don'?t|do not) follow up\b",
            r"\bnot (a fit|for us|relevant)\b",
        ),
    ),
    (
        "Meeting Booked",
        _rule(r"\bbooked (a|the) (slot|time|call|meeting)\b", r"\bgrabbed a (time|slot)\b"),
    ),
    (
        "Meeting Requested",
        _rule(
            r"\blet'?s (meet|set up|schedule|find a time)\b",
            r"\b(does|would|how about) (monday|tuesday|wednesday|thursday|friday)\b",
            r"\b(monday|tuesday|wednesday|thursday|friday)\b.*\b(works?|at \d)",
            r"\bhappy to (chat|meet)\b",
            r"\bsend (me )?(a few|some) times\b",
            r"\b(book|schedule) a (meeting|demo|time)\b",
        ),
    ),
    (
        "Call Requested",
        _rule(r"\b(give me a|call me|a call)\b", r"\bby phone\b", r"\bring me\b"),
    ),
    ("Objection", _rule(r"\balready use\b", r"\bexpensive\b", r"\bcontract runs\b")),
    (
        "Follow Up",
        _rule(
            r"\breach (back )?out (again )?(next|in|later)\b",
            r"\bfollow up in\b",
            r"\bnot right now\b",
            r"\bnext (quarter|month|year)\b",
            r"\bcheck back\b",
        ),
    ),
    (
        "Information Requested",
        _rule(
            r"\b(case study|deck|brochure|one[- ]pager|more info|some info|details)\b",
            r"\bpricing\b",
            r"\bhow (does|do|much|long)\b",
            r"\bwhat (does|would|is the)\b.*\b(look like|cost|price)",
            r"\bintegrate\b",
        ),
    ),
    (
        "Interested",
        _rule(
            r"\binterest(ed|ing)\b",
            r"\bsounds (good|great)\b",
            r"\btell me more\b",
            r"\b(yes|yeah|sure),? (please|i'?m in)\b",
        ),
    ),
)
"""(tag, pattern) in priority order: the first that matches wins."""


class RulesClassifier:
    """The provider's hint if it is a known tag, else the first matching rule, else Neutral."""

    thread_messages = 0

    def classify(self, message: ClassifierInput) -> str:
        if message.hint in SENTIMENT_TAGS:
            return message.hint
        text = message.text or ""
        for tag, pattern in RULES:
            if pattern.search(text):
                return tag
        return "Neutral"


_classifier: Classifier = RulesClassifier()


def get_classifier() -> Classifier:
    return _classifier


def set_classifier(classifier: Classifier) -> Classifier:
    """Install another classifier (an LLM one); returns the previous one."""
    global _classifier
    previous, _classifier = _classifier, classifier
    return previous

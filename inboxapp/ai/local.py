"""The default provider: no network, no model. It drafts from what the workspace already said.

The best of the request's examples (the workspace's approved replies to similar messages, other
leads' facts already replaced by placeholders) is filled with this lead's facts; without one, a
template chosen by what the lead asked (price, a call, more information, anything else). The
signature and the booking link come from the settings; a text over the channel's limit is cut
at a sentence end. Sentiment is the pipeline's rules classifier.
"""

from __future__ import annotations

import re

from inboxapp.pipeline.inbound.classifier import ClassifierInput, RulesClassifier

from .provider import DraftRequest, DraftResult

NAME = "local"
MODEL = "examples-v1"
MIN_EXAMPLE_SCORE = 0.01
TEMPLATES = {
    "price": "Hi {first_name}, thanks for asking. {offer}The quickest way to see what it would "
    "look like for {company} is a short call{link_sentence}",
    "call": "Hi {first_name}, great to hear from you. Happy to set up a call{link_sentence}",
    "info": "Hi {first_name}, thanks for getting back to me. {offer}Happy to share more, or to "
    "walk you through it on a short call{link_sentence}",
    "other": "Hi {first_name}, thanks for your reply. {offer}Would a short call be useful to see "
    "if this fits {company}{link_question}",
}
_INTENTS = (
    ("price", re.compile(r"\b(price|pricing|cost|costs|quote|budget|how much)\b", re.I)),
    ("call", re.compile(r"\b(call|meet|meeting|chat|calendar|schedule|book|time)\b", re.I)),
    ("info", re.compile(r"\b(more|info|information|details|deck|send|learn)\b", re.I)),
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def intent(text: str) -> str:
    for name, pattern in _INTENTS:
        if pattern.search(text or ""):
            return name
    return "other"


def fill(template: str, request: DraftRequest) -> str:
    """Replace the placeholders with this lead's facts and the workspace's settings."""
    lead, settings = request.lead, request.settings
    values = {
        "{first_name}": lead.first_name or "there",
        "{last_name}": lead.last_name or "",
        "{company}": lead.company or "your team",
        "{booking_link}": settings.booking_link,
        "{signature}": settings.signature,
    }
    text = template
    for key, value in values.items():
        text = text.replace(key, value)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _first_sentence(text: str) -> str:
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0] if text.strip() else ""
    return f"{first} " if first else ""


def _from_template(request: DraftRequest) -> str:
    settings = request.settings
    link = settings.booking_link
    template = TEMPLATES[intent(request.inbound)]
    return (
        template.replace("{offer}", _first_sentence(settings.offer_facts))
        .replace("{link_sentence}", ": {booking_link}" if link else ".")
        .replace("{link_question}", "? Here is my calendar: {booking_link}" if link else "?")
    )


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a sentence (else word) end."""
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    return kept or text[:limit].rsplit(" ", 1)[0]


class LocalProvider:
    name = NAME

    def draft(self, request: DraftRequest) -> DraftResult:
        usable = [e for e in request.examples if e.score >= MIN_EXAMPLE_SCORE]
        template = max(usable, key=lambda e: e.score).reply if usable else _from_template(request)
        body = fill(template, request)
        signature = request.settings.signature.strip()
        if signature and signature not in body and request.channel == "email":
            body = f"{body}\n\n{signature}"
        return DraftResult(
            body=shorten(body, request.settings.limit(request.channel)), provider=NAME, model=MODEL
        )

    def classify(self, message: ClassifierInput) -> str:
        return RulesClassifier().classify(message)

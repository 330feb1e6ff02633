"""The checks every draft passes before it is stored, and the replay judge's critical checks.

A draft fails (and nothing sendable is stored, :mod:`.drafting`) when it:

* answers a lead that opted out, bounced or is blacklisted, or a message asking to stop;
* carries an email address, phone number or link that is not the lead's own, the workspace's
  settings' or one the lead wrote themselves;
* names another lead of the workspace (:func:`foreign_names`, checked against the database by
  the caller) or greets someone other than this lead;
* leaves a template placeholder unfilled, is empty or is longer than the channel allows;
* states a price or a clock time the settings and the conversation do not contain;
* echoes the prompt (its canary) or says it follows instructions the lead's message smuggled in.

Every failure here is critical: the replay gate allows none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from inboxapp.pipeline.inbound.classifier import RULES

from .provider import DraftRequest

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+", re.I)
PHONE = re.compile(r"(?<![\w/])\+?\d[\d\s().-]{6,}\d(?![\w/])")
PLACEHOLDER = re.compile(
    r"\{\{?\s*[\w .-]{1,40}\s*\}?\}|\[\s*(?:first|last|full|lead|company|your|their|contact)"
    r"[\w ]{0,30}\]|%[A-Z_]{2,30}%|<\s*(?:name|first[_ ]?name|company)\s*>",
    re.I,
)
PRICE = re.compile(
    r"(?:[$€£]\s?\d[\d,.]*(?:\s?[kKmM])?)|(?:\b\d[\d,.]*\s?(?:usd|eur|gbp|dollars|euros)\b)", re.I
)
CLOCK = re.compile(
    r"\b(?:[01]?\d|2[0-3])(?::[0-5]\d)?\s?(?:am|pm)\b|\b(?:[01]?\d|2[0-3]):[0-5]\d\b", re.I
)
GREETING = re.compile(r"^\s*(?i:hi|hello|hey|dear|good (?:morning|afternoon)),?\s+([A-Z][\w'-]+)")
PROMPT_TALK = re.compile(
    r"\b(?:system prompt|my (?:instructions|prompt)|as an ai\b|i (?:was|am) instructed|"
    r"ignor(?:e|ing) (?:all |the |my )?(?:previous|prior|above) instructions)",
    re.I,
)
_OPT_OUT = dict(RULES)["Blacklist"]
OPTED_OUT_STATUSES = ("blacklisted",)


@dataclass(frozen=True)
class Failure:
    code: str
    detail: str
    critical: bool = True

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _allowed_text(request: DraftRequest) -> str:
    s = request.settings
    lead_words = " ".join(t.body for t in request.transcript if t.direction == "inbound")
    own = " ".join(filter(None, (request.lead.email, request.lead.phone)))
    return " ".join(
        (s.persona, s.signature, s.offer_facts, s.booking_link, request.instruction or "", own,
         lead_words)
    )  # fmt: skip


def _host(url: str) -> str:
    text = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower())
    return text.split("/", 1)[0].rstrip(".,;:!?")


def check(request: DraftRequest, body: str, *, canary: str = "") -> list[Failure]:
    """Every failed check of ``body`` as a reply to ``request`` (``[]``: safe to store)."""
    failures: list[Failure] = []
    text = body or ""
    lead = request.lead
    if (lead.status in OPTED_OUT_STATUSES or lead.sentiment == "Blacklist"
            or _OPT_OUT.search(request.inbound)):  # fmt: skip
        failures.append(Failure("OPTED_OUT", "the lead asked not to be contacted"))
    if not text.strip():
        failures.append(Failure("EMPTY", "the draft is empty"))
    limit = request.settings.limit(request.channel)
    if len(text) > limit:
        failures.append(
            Failure("TOO_LONG", f"{len(text)} characters; {request.channel} allows {limit}")
        )
    allowed = _allowed_text(request)
    allowed_lower = allowed.lower()
    foreign_emails = [e for e in EMAIL.findall(text) if e.lower() not in allowed_lower]
    if foreign_emails:
        failures.append(Failure("FOREIGN_EMAIL", "an email address that is not the lead's or ours"))
    allowed_digits = {_digits(p) for p in PHONE.findall(allowed)}
    if any(_digits(p) not in allowed_digits for p in PHONE.findall(text)):
        failures.append(Failure("FOREIGN_PHONE", "a phone number that is not the lead's or ours"))
    hosts = {_host(u) for u in URL.findall(allowed)}
    if any(_host(u) not in hosts for u in URL.findall(text)):
        failures.append(Failure("FOREIGN_LINK", "a link that is not in the settings"))
    if PLACEHOLDER.search(text):
        failures.append(Failure("PLACEHOLDER", "a template placeholder is not filled"))
    known = _digits(" ".join(PRICE.findall(allowed)))
    if any(_digits(p) not in known for p in PRICE.findall(text)):
        failures.append(Failure("UNKNOWN_PRICE", "a price that is not in the offer facts"))
    known_times = {t.lower().replace(" ", "") for t in CLOCK.findall(allowed)}
    if any(t.lower().replace(" ", "") not in known_times for t in CLOCK.findall(text)):
        failures.append(Failure("UNOFFERED_TIME", "a time the settings or the thread do not offer"))
    greeting = GREETING.match(text)
    greeted = greeting.group(1).lower() if greeting else ""
    if (
        greeted
        and lead.first_name
        and greeted != lead.first_name.lower()
        and not re.search(rf"\b{re.escape(greeted)}\b", allowed_lower)
    ):
        failures.append(Failure("WRONG_NAME", "the greeting names someone else"))
    if (canary and canary in text) or PROMPT_TALK.search(text):
        failures.append(Failure("PROMPT_INJECTION", "the draft talks about its instructions"))
    return failures


_NAME_PAIR = re.compile(r"\b([A-Z][a-z'-]+)\s+([A-Z][a-z'-]+)\b")


def name_pairs(
    text: str, own: tuple[str | None, str | None] = (None, None)
) -> list[tuple[str, str]]:
    """Capitalised word pairs of ``text``, lower-cased (candidates for people's full names),
    except ``own`` (the lead's name: another lead of the same name is not a leak)."""
    mine = tuple((n or "").lower() for n in own)
    pairs = {(a.lower(), b.lower()) for a, b in _NAME_PAIR.findall(text or "")}
    return sorted(p for p in pairs if p != mine)


def foreign_name_failure(names: Iterable[str]) -> list[Failure]:
    found = sorted(set(names))
    if not found:
        return []
    return [Failure("OTHER_LEAD", "the draft names another lead of this workspace")]

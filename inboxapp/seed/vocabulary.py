"""Seed vocabulary: names, companies, campaign and reply texts, and their weights.

Inbox vocabulary (sentiment tags, statuses, tag groups) comes from :mod:`inboxapp.domain`;
only the generator's own word lists live here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import accumulate


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
CALENDAR = "https://cal.example.com/alex"
ANSWER_BODIES: dict[str, tuple[str, ...]] = {
    "Interested": (
        "Thanks {first}! Happy to share details and pricing for {company}. The quickest way is a "
        "short call: " + CALENDAR,
        "Thanks {first}! Happy to walk you through details and pricing for {company} on a short "
        "call: " + CALENDAR,
    ),
    "Meeting Requested": (
        "Great, {first}! Grab any slot that works for you here: " + CALENDAR,
        "Sounds good, {first}. Pick any time that works for you here: " + CALENDAR,
    ),
    "Call Requested": (
        "Sure {first}, happy to talk. Pick a time for a call here and I'll ring you: " + CALENDAR,
        "Happy to, {first}. Pick a time for a call here and I will call you: " + CALENDAR,
    ),
    "Information Requested": (
        "Hi {first}, happy to help. I'll send over a one-page overview and a customer story from "
        "a team like {company}. Want to walk through it on a short call?",
        "Hi {first}, good question. I'll send a short overview and a customer story from a team "
        "similar to {company}. Want to walk through it on a short call?",
    ),
    "Follow Up": (
        "Totally understand, {first}. I'll make a note and reach back out then. Thanks!",
        "Makes sense, {first}. I'll make a note and reach back out then. Good luck!",
    ),
    "Objection": (
        "Fair point, {first}. Many teams like {company} felt the same before a short walkthrough. "
        "Open to 15 minutes to see if it fits?",
        "Understood, {first}. Teams like {company} often felt the same until a short walkthrough. "
        "Open to 15 minutes to see if it fits?",
    ),
    "Meeting Booked": (
        "Thanks {first}, see you then! I'll send a short agenda beforehand.",
        "Perfect, {first}, see you then! I'll send a short agenda before the call.",
    ),
    "Not Interested": ("Understood, {first}. Thanks for letting me know, I won't follow up.",),
    "Out of Office": ("Thanks {first}, I'll reach back out when you're back.",),
    "Neutral": (
        "Hi {first}, thanks for your reply. Happy to share more about what we do for teams like "
        "{company}.",
    ),
}
"""Our answers (setters' and approved AI drafts'), by the tag of the reply they answer: what
the lead asked decides what was said, as in real threads (the replay gate compares with them)."""


def answer_bodies(tag: str) -> tuple[str, ...]:
    return ANSWER_BODIES.get(tag) or ANSWER_BODIES["Interested"]


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


def weighted_table(weights: Sequence[tuple[str, int]]) -> tuple[tuple[str, ...], list[float]]:
    total = sum(w for _, w in weights)
    cum = [c / total for c in accumulate(w for _, w in weights)]
    return tuple(k for k, _ in weights), cum


KINDS, KIND_CUM = weighted_table(KIND_WEIGHTS)
REPLY_TAGS, REPLY_TAG_CUM = weighted_table(REPLY_TAG_WEIGHTS)


def pick(rnd: Callable[[], float], items: Sequence[str]) -> str:
    return items[int(rnd() * len(items))]

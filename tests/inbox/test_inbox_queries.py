"""The conversation list and the live counts share one category definition: they must agree."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from inboxapp.domain.categories import BY_FILTER
from inboxapp.domain.vocabulary import ATTENTION_TAGS, SENTIMENT_TAGS
from inboxapp.errors import BadRequest, Forbidden, NotFound
from inboxapp.inbox import queries
from inboxapp.inbox.params import Cursor, parse_list_params
from inboxapp.inbox.view import row_view
from inboxapp.labels import parse_ts
from tests import factories as f

NOW = datetime.now(UTC)


def _random_lead(client, rng: random.Random, setters, same_time: datetime) -> None:
    """A lead with random rollups, sentiment, status, snooze, assignment and children."""
    t = lambda: NOW - timedelta(hours=rng.randint(1, 500))  # noqa: E731
    last_in = t() if rng.random() < 0.7 else None
    last_out = t() if rng.random() < 0.8 else None
    last_zrg = t() if rng.random() < 0.4 else None
    lead = f.create_lead(
        client,
        status=rng.choice(["new", "qualified", "unqualified", "blacklisted", "needs_repair"]),
        sentimentTag=rng.choice([*ATTENTION_TAGS, "Objection", "Neutral", "New"]),
        lastInboundAt=last_in,
        lastOutboundAt=last_out,
        lastZrgOutboundAt=last_zrg,
        snoozedUntil=rng.choice(
            [None, None, None, NOW + timedelta(days=1), NOW - timedelta(days=1)]
        ),
        assignedToUserId=rng.choice([None, *[s.id for s in setters]]),
        updatedAt=same_time if rng.random() < 0.5 else t(),
        overallScore=rng.choice([None, 0, 1, 2, 3, 4]),
        unreadCount=rng.choice([0, 0, 1, 3]),
    )
    if rng.random() < 0.3:
        f.create_message(
            lead,
            channel="email",
            direction="outbound",
            source="zrg",
            sentBy="ai",
            aiDraftId=uuid.uuid4(),
        )
    if rng.random() < 0.3:
        f.create_draft(
            lead,
            status=rng.choice(["pending", "approved"]),
            autoSendAction=rng.choice(["needs_review", "send_immediate"]),
        )


@pytest.fixture(scope="module")
def workspace():
    rng = random.Random(7)
    owner = f.create_user(name="Owner")
    client = f.create_workspace("Agree", owner)
    setters = [f.create_user(name=f"Setter {i}") for i in range(2)]
    for s in setters:
        f.add_member(client, s, "SETTER")
    same_time = NOW - timedelta(minutes=5)
    for _ in range(160):
        _random_lead(client, rng, setters, same_time)
    return client, owner, setters


def _all_ids(user_id, client_id, name: str, limit: int, **more: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = queries.list_conversations(
            user_id,
            client_id,
            parse_list_params(filter=name, cursor=cursor, limit=limit, **more),
        )
        ids += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("list_filter", sorted(BY_FILTER))
def test_list_matches_counts_for_every_category_and_scope(workspace, list_filter) -> None:
    client, owner, setters = workspace
    key = BY_FILTER[list_filter].count_key
    for user in (owner, *setters):
        counts = queries.live_counts(user.id, client.id)
        ids = _all_ids(user.id, client.id, list_filter, limit=7)
        assert len(ids) == len(set(ids)), "a row repeated across pages"
        assert len(ids) == counts["counts"][key]
    assert queries.live_counts(setters[0].id, client.id)["scope"] == "setter"


def test_pages_with_identical_updated_at_return_every_lead_once() -> None:
    owner = f.create_user()
    client = f.create_workspace("Ties", owner)
    same = NOW - timedelta(hours=1)
    created = {str(f.create_lead(client, updatedAt=same).id) for _ in range(53)}
    assert set(_all_ids(owner.id, client.id, "all", limit=5)) == created
    assert len(_all_ids(owner.id, client.id, "all", limit=5)) == 53


@pytest.mark.parametrize("list_filter", ["all", "attention", "responses"])
def test_oldest_first_is_the_newest_order_reversed_page_by_page(workspace, list_filter) -> None:
    """``order=oldest`` walks the same keyset backwards: every lead once, ties included (half the
    workspace shares one ``updatedAt``), exactly the reverse of the default order."""
    client, owner, setters = workspace
    for user in (owner, setters[0]):
        newest = _all_ids(user.id, client.id, list_filter, limit=6)
        oldest = _all_ids(user.id, client.id, list_filter, limit=6, order="oldest")
        assert oldest == newest[::-1] and len(newest) > 6


def test_setter_sees_only_assigned_and_counts_follow(workspace) -> None:
    client, owner, setters = workspace
    ids = _all_ids(setters[0].id, client.id, "all", limit=200)
    page = queries.list_conversations(owner.id, client.id, parse_list_params(limit=200))
    mine = {i["id"] for i in page["items"] if i["assignedToUserId"] == str(setters[0].id)}
    assert mine and set(ids) == mine
    assert queries.live_counts(setters[0].id, client.id)["counts"]["total"] == len(mine)
    detail = [queries.conversation(setters[0].id, client.id, uuid.UUID(i)) for i in ids[:5]]
    assert all(d["lead"]["assignedToUserId"] == str(setters[0].id) for d in detail)


def test_awaiting_reply_is_derived(workspace) -> None:
    client, owner, _ = workspace
    c = queries.live_counts(owner.id, client.id)["counts"]
    assert set(c) == {
        "allResponses",
        "requiresAttention",
        "previouslyRequiredAttention",
        "needsRepair",
        "aiSent",
        "aiReview",
        "unread",
        "awaitingReply",
        "total",
    }
    assert c["awaitingReply"] >= 0


def test_snoozed_leads_are_hidden_until_they_wake() -> None:
    owner = f.create_user()
    client = f.create_workspace("Snooze", owner)
    f.create_lead(client, snoozedUntil=NOW + timedelta(hours=2))
    awake = f.create_lead(client, snoozedUntil=NOW - timedelta(hours=2))
    page = queries.list_conversations(owner.id, client.id, parse_list_params())
    assert [i["id"] for i in page["items"]] == [str(awake.id)]
    assert queries.live_counts(owner.id, client.id)["counts"]["total"] == 1


def test_search_and_extra_filters() -> None:
    owner = f.create_user()
    client = f.create_workspace("Search", owner)
    camp = f.create_campaign(client)
    ada = f.create_lead(
        client,
        firstName="Ada",
        lastName="Lovelace",
        email="ada@example.org",
        overallScore=4,
        campaignId=camp.id,
        sentimentTag="Interested",
    )
    f.create_lead(
        client, firstName="Adam", lastName="Smith", email="adam.ada@example.org", overallScore=None
    )
    f.create_message(ada, channel="sms")

    def ids(**kw) -> set[str]:
        page = queries.list_conversations(owner.id, client.id, parse_list_params(**kw))
        return {i["id"] for i in page["items"]}

    assert len(ids(q="ada")) == 2
    assert ids(q="ada@example.org") == {str(ada.id)}  # a full email matches exactly
    assert ids(q="ADA@EXAMPLE.ORG") == {str(ada.id)}
    assert ids(channel="sms") == {str(ada.id)}
    assert ids(score="4") == {str(ada.id)} == ids(score="3+")
    assert len(ids(score="unscored")) == 1
    assert ids(campaign_id=str(camp.id)) == {str(ada.id)}
    assert ids(sentiment="Interested") == {str(ada.id)}
    assert ids(q="100%_") == set()  # wildcards are literal


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"filter": "bogus"}, "INVALID_FILTER"),
        ({"limit": "0"}, "INVALID_LIMIT"),
        ({"limit": "10000"}, "INVALID_LIMIT"),
        ({"limit": "ten"}, "INVALID_LIMIT"),
        ({"cursor": "not-a-cursor"}, "INVALID_CURSOR"),
        ({"cursor": "eyJ1IjogMX0"}, "INVALID_CURSOR"),
        ({"q": "ab"}, "QUERY_TOO_SHORT"),
        ({"channel": "fax"}, "INVALID_CHANNEL"),
        ({"sentiment": "Happy"}, "INVALID_SENTIMENT"),
        ({"score": "5"}, "INVALID_SCORE"),
        ({"order": "newest,oldest"}, "INVALID_ORDER"),
        ({"order": "updatedAt"}, "INVALID_ORDER"),
        ({"campaign_id": "nope"}, "INVALID_CAMPAIGNID"),
        ({"q": "00\x00"}, "INVALID_CHARACTERS"),
    ],
)
def test_bad_parameters_are_clear_errors(kwargs, code) -> None:
    with pytest.raises(BadRequest) as err:
        parse_list_params(**kwargs)
    assert err.value.code == code


def test_cursor_round_trip() -> None:
    c = Cursor(NOW, uuid.uuid4())
    assert Cursor.decode(c.encode()) == c


def test_foreign_workspace_and_lead_are_refused(workspace) -> None:
    client, _owner, _ = workspace
    stranger = f.create_user()
    other = f.create_workspace("Other", stranger)
    with pytest.raises(Forbidden):
        queries.list_conversations(stranger.id, client.id, parse_list_params())
    with pytest.raises(Forbidden):
        queries.live_counts(stranger.id, client.id)
    foreign_lead = f.create_lead(client)
    with pytest.raises(NotFound):
        queries.conversation(stranger.id, other.id, foreign_lead.id)


def test_sentiment_tags_cover_attention_tags() -> None:
    assert set(ATTENTION_TAGS) <= set(SENTIMENT_TAGS)


def test_rows_show_the_time_the_list_is_ordered_by(workspace) -> None:
    """The list is ordered by last activity and each row shows that time (issue 18: rows read
    "Aug 10, Nov 15, Mon, 17h" when the order and the shown time disagreed)."""
    client, owner, _ = workspace
    page = queries.list_conversations(
        owner.id, client.id, parse_list_params(filter="all", limit=50)
    )
    shown = [row_view(item, NOW, UTC)["time_title"] for item in page["items"]]
    times = [parse_ts(item["updatedAt"]) for item in page["items"]]
    assert times == sorted(times, reverse=True)
    assert all(title.startswith("Last activity: ") for title in shown)
    assert len(set(shown)) > 1


def test_assignee_views_and_the_snoozed_view(workspace) -> None:
    client, owner, setters = workspace

    def ids(**kw: object) -> set[str]:
        page = queries.list_conversations(
            owner.id, client.id, parse_list_params(filter="all", limit=200, **kw)
        )
        return {item["id"] for item in page["items"]}

    everyone = ids()
    theirs = ids(assignee=str(setters[0].id))
    unassigned = ids(assignee="none")
    mine = ids(assignee="me")
    snoozed = ids(snoozed="true")
    assert theirs and unassigned and theirs | unassigned <= everyone
    assert not theirs & unassigned and mine == set()  # the owner has no leads of their own
    assert snoozed and not snoozed & everyone  # snoozed leads only in the Snoozed view
    for bad, code in (("someone", "INVALID_ASSIGNEE"), ("x\x00", "INVALID_CHARACTERS")):
        with pytest.raises(BadRequest) as caught:
            parse_list_params(assignee=bad)
        assert caught.value.code == code
    with pytest.raises(BadRequest):
        parse_list_params(snoozed="maybe")

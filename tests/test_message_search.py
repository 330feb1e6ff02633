"""Message search (issue 18 item 4): ``q`` matches message text within the caller's row level
security scope, names the matching message with a marked-up-free snippet, and hostile search
text is a 4xx or a plain search, never a 500."""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from inboxapp.db.engine import user_session
from inboxapp.inbox import queries, search
from inboxapp.inbox.params import parse_list_params
from tests import factories as f
from tests.support import bearer_for

LIST = "/api/inbox/conversations"


def word() -> str:
    """A word no other test (or seeded text) contains."""
    return "zq" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


@pytest.fixture(scope="module")
def world(api: TestClient) -> dict[str, Any]:
    owner, other_owner = f.create_user(name="Search Owner"), f.create_user(name="Other Owner")
    setter, setter2 = f.create_user(name="Search Setter"), f.create_user(name="Setter Two")
    ws, other = f.create_workspace("Search", owner), f.create_workspace("Other", other_owner)
    f.add_member(ws, setter, "SETTER")
    f.add_member(ws, setter2, "SETTER")
    f.add_member(other, owner, "SETTER")  # the owner of ws is a setter (with no leads) in other
    mine = f.create_lead(ws, assignedToUserId=setter.id, firstName="Mine")
    theirs = f.create_lead(ws, assignedToUserId=setter2.id, firstName="Theirs")
    foreign = f.create_lead(other, firstName="Foreign")
    return {
        "ws": ws, "other": other, "owner": owner, "setter": setter,
        "mine": mine, "theirs": theirs, "foreign": foreign,
        "h_owner": bearer_for(api, owner), "h_setter": bearer_for(api, setter),
        "h_other": bearer_for(api, other_owner),
    }  # fmt: skip


def page(api: TestClient, headers: dict[str, str], client_id: Any, **params: Any) -> Any:
    resp = api.get(LIST, params={"clientId": str(client_id), **params}, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_word_from_a_message_body_finds_its_lead_with_a_snippet(api: TestClient, world) -> None:
    w = word()
    body = f"Thanks for the call. Could you send the {w.upper()} proposal before Friday?"
    message = f.create_message(world["mine"], direction="inbound", body=body)
    f.create_message(world["mine"], body="An older message without the word")
    items = page(api, world["h_owner"], world["ws"].id, q=w)["items"]
    assert [i["id"] for i in items] == [str(world["mine"].id)]
    snippet = items[0]["searchSnippet"]
    assert snippet["messageId"] == str(message.id)
    assert "<" not in snippet["text"] and "\ue000" not in snippet["text"]
    [[start, end]] = snippet["highlights"]
    assert snippet["text"][start:end] == w.upper()
    # A prefix of the word matches too (search as you type), and so does the subject.
    assert [i["id"] for i in page(api, world["h_owner"], world["ws"].id, q=w[:6])["items"]]
    s = word()
    f.create_message(world["theirs"], subject=f"Re: {s}", body="Body without it")
    [hit] = page(api, world["h_owner"], world["ws"].id, q=s)["items"]
    assert hit["id"] == str(world["theirs"].id)
    assert hit["searchSnippet"]["text"][slice(*hit["searchSnippet"]["highlights"][0])] == s


def test_every_word_must_match_and_name_matches_have_no_snippet(api: TestClient, world) -> None:
    a, b = word(), word()
    f.create_message(world["mine"], body=f"{a} only")
    f.create_message(world["theirs"], body=f"{a} and {b}")
    both = page(api, world["h_owner"], world["ws"].id, q=f'"{a}" & {b}!')["items"]
    assert [i["id"] for i in both] == [str(world["theirs"].id)]
    by_name = page(api, world["h_owner"], world["ws"].id, q="Theirs")["items"]
    assert [(i["id"], i["searchSnippet"]) for i in by_name] == [(str(world["theirs"].id), None)]


def test_search_stays_in_the_callers_scope(api: TestClient, world) -> None:
    w = word()
    for lead in (world["mine"], world["theirs"], world["foreign"]):
        f.create_message(lead, direction="inbound", body=f"about {w} pricing")
    ws, other = world["ws"].id, world["other"].id
    owner_ids = {i["id"] for i in page(api, world["h_owner"], ws, q=w)["items"]}
    assert owner_ids == {str(world["mine"].id), str(world["theirs"].id)}
    setter_ids = [i["id"] for i in page(api, world["h_setter"], ws, q=w)["items"]]
    assert setter_ids == [str(world["mine"].id)]
    # The other workspace's owner finds their own lead only; ws's owner is a setter there with
    # no leads, and a stranger to a workspace gets 403.
    assert [i["id"] for i in page(api, world["h_other"], other, q=w)["items"]] == [
        str(world["foreign"].id)
    ]
    assert page(api, world["h_owner"], other, q=w)["items"] == []
    resp = api.get(LIST, params={"clientId": str(other), "q": w}, headers=world["h_setter"])
    assert resp.status_code == 403


def test_the_index_helpers_apply_the_scope_themselves(world) -> None:
    """Called directly (they are SECURITY DEFINER), the helpers reveal nothing beyond what the
    caller may read: a setter gets their leads only, a non-member nothing."""
    w = word()
    for lead in (world["mine"], world["theirs"], world["foreign"]):
        f.create_message(lead, body=f"{w}")
    sql = "SELECT app.message_search_leads(:c, to_tsquery('simple', :q), 100)"
    ident = "SELECT app.identity_search_leads(:c, 'Theirs', 100)"

    def ids(user: Any, client: Any, statement: str) -> set[uuid.UUID]:
        with user_session(user.id) as s:
            return set(s.execute(sa.text(statement), {"c": client.id, "q": w}).scalars())

    assert ids(world["owner"], world["ws"], sql) == {world["mine"].id, world["theirs"].id}
    assert ids(world["setter"], world["ws"], sql) == {world["mine"].id}
    assert ids(world["setter"], world["other"], sql) == set()
    assert ids(world["owner"], world["other"], sql) == set()  # a setter there, none assigned
    assert ids(world["owner"], world["ws"], ident) == {world["theirs"].id}
    assert ids(world["setter"], world["ws"], ident) == set()


# (probe leads, identity cap, message cap): the probe's walk of a small workspace; the index
# lookups; names walking beside message candidates; messages walking beside name candidates;
# both past their caps (one walk for both).
EVERY_WAY = ((400, 2000, 1000), (0, 2000, 1000), (0, 0, 1000), (0, 2000, 0), (0, 0, 0))


def test_every_way_to_build_a_search_page_gives_the_same_pages(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walking the list (the probe found the word common enough, or a cap was passed) and the
    index candidates give the same pages, following cursors with a one-row page size."""
    w = word()
    leads = [f.create_lead(world["ws"], firstName=f"Walk{i}") for i in range(4)]
    for lead in leads[:3]:
        f.create_message(lead, body=f"{w} number")
    f.create_message(leads[3], body="nothing here")
    other = f.create_lead(world["ws"], firstName="Other")
    f.create_message(other, body=f"{w} walk")

    def pages(q: str) -> list[str]:
        out: list[str] = []
        cursor = None
        with user_session(world["owner"].id) as s:
            access = queries.require_access(s, world["owner"].id, world["ws"].id)
            while True:
                data = queries.fetch_page(s, access, parse_list_params(q=q, limit=1, cursor=cursor))
                out += [i["id"] for i in data["items"]]
                if not (cursor := data["nextCursor"]):
                    return out

    def every_way(q: str) -> list[str]:
        seen = []
        for probe, names, texts in EVERY_WAY:
            monkeypatch.setattr(queries, "PROBE_LEADS", probe)
            monkeypatch.setattr(search, "MAX_CANDIDATES", names)
            monkeypatch.setattr(search, "MAX_MESSAGE_CANDIDATES", texts)
            seen.append(pages(q))
        assert all(found == seen[0] for found in seen), seen
        return seen[0]

    ids = [str(lead.id) for lead in leads]
    assert every_way(f"{w} number walk") == []  # no lead has all three words in one place
    assert sorted(every_way(f"{w} number")) == sorted(ids[:3])
    assert every_way(f"{w} walk") == [str(other.id)]
    assert sorted(every_way(w)) == sorted([*ids[:3], str(other.id)])
    assert sorted(every_way("walk")) == sorted([*ids, str(other.id)])  # names or a message


@pytest.mark.parametrize(
    "q",
    [
        "it's \"quoted\" 'text'",
        "a & b | !c",
        "&|!:*",
        "foo:* & !bar <-> baz",
        "(((unbalanced",
        "\\\\\\' OR 1=1 --",
        "%_%_%",
        "caf\u00e9 \u65e5\u672c\u8a9e \U0001f600",
        "x" * 200,
        " ".join(["word"] * 40),  # 199 characters, 40 words (8 are used)
    ],
)
def test_hostile_search_text_is_a_plain_search(api: TestClient, world, q: str) -> None:
    resp = api.get(LIST, params={"clientId": str(world["ws"].id), "q": q}, headers=world["h_owner"])
    assert resp.status_code == 200, resp.text
    assert isinstance(resp.json()["items"], list)


@pytest.mark.parametrize("q", ["abc\x00def", "x" * 10_000, "ab", "a\x01b\x02c"])
def test_unsearchable_text_is_a_400(api: TestClient, world, q: str) -> None:
    resp = api.get(LIST, params={"clientId": str(world["ws"].id), "q": q}, headers=world["h_owner"])
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"].startswith("INVALID_") or resp.json()["error"].startswith("QUERY_")


def test_split_marks_gives_plain_text_and_offsets() -> None:
    text, marks = search.split_marks("see \ue000Pricing\ue001 and \ue000plans\ue001 now")
    assert text == "see Pricing and plans now"
    assert [text[a:b] for a, b in marks] == ["Pricing", "plans"]
    assert search.split_marks("\ue000abcdef\ue001", limit=3) == ("abc", [[0, 3]])
    assert search.tsquery_text("&|!:*") is None
    assert search.tsquery_text("Foo's BAR foo") == "'foo':* & 's':* & 'bar':*"

"""Unsent replies (``ReplyDraft``) as the runtime role: kept per author, and after a
reassignment the author learns who has the conversation now, and nobody else learns anything."""

from __future__ import annotations

import sqlalchemy as sa

from inboxapp.db.engine import owner_session
from inboxapp.inbox import reply_drafts
from tests import factories as f


def _assign(lead_id: object, user_id: object) -> None:
    with owner_session() as s:
        s.execute(
            sa.text('UPDATE "Lead" SET "assignedToUserId" = :u WHERE id = :l'),
            {"u": user_id, "l": lead_id},
        )


def test_the_author_of_an_unsent_reply_learns_who_has_the_lead_now() -> None:
    owner = f.create_user(name="Owner")
    client = f.create_workspace("Reassigned", owner)
    setter, other = f.create_user(name="Ada Setter"), f.create_user(name="Bo Setter")
    for user in (setter, other):
        f.add_member(client, user, "SETTER")
    lead = f.create_lead(client, assignedToUserId=setter.id)
    stranger = f.create_user(name="Stranger")
    f.add_member(f.create_workspace("Elsewhere", stranger), stranger, "ADMIN")

    reply_drafts.save(setter.id, client.id, lead.id, "Hi there, about pricing")
    assert reply_drafts.load(setter.id, client.id, lead.id) == "Hi there, about pricing"
    assert reply_drafts.reassigned_to(setter.id, client.id, lead.id) is None  # still theirs

    _assign(lead.id, other.id)
    assert reply_drafts.reassigned_to(setter.id, client.id, lead.id) == "Bo Setter"
    assert reply_drafts.load(setter.id, client.id, lead.id) == "Hi there, about pricing"
    # no unsent reply of their own, or another workspace: nothing is told
    assert reply_drafts.reassigned_to(owner.id, client.id, lead.id) is None
    assert reply_drafts.reassigned_to(stranger.id, client.id, lead.id) is None
    elsewhere = f.create_workspace("Other", stranger)
    assert reply_drafts.reassigned_to(setter.id, elsewhere.id, lead.id) is None

    _assign(lead.id, None)
    assert reply_drafts.reassigned_to(setter.id, client.id, lead.id) == ""

    with owner_session() as s:  # removed from the workspace: nothing is told any more
        s.execute(
            sa.text('DELETE FROM "ClientMember" WHERE "userId" = :u AND "clientId" = :c'),
            {"u": setter.id, "c": client.id},
        )
    assert reply_drafts.reassigned_to(setter.id, client.id, lead.id) is None

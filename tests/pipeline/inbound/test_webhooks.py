"""``POST /api/webhooks/{provider}/{webhookToken}``: tokens, signatures, limits, storage once,
and the failure answers (real app, PostgreSQL as the runtime role, Redis)."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
import sqlalchemy as sa

from inboxapp.db.engine import workspace_session
from inboxapp.pipeline.inbound.endpoints import issue_url, new_token, token_hash
from inboxapp.pipeline.inbound.settings import MAX_BODY_BYTES, inbound_settings
from inboxapp.pipeline.providers import Provider
from tests import inbound_payloads as p
from tests.conftest import reset_app_caches
from tests.inbound_helpers import Shop, messages_of, process_pending, rows

EB = Provider.EMAILBISON


@pytest.fixture(scope="module")
def shop() -> Shop:
    return Shop.create("Webhooks")


def events_of(client_id: uuid.UUID) -> list[dict[str, object]]:
    return [
        dict(r)
        for r in rows(
            'SELECT id, status, "dedupeKey", "eventType" FROM "WebhookEvent"'
            ' WHERE "clientId" = :c ORDER BY "receivedAt"',
            c=client_id,
        )
    ]


def test_a_signed_event_is_stored_once_and_queued(shop: Shop) -> None:
    payload = p.emailbison("LEAD_REPLIED", event_id=f"e-{uuid.uuid4()}")
    first = shop.post(EB, payload)
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "accepted"
    event_id = first.json()["eventId"]
    again = shop.post(EB, payload)
    assert again.status_code == 200 and again.json() == {"status": "duplicate", "eventId": event_id}
    stored = [e for e in events_of(shop.ws.id) if str(e["id"]) == event_id]
    assert len(stored) == 1 and stored[0]["status"] == "pending"
    jobs = rows(
        "SELECT status::text AS status FROM procrastinate.procrastinate_jobs"
        " WHERE args ->> 'event_id' = :e",
        e=event_id,
    )
    assert [j["status"] for j in jobs] == ["todo"]  # the repeat did not queue a second job
    assert process_pending(shop.ws.id) == ["processed"]


def test_unknown_event_types_are_stored_and_ignored(shop: Shop) -> None:
    payload = p.emailbison("LEAD_SNOOZED_SOMEHOW", event_id=f"e-{uuid.uuid4()}")
    resp = shop.post(EB, payload)
    assert resp.status_code == 200 and resp.json()["status"] == "ignored"
    event = [e for e in events_of(shop.ws.id) if str(e["id"]) == resp.json()["eventId"]]
    assert event[0]["status"] == "ignored" and event[0]["eventType"] == "LEAD_SNOOZED_SOMEHOW"


@pytest.mark.parametrize("case", ["wrong secret", "tampered body", "old", "future", "missing"])
def test_bad_signatures_are_401_and_nothing_is_stored(shop: Shop, case: str) -> None:
    before = len(events_of(shop.ws.id))
    payload = p.emailbison("LEAD_REPLIED", event_id=f"sig-{uuid.uuid4()}")
    body = json.dumps(payload).encode()
    if case == "wrong secret":
        resp = shop.post(EB, payload, secret="whsec_not-the-secret")
    elif case == "tampered body":
        from inboxapp.pipeline.inbound.signature import HEADER, sign

        secret = shop.urls[EB].signing_secret
        assert secret is not None
        header = sign(secret, body)
        resp = shop.http.post(
            shop.path(EB), content=body.replace(b"Jane", b"Joan"), headers={HEADER: header}
        )
    elif case == "old":
        resp = shop.post(EB, payload, timestamp=int(time.time()) - 301)
    elif case == "future":
        resp = shop.post(EB, payload, timestamp=int(time.time()) + 301)
    else:
        resp = shop.post(EB, payload, signed=False)
    assert resp.status_code == 401, resp.text
    assert set(resp.json()) == {"error", "message"}
    assert resp.json()["error"] in ("INVALID_SIGNATURE", "SIGNATURE_EXPIRED", "SIGNATURE_REQUIRED")
    assert len(events_of(shop.ws.id)) == before


def test_unsigned_requests_pass_where_signatures_are_optional_but_a_bad_one_never() -> None:
    loose = Shop.create("Loose", require_signature=False)
    payload = p.instantly("reply_received", email_id=f"i-{uuid.uuid4()}")
    assert loose.post(Provider.INSTANTLY, payload, signed=False).status_code == 202
    other = p.instantly("reply_received", email_id=f"i-{uuid.uuid4()}")
    bad = loose.post(Provider.INSTANTLY, other, secret="whsec_wrong")
    assert bad.status_code == 401 and bad.json()["error"] == "INVALID_SIGNATURE"


def test_unknown_tokens_and_providers_get_one_constant_404(shop: Shop) -> None:
    body = json.dumps(p.emailbison("LEAD_REPLIED", event_id="x")).encode()
    answers = [
        shop.http.post(f"/api/webhooks/emailbison/{new_token()}", content=body),
        shop.http.post("/api/webhooks/emailbison/short", content=body),
        shop.http.post(f"/api/webhooks/nope/{new_token()}", content=body),
        # a real token of another provider opens nothing here
        shop.http.post(shop.path(Provider.GHL).replace("/ghl/", "/emailbison/"), content=body),
        shop.http.post(f"/api/webhooks/emailbison/{new_token()}", content=b"not json"),
    ]
    assert {r.status_code for r in answers} == {404}
    assert {r.text for r in answers} == {answers[0].text}
    assert answers[0].json() == {"error": "NOT_FOUND", "message": "No such webhook endpoint"}


def test_size_json_and_payload_shape_are_refused_with_their_codes(shop: Shop) -> None:
    too_big = b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}'
    resp = shop.post(EB, None, raw=too_big)
    assert resp.status_code == 413 and resp.json()["error"] == "PAYLOAD_TOO_LARGE"
    assert shop.post(EB, None, raw=b"{not json").json()["error"] == "BAD_REQUEST"
    assert shop.post(EB, None, raw=b"[1, 2]").status_code == 400
    no_data = {"event": {"type": "LEAD_REPLIED"}}
    resp = shop.post(EB, no_data)
    assert resp.status_code == 400 and resp.json()["error"] == "INVALID_PAYLOAD"
    nul = p.emailbison("LEAD_REPLIED", event_id="nul", text="a\x00b")
    assert shop.post(EB, nul).json()["error"] == "INVALID_CHARACTERS"
    no_contact = p.ghl_sms()
    no_contact.pop("contact_id")
    assert shop.post(Provider.GHL, no_contact).json()["error"] == "INVALID_PAYLOAD"


def test_rotation_keeps_the_previous_token_for_the_grace_period_only() -> None:
    shop = Shop.create("Rotate")
    old_path = shop.path(EB)
    rotated = issue_url(shop.ws.id, EB, rotate=True)
    assert rotated.url and rotated.url != shop.urls[EB].url
    assert rotated.signing_secret == shop.urls[EB].signing_secret
    assert rotated.previous_valid_until is not None
    payload = p.emailbison("LEAD_REPLIED", event_id=f"rot-{uuid.uuid4()}")
    assert shop.post(EB, payload, path=old_path).status_code == 202  # within the grace period
    shop.urls[EB] = rotated
    assert shop.post(EB, payload).status_code == 200  # same event, new URL: a duplicate
    with workspace_session(shop.ws.id) as s:  # the grace period ends
        s.execute(
            sa.text(
                'UPDATE "WebhookEndpoint" SET "previousValidUntil" = now() - interval \'1 s\''
                ' WHERE "clientId" = :c AND provider = :p'
            ),
            {"c": shop.ws.id, "p": EB.value},
        )
    late = p.emailbison("LEAD_REPLIED", event_id=f"rot-{uuid.uuid4()}")
    assert shop.post(EB, late, path=old_path).status_code == 404
    stored = rows(
        'SELECT "tokenHash", "previousTokenHash" FROM "WebhookEndpoint"'
        ' WHERE "clientId" = :c AND provider = :p',
        c=shop.ws.id,
        p=EB.value,
    )[0]
    token = rotated.url.rsplit("/", 1)[1]
    assert stored["tokenHash"] == token_hash(token)  # only hashes are stored
    assert token not in json.dumps(
        [dict(r) for r in rows('SELECT * FROM "WebhookEndpoint"')], default=str
    )


def test_a_token_of_workspace_a_never_writes_into_b() -> None:
    a, b = Shop.create("Tenant A"), Shop.create("Tenant B")
    same_lead = "shared.lead@prospect.example"
    payload = p.emailbison("LEAD_REPLIED", event_id="same-id", email=same_lead, reply_id="r-same")
    assert a.deliver(EB, payload)["status"] == "accepted"
    # B receives an event with the very same provider ids: it is B's own, not a duplicate of A's.
    assert b.deliver(EB, payload)["status"] == "accepted"
    for shop in (a, b):
        leads = rows(
            'SELECT id, "clientId" FROM "Lead" WHERE lower(email) = :e AND "clientId" = :c',
            e=same_lead,
            c=shop.ws.id,
        )
        assert len(leads) == 1
        assert [m["clientId"] for m in messages_of(leads[0]["id"])] == [shop.ws.id]
    # The database itself refuses: A's session cannot store an event in B.
    with pytest.raises(sa.exc.DBAPIError), workspace_session(a.ws.id) as s:
        s.execute(
            sa.text(
                'INSERT INTO "WebhookEvent" ("clientId", provider, "eventType", "dedupeKey",'
                " payload) VALUES (:c, 'emailbison', 'x', 'x', '{}')"
            ),
            {"c": b.ws.id},
        )


def test_database_down_is_503_with_retry_after(shop: Shop) -> None:
    saved = os.environ.get("APP_DATABASE_URL")
    os.environ["APP_DATABASE_URL"] = "postgresql://authenticator@127.0.0.1:1/inboxapp"
    reset_app_caches()
    try:
        resp = shop.post(EB, p.emailbison("LEAD_REPLIED", event_id="db-down"))
    finally:
        if saved is None:
            os.environ.pop("APP_DATABASE_URL", None)
        else:
            os.environ["APP_DATABASE_URL"] = saved
        reset_app_caches()
    assert resp.status_code == 503, resp.text
    assert resp.json()["error"] == "UNAVAILABLE" and resp.headers["Retry-After"]


def test_the_url_uses_the_public_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INBOXAPP_PUBLIC_BASE_URL", "https://inbox.example.com/")
    inbound_settings.cache_clear()
    try:
        owner = Shop.create("Base URL").ws
        issued = issue_url(owner.id, Provider.SMARTLEAD, rotate=True)
    finally:
        monkeypatch.delenv("INBOXAPP_PUBLIC_BASE_URL")
        inbound_settings.cache_clear()
    assert issued.url is not None
    assert issued.url.startswith("https://inbox.example.com/api/webhooks/smartlead/")


def test_cli_url_issues_once_rotates_and_sets_the_signature_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from inboxapp.cli import main

    ws = Shop.create("CLI", require_signature=False).ws
    base = ["webhooks", "url", "--client-id", str(ws.id), "--provider", "smartlead", "--json"]
    # The fixture created endpoints already: the URL is not shown again, the secret is.
    assert main(base) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["url"] is None and shown["signingSecret"].startswith("whsec_")
    assert main([*base, "--rotate", "--require-signature"]) == 0
    rotated = json.loads(capsys.readouterr().out)
    assert rotated["url"].startswith(f"{inbound_settings().base_url()}/api/webhooks/smartlead/")
    assert rotated["requireSignature"] is True and rotated["previousValidUntil"]
    assert list(rotated)[:2] == ["url", "signingSecret"]
    assert main(["webhooks", "url", "--client-id", str(uuid.uuid4()), "--provider", "ghl"]) == 2
    assert "no workspace" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["webhooks", "url", "--client-id", str(ws.id), "--provider", "fax"])
    assert exit_info.value.code == 2
    assert main(["webhooks", "replay", "--event-id", str(uuid.uuid4()), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["missing"]

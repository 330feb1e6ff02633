"""No personal data in the logs, and every line is structured JSON.

Representative flows run while ALL output is captured at the file-descriptor level (structlog,
stdlib logging, and a job worker subprocess): login, refresh, me, logout, a failing login, inbox
reads over HTTP, a reply through the write service whose body carries a unique marker, a lead
with an email address and a phone number, and a job run (the recompute the counts read queued,
carrying the request's ``x-request-id``). Then: no email address, phone number, JWT, password,
refresh token or message body appears anywhere, and every stderr line is a JSON object.
Reflex's, Engine.IO's and asyncio's own lines (driven through the real library functions that
print them, with Reflex's own console sink) carry no client token, socket id or event data.
The production server log of the browser tests is scanned too, after them
(``tests/browser/test_zz_app_log_pii.py``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient

from inboxapp import logs
from inboxapp.api.app import create_api
from inboxapp.config import PROJECT_ROOT
from inboxapp.inbox import actions
from tests import factories as f

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w-])\+\d{8,15}(?![\w-])|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")


@pytest.fixture
def all_output(capfd: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """Route structlog and stdlib logging to file descriptor 2 for the test, then restore.

    ``configure_logging`` binds the stream object current at configuration time; for this test
    it is bound to ``sys.__stderr__`` (fd 2), which ``capfd`` captures, like the subprocesses.
    """
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_structlog = structlog.get_config()
    saved_stderr = sys.stderr
    logs._configured = False
    sys.stderr = sys.__stderr__
    try:
        logs.configure_logging("DEBUG")
    finally:
        sys.stderr = saved_stderr
    try:
        yield capfd
    finally:
        sys.__stderr__.flush()
        structlog.configure(**saved_structlog)
        root.handlers, root.level = saved_handlers, saved_level
        logs._configured = True


def _json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if line.strip():
            out.append(json.loads(line))  # raises on a line that is not JSON
    return out


def test_no_pii_in_the_logs_of_representative_flows(all_output) -> None:
    marker = f"BODYMARKER{uuid.uuid4().hex}"
    password = f"Secret-{uuid.uuid4().hex[:8]}!pw"
    email = f"pii.{uuid.uuid4().hex[:8]}@example.org"
    lead_email, lead_phone = f"lead.{uuid.uuid4().hex[:8]}@prospect.example", "+15550142337"
    request_id = f"pii-test-{uuid.uuid4().hex[:12]}"

    from inboxapp.auth.passwords import hash_password
    from inboxapp.db.engine import owner_session
    from inboxapp.db.models import User

    user = User(email=email, displayName="Pia Pii", passwordHash=hash_password(password))
    with owner_session() as s:
        s.add(user)
    ws = f.create_workspace("PII workspace", user)
    lead = f.create_lead(ws, email=lead_email, phone=lead_phone, firstName="Paula")
    f.create_message(lead, direction="inbound", body=f"call me at {lead_phone} or {lead_email}")

    secrets: list[str] = [password, marker, email, lead_email, lead_phone]
    api = TestClient(create_api())
    # login, refresh, me, a failing login, logout
    resp = api.post("/api/auth/token", json={"email": email, "password": password})
    assert resp.status_code == 200
    pair = resp.json()
    secrets += [pair["access_token"], pair["refresh_token"]]
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    assert api.get("/api/auth/me", headers=auth).status_code == 200
    resp = api.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert resp.status_code == 200, resp.text
    refreshed = resp.json()
    secrets += [refreshed["access_token"], refreshed["refresh_token"]]
    auth = {"Authorization": f"Bearer {refreshed['access_token']}"}
    wrong = api.post("/api/auth/token", json={"email": email, "password": password + "x"})
    assert wrong.status_code == 401
    # inbox reads (the counts read queues a recompute: no materialized row yet)
    params = {"clientId": str(ws.id)}
    resp = api.get("/api/inbox/counts", params=params, headers={**auth, "x-request-id": request_id})
    assert resp.status_code == 200
    assert api.get("/api/inbox/conversations", params={**params, "q": lead_email}, headers=auth)
    resp = api.get(f"/api/inbox/conversations/{lead.id}", params=params, headers=auth)
    assert resp.status_code == 200 and lead_email in resp.text  # the data is there, not logged
    # a reply through the write service, with the marker in its body
    actions.reply(user.id, ws.id, lead.id, f"Hi Paula, {marker} - reach me at {email}")
    assert api.post("/api/auth/logout", json={"refresh_token": refreshed["refresh_token"]})
    # a job run (another process; its stderr is fd 2 too)
    run = subprocess.run(
        [sys.executable, "-m", "inboxapp", "jobs", "run-once", "--queues", "counts"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "LOG_LEVEL": "INFO"},
        timeout=120,
        check=False,
    )
    assert run.returncode == 0

    out, err = all_output.readouterr()
    everything = out + err
    for secret in secrets:
        assert secret not in everything, f"a secret leaked into the logs: {secret[:12]}..."
    for name, pattern in (("email", EMAIL), ("phone", PHONE), ("jwt", JWT)):
        found = pattern.findall(everything)
        assert not found, f"{name} pattern in the logs: {found[:3]}"

    lines = _json_lines(err)  # every stderr line is one JSON object
    assert all("event" in line and "level" in line and "timestamp" in line for line in lines)
    access = [line for line in lines if line["event"] == "http.request"]
    assert access and all(
        {"requestId", "route", "status", "result", "latencyMs"} <= line.keys() for line in access
    )
    counts = next(line for line in access if line.get("requestId") == request_id)
    assert counts["route"] == "/api/inbox/counts" and counts["clientId"] == str(ws.id)
    assert counts["cache"] in ("miss", "bypass") and counts["userId"] == str(user.id)
    assert counts["result"] == "ok"
    failed = [
        line for line in access if line["route"] == "/api/auth/token" and line["status"] == 401
    ]
    assert failed and failed[0]["result"] == "client_error"
    # the job carries the id of the request that queued it
    jobs = [line for line in lines if line["event"] == "job finished"]
    mine = [line for line in jobs if line.get("clientId") == str(ws.id)]
    assert mine and mine[0]["requestId"] == request_id and "latencyMs" in mine[0]


# -- the scrubber itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "reach me at jane.doe+sales@example.co.uk today",
        "phone +442071838750",
        "phone (555) 123-4567",
        "phone 555.123.4567",
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXN0dWZm",
    ],
)
def test_the_scrubber_redacts_patterns(value: str) -> None:
    scrubbed = logs.scrub_text(value)
    assert "[redacted]" in scrubbed
    assert not EMAIL.search(scrubbed) and not JWT.search(scrubbed)
    assert not PHONE.search(scrubbed)


def test_the_scrubber_redacts_sensitive_keys_and_keeps_ids() -> None:
    event = {
        "event": "x",
        "password": "hunter2",
        "body": "hello",
        "Authorization": "Bearer abc",
        "refresh_token": "r",
        "email": "a@b.co",
        "phone": "+15550000000",
        "clientId": "0b0e5a52-6a43-4d2e-9d0c-4a3f1b8a7c11",
        "note": "mail bob@example.com",
        "latencyMs": 12.5,
    }
    out = logs._scrub(None, "info", dict(event))
    for key in ("password", "body", "Authorization", "refresh_token", "email", "phone"):
        assert out[key] == "[redacted]", key
    assert out["clientId"] == event["clientId"] and out["latencyMs"] == 12.5
    assert out["note"] == "mail [redacted]"


def test_stdlib_records_are_scrubbed_json(all_output) -> None:
    logging.getLogger("some.library").warning("user %s failed", "someone@example.com")
    structlog.get_logger("x").info(
        "plain", detail="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature"
    )
    _, err = all_output.readouterr()
    lines = _json_lines(err)
    assert [line["event"] for line in lines] == ["user [redacted] failed", "plain"]
    assert lines[0]["logger"] == "some.library" and lines[1]["detail"] == "[redacted]"


# -- framework logs: Reflex, Socket.IO / Engine.IO, asyncio ------------------------------------


@pytest.fixture
def reflex_sinks(all_output) -> Iterator[pytest.CaptureFixture[str]]:
    """Reflex's own sinks as in ``reflex run`` (managed mode: its rich console handler on the
    ``reflex`` logger, no propagation to ours), beside our JSON handler for everything else."""
    from reflex_base.utils import log as reflex_log

    reflex_log.configure()
    try:
        yield all_output
    finally:
        reflex_log._reset()


def test_reflex_and_socket_logs_carry_no_client_token_sid_or_event_data(reflex_sinks) -> None:
    import asyncio
    import gc

    import engineio
    from engineio import packet
    from engineio.async_socket import AsyncSocket
    from reflex.app import EventNamespace
    from reflex_base.event import Event

    from inboxapp.logs import session_key

    token, other_token = str(uuid.uuid4()), str(uuid.uuid4())
    marker = f"BODYMARKER{uuid.uuid4().hex}"
    refresh = "Rf" + uuid.uuid4().hex + "x_-Yz12A9"  # 43 url-safe characters
    payload = {"body": marker, "refresh_token": refresh}
    eio_logger = logging.getLogger("engineio.server.pii")
    eio_logger.setLevel(logging.INFO)
    eio = engineio.AsyncServer(async_mode="asgi", logger=eio_logger)
    sid, unknown_sid = eio.generate_id(), eio.generate_id()
    events = EventNamespace("/_event", None)  # type: ignore[arg-type]
    events.sid_to_token[sid] = token

    async def flows() -> None:
        # a delta for a tab that went away (Reflex names the tab's client token)
        await events.emit_update(None, other_token)  # type: ignore[arg-type]
        # an event from a socket without a token, and undecodable / non-dict events; the
        # failures end as Socket.IO's background tasks do: an exception never retrieved
        await events.on_event(unknown_sid, {"name": "x.y", "payload": payload})
        for garbage in (json.dumps({"name": "x", "payload": payload})[:-3], [payload]):
            task = asyncio.ensure_future(events.on_event(sid, garbage))
            await asyncio.wait([task])
            del task
            gc.collect()
        # Engine.IO's packet log (at INFO, as with engineio_logger=True)
        socket = AsyncSocket(eio, sid)
        frame = "42" + json.dumps(["event", {"token": token, "payload": payload}])
        await socket.send(packet.Packet(packet.MESSAGE, data=frame))
        await socket.receive(packet.Packet(packet.PONG, data=frame))
        # the event processor's failure line names the whole Event (router data and payload)
        event = Event(name="state.reply", router_data={"token": token, "sid": sid}, payload=payload)
        try:
            raise RuntimeError(f"handler failed for {token}")
        except RuntimeError:
            logging.getLogger("reflex_base.event.processor.event_processor").exception(
                f"Error processing event queue entry for {event} [txid=t1]:"
            )

    asyncio.run(flows())
    out, err = reflex_sinks.readouterr()
    everything = out + err
    for secret in (token, other_token, sid, unknown_sid, marker, refresh):
        assert secret not in everything, f"leaked into the logs: {secret[:12]}..."
    # the lines are there, with the hashes instead of the tokens (rich wraps at 80 columns)
    flat = " ".join(everything.split())
    for line in (
        f"Attempting to send delta to disconnected client '<token {session_key(other_token)}>'",
        f"Received event from session <sid {session_key(unknown_sid)}> with no associated token",
        "Failed to deserialize event data: [dropped]",
        "Event data must be a dictionary, but received [dropped] of type <class 'list'>",
        "Task exception was never retrieved",
        f"<sid {session_key(sid)}>: Sending packet MESSAGE data [dropped]",
        "Received packet PONG data [dropped]",
        "Error processing event queue entry for Event(name='state.reply', [dropped]) [txid=t1]",
        f"RuntimeError: handler failed for <token {session_key(token)}>",
    ):
        assert line in flat, line


TAB = "f50d6c38-0593-44f9-ca15-d11bafbbb669"  # a Reflex client token as the browser makes them


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"client '{TAB}'", "client '<token {key}>'"),
        (f"key {TAB}_reflex___state", "key <token {key}>_reflex___state"),
        ("Event data: {'a': 1}\nsecond line", "Event data: [dropped]"),
        ("Error transforming event payload for handler S.h: bad 'x'", "handler S.h: [dropped]"),
        ("reach a@b.example", "reach [redacted]"),
    ],
)
def test_framework_text_redaction(text: str, expected: str) -> None:
    from inboxapp.logs import session_key

    redacted = logs.redact_framework_text(text)
    assert redacted.endswith(expected.format(key=session_key(TAB))), redacted
    assert TAB not in redacted and "'a': 1" not in redacted and "second" not in redacted


def test_our_own_lines_keep_their_ids(all_output) -> None:
    client_id = str(uuid.uuid4())
    logging.getLogger("inboxapp.some").warning("workspace %s", client_id)
    structlog.get_logger("x").info("plain", clientId=client_id)
    _, err = all_output.readouterr()
    assert [line.get("clientId", line["event"]) for line in _json_lines(err)] == [
        f"workspace {client_id}",
        client_id,
    ]


def test_refresh_tokens_are_scrubbed_everywhere(all_output) -> None:
    from inboxapp.auth.tokens import new_refresh_token

    tokens = [new_refresh_token()[0] for _ in range(20)]
    structlog.get_logger("x").info("refreshed", detail=" ".join(tokens))
    logging.getLogger("some.library").error("tokens %s", tokens)
    _, err = all_output.readouterr()
    assert "refreshed" in err and "tokens" in err
    assert all(token not in err for token in tokens)


def test_a_framework_record_that_cannot_be_formatted_does_not_raise(all_output) -> None:
    logging.getLogger("reflex.app").warning("%s and %s", "only one")
    _, err = all_output.readouterr()
    assert "unprintable warning record of reflex.app" in err

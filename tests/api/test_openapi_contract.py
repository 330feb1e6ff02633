"""The OpenAPI document is the contract: schemathesis, with all of its checks, against every
operation of the in-process app (real PostgreSQL as the runtime role, real Redis).

Authenticated operations carry a real bearer token of a workspace owner. Schema-valid requests
are steered towards that workspace, its lead and well-formed cursors and windows (values no
schema can describe: ids that exist, opaque tokens, the span of a custom window) so that the
success paths run as well as the 401/403/404 ones; schema-violating requests are sent as
generated. The seed is fixed, so every run sends the same requests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.parameters import ParameterLocation

from inboxapp.analytics.queries import DEFAULT_SORT, CrmCursor
from inboxapp.analytics.windows import CUSTOM, MAX_CUSTOM_DAYS, MAX_YEAR, MIN_YEAR, PRESETS
from inboxapp.api.app import build_api
from inboxapp.inbox.params import Cursor
from tests import factories as f

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 14,
        "suppress-health-check": ["too_slow"],  # a slow, shared CI machine is not a defect
        "generation": {"max-examples": 30, "mode": "all", "database": "none"},
        "checks": {"enabled": True},
    }
)
API = build_api()  # settings are read per request, after conftest has set them up
schema = schemathesis.openapi.from_asgi("/api/openapi.json", API, config=CONFIG)
CRM = "/api/analytics/crm/rows"


@dataclass(frozen=True)
class World:
    auth: dict[str, str]
    client_id: str
    lead_id: str
    setter_id: str
    draft_ids: list[str]
    message_id: str


@pytest.fixture(scope="module")
def world() -> World:
    owner = f.create_user(name="Contract Owner")
    workspace = f.create_workspace("Contract", owner)
    setter = f.create_user(name="Contract Setter")
    f.add_member(workspace, setter, "SETTER")
    campaign = f.create_campaign(workspace)
    lead = f.create_lead(workspace, campaignId=campaign.id, sentimentTag="Interested")
    message = f.create_message(lead, direction="inbound", body="Tell me more")
    drafts = [f.create_draft(lead) for _ in range(3)]
    for _ in range(3):
        f.create_lead(workspace)
    token = TestClient(API).post(
        "/api/auth/token", json={"email": owner.email, "password": f.PASSWORD}
    )
    assert token.status_code == 200, token.text
    return World(
        {"Authorization": f"Bearer {token.json()['access_token']}"},
        str(workspace.id),
        str(lead.id),
        str(setter.id),
        [str(d.id) for d in drafts],
        str(message.id),
    )


def test_every_check_is_on() -> None:
    load_all_checks()
    names = CHECKS.get_all_names()
    assert len(names) >= 10
    assert all(CONFIG.projects.default.checks.get_by_name(name=n).enabled for n in names)


@schema.parametrize()
def test_every_operation_keeps_the_contract(case: Any, world: World) -> None:
    meta = case.meta
    if meta is None or not meta.is_negative_at(ParameterLocation.QUERY):
        steer_query(case.operation.path, case.query, world)
    path = case.path_parameters or {}
    if meta is None or not meta.is_negative_at(ParameterLocation.PATH):
        for name, value in (
            ("leadId", world.lead_id),
            ("draftId", world.draft_ids[0]),  # approving or rejecting it: later ones are 409
            ("messageId", world.message_id),
        ):
            if _mostly(path.get(name)):
                path[name] = value
    if meta is None or not meta.is_negative_at(ParameterLocation.BODY):
        steer_body(case.body, world)
    headers = world.auth if case.operation.definition.raw.get("security") else None
    case.call_and_validate(headers=headers)


def steer_query(path: str, query: dict[str, Any] | None, world: World) -> None:
    """Keep a schema-valid query schema-valid while making it mean something here."""
    if not query:
        return
    if "clientId" in query and _mostly(query["clientId"]):
        query["clientId"] = world.client_id
    if query.get("cursor"):  # any position is a valid one
        lead, at = uuid.uuid4(), datetime(2026, 1, 1, tzinfo=UTC)
        crm = CrmCursor(query.get("sort", DEFAULT_SORT), at, lead)
        query["cursor"] = crm.encode() if path == CRM else Cursor(at, lead).encode()
    if "from" in query or "to" in query:
        window = query.get("window")
        if window in PRESETS:
            query.pop("from", None)
            query.pop("to", None)
        else:
            query["from"], query["to"] = _custom_window(query.get("from"), query.get("to"))
            if window is not None:
                query["window"] = CUSTOM
    elif query.get("window") == CUSTOM:
        query["from"], query["to"] = _custom_window(None, None)


def steer_body(body: Any, world: World) -> None:
    """Values a body schema cannot describe: a setter of the workspace, a time ahead."""
    if not isinstance(body, dict):
        return
    if isinstance(body.get("userId"), str):  # a random id is 400 NOT_A_SETTER
        body["userId"] = world.setter_id
    if body.get("until"):
        body["until"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()


def _mostly(value: object) -> bool:
    """True for about three values in four (the rest stay random: not a member, no such lead)."""
    return isinstance(value, str) and value[:1] not in ("0", "1", "2", "3")


def _custom_window(start: str | None, end: str | None) -> tuple[str, str]:
    """A valid custom window near the generated dates: in range, ordered, at most 180 days."""

    def clamp(text: str | None) -> date:
        try:
            day = date.fromisoformat(text) if text else date(2026, 1, 1)
        except ValueError:
            day = date(2026, 1, 1)
        return day.replace(year=min(max(day.year, MIN_YEAR), MAX_YEAR - 1), day=min(day.day, 28))

    first, last = sorted((clamp(start), clamp(end)))
    last = min(last, first + timedelta(days=MAX_CUSTOM_DAYS - 1))
    return first.isoformat(), last.isoformat()

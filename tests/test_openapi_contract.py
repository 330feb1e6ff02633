from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient

from inboxapp.api.app import create_api
from tests import factories as f

schema = schemathesis.openapi.from_dict(
    create_api().openapi(),
    config=schemathesis.Config.from_dict(
        {"seed": 14, "generation": {"max-examples": 25, "mode": "all"}}
    ),
)


@pytest.fixture(scope="module")
def seeded():
    app = create_api()
    schema.app = app
    owner = f.create_user(name="Contract Owner")
    ws = f.create_workspace("Contract", owner)
    lead = f.create_lead(ws)
    client = TestClient(app)
    resp = client.post("/api/auth/token", json={"email": owner.email, "password": f.PASSWORD})
    tok = resp.json()["access_token"]
    return app, tok, ws, lead


@schema.parametrize()
def test_contract(case, seeded) -> None:
    app, tok, ws, lead = seeded
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {tok}"})

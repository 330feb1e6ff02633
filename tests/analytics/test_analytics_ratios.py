"""Analytics that add up: over random small workspaces (random later writes, incremental
rollups, random windows, owner and setter scope), every KPI numerator is at most its
denominator, every ratio lies in 0..100 %, the campaigns add up to the overview and every
payload names the cohort of each KPI."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inboxapp.analytics import read, rollup
from inboxapp.analytics.cohorts import CAMPAIGN_COHORTS, OVERVIEW_COHORTS, SETTER_COHORTS
from inboxapp.analytics.windows import parse_window
from tests import factories as f
from tests.analytics.test_analytics import BASE, apply_op, build_world, op_st, world_st

CHAINS = {
    "overview": ("totalLeads", "leadsContacted", "responses", "positiveReplies",
                 "meetingsRequested", "meetingsBooked"),
    "campaign": ("leads", "contacted", "replies", "positiveReplies", "meetingsRequested",
                 "meetingsBooked"),
    "setter": ("assigned", "responded", "positive", "requested", "booked"),
}  # fmt: skip
"""Each payload's stages, each a subset of the one before."""
RATES = {
    "overview": {"responseRate": ("responses", "leadsContacted")},
    "campaign": {
        "replyRate": ("replies", "contacted"),
        "positiveRate": ("positiveReplies", "replies"),
        "meetingRequestRate": ("meetingsRequested", "replies"),
        "bookingRate": ("meetingsBooked", "replies"),
    },
    "setter": {f"{b}Rate": (b, a) for a, b in itertools.pairwise(CHAINS["setter"])},
}
"""Each ratio and its (numerator, denominator)."""


def assert_adds_up(kind: str, row: dict[str, Any]) -> None:
    chain = [row[k] for k in CHAINS[kind]]
    assert all(n >= 0 for n in chain), (kind, row)
    assert chain == sorted(chain, reverse=True), (kind, row)  # numerator <= denominator
    for rate, (part, whole) in RATES[kind].items():
        assert row[part] <= row[whole], (kind, rate, row)
        if row[whole]:
            assert 0 <= row[rate] <= 100, (kind, rate, row)
            assert abs(row[rate] - 100 * row[part] / row[whole]) <= 0.05, (kind, rate, row)
        else:
            assert row[rate] is None, (kind, rate, row)


@pytest.fixture(scope="module")
def people() -> dict[str, Any]:
    owner = f.create_user(name="Ratios owner")
    return {"owner": owner, "setters": [f.create_user(name=f"Ratio setter {i}") for i in range(2)]}


day_st = st.integers(min_value=-2, max_value=10)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    world=world_st,
    ops=st.lists(op_st, max_size=4),
    start=day_st,
    length=st.integers(min_value=0, max_value=8),
)
def test_every_ratio_is_within_0_and_100_percent(
    people: dict[str, Any], world: dict[str, Any], ops: list[Any], start: int, length: int
) -> None:
    client, _leads = build_world(people, world)
    setter = people["setters"][0]
    f.add_member(client, setter, "SETTER")
    rollup.rebuild_workspace(client.id)
    for op in ops:  # later history: the cohorts' "so far" stages change after the fact
        apply_op(client, people, op)
    rollup.rollup_workspace(client.id)
    first = (BASE + timedelta(days=start)).date()
    spec = parse_window("custom", first.isoformat(), (first + timedelta(days=length)).isoformat())
    for user in (people["owner"], setter):
        overview = read.overview(user.id, client.id, spec, "core").data
        core = overview["core"]
        assert_adds_up("overview", core)
        assert set(core["cohorts"]) == set(OVERVIEW_COHORTS)
        campaigns = read.campaigns(user.id, client.id, spec).data
        assert set(campaigns["cohorts"]) == set(CAMPAIGN_COHORTS)
        for row in campaigns["campaigns"]:
            assert_adds_up("campaign", row)
        for mine, theirs in zip(CHAINS["campaign"], CHAINS["overview"], strict=True):
            assert sum(r[mine] for r in campaigns["campaigns"]) == core[theirs]
        funnel = read.setters(user.id, client.id, spec).data
        assert set(funnel["cohorts"]) == set(SETTER_COHORTS)
        for row in funnel["setters"]:
            assert_adds_up("setter", row)

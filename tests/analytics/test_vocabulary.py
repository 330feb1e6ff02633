"""Analytics and the inbox share one status vocabulary: every status the seed writes is one the
inbox can set and the analytics status filter accepts."""

from __future__ import annotations

import random

import pytest

from inboxapp.analytics.queries import parse_crm_params
from inboxapp.domain.vocabulary import LEAD_STATUSES
from inboxapp.errors import BadRequest
from inboxapp.seed.factory import KINDS, LeadFactory, _Lead


def test_every_seeded_status_is_in_the_vocabulary() -> None:
    rng = random.Random(7)
    written = set()
    for kind in KINDS:
        for i in range(200):
            lead = _Lead(f"lead-{kind}-{i}", kind)
            LeadFactory._sentiment(rng.random, lead)
            written.add(lead.status)
    assert "engaged" in written  # the seed's replied-but-neutral leads
    assert written <= set(LEAD_STATUSES)


@pytest.mark.parametrize("status", LEAD_STATUSES)
def test_the_analytics_status_filter_accepts_every_status(status: str) -> None:
    assert parse_crm_params(status=status).statuses == (status,)


def test_the_analytics_status_filter_rejects_unknown_statuses() -> None:
    with pytest.raises(BadRequest):
        parse_crm_params(status="enagaged")

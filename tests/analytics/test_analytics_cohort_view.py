"""The analytics screen names every KPI's cohort (from the payload, with the definitions as the
fallback for older cached payloads) and CRM rows link to their conversation."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from inboxapp.analytics import view as a
from inboxapp.analytics.cohorts import CAMPAIGN_COHORTS, OVERVIEW_COHORTS, SETTER_COHORTS


def test_kpi_hints_name_the_payload_cohorts() -> None:
    core = {"setterResponses": 3, "cohorts": {**OVERVIEW_COHORTS, "totalLeads": "custom words"}}
    _values, hints = a.kpi_view(core)
    assert hints["totalLeads"] == "Custom words"
    assert hints["leadsContacted"] == "Of the leads created in the window: contacted so far"
    assert hints["setterMedianResponse"] == "Setter replies sent in the window · 3 replies"
    _values, old = a.kpi_view({})  # a payload cached before cohorts existed
    assert old["responses"].startswith("Of the leads created in the window")


def test_campaign_and_setter_tables_carry_a_cohort_legend() -> None:
    campaigns = a.campaigns_view({"campaigns": [], "cohorts": CAMPAIGN_COHORTS})
    legend = {i["label"]: i["text"] for i in campaigns["campaign_cohorts"]}
    assert list(legend) == [label for _, label in a.CAMPAIGN_LEGEND]
    assert legend["Leads"] == "Leads created in the window, by campaign"
    setters = a.setters_view({"setters": [], "cohorts": SETTER_COHORTS})
    legend = {i["label"]: i["text"] for i in setters["setter_cohorts"]}
    assert legend["Assigned"] == "Leads assigned in the window, by current assignee"
    assert set(a.EMPTY_TAB_VARS) >= {"campaign_cohorts", "setter_cohorts"}


def test_crm_rows_link_to_the_conversation() -> None:
    client, lead = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
    rows = a.crm_view({"clientId": client, "timezone": "UTC", "items": [{"id": lead}]})
    url = urlsplit(rows[0]["href"])
    assert url.path == "/"
    assert parse_qs(url.query) == {"clientId": [client], "leadId": [lead]}

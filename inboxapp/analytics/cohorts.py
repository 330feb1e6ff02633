"""Cohorts: the one definition of what every analytics ratio divides.

A KPI that is a part of another counts leads of one **cohort** (the leads whose anchor event
falls in the window) at successive **stages** of a chain: a lead reaches a stage only when it
also reached every earlier one, so each stage is a subset of the one before and of the cohort,
and no ratio between them can exceed 100 %. The stages are "so far": a lead created in the
window that replies next month counts as replied from then on (the rollup refiles it: see the
cohort triggers of migration 0015).

* ``created``: leads created in the window (the overview and the campaigns): contacted (we or
  the campaign tool sent an outbound message) -> replied (an inbound message) -> positive
  (``positiveAt`` set) -> meeting requested (Meeting/Call Requested, Meeting Booked or booked)
  -> booked (``appointmentBookedAt`` set).
* ``assigned``: leads assigned in the window, by current assignee (the setter funnel):
  responded (we answered: an outbound message sent by a setter or the AI) -> positive ->
  meeting requested -> booked.
"""

from __future__ import annotations

REQUESTED_TAGS = ("Meeting Requested", "Call Requested", "Meeting Booked")

COHORT_METRICS = ("leads", "contacted", "replied", "answered", "positive", "requested", "booked")
"""The columns of ``analytics_cohort_daily``: the cohort's size, then every stage."""

COHORT_STAGES: dict[str, tuple[str, ...]] = {
    "created": ("contacted", "replied", "positive", "requested", "booked"),
    "assigned": ("answered", "positive", "requested", "booked"),
}
"""Each cohort's chain of stages (the metrics not in a chain stay 0 for that cohort)."""

STAGE_SQL: dict[str, str] = {
    "contacted": "c.contacted",
    "replied": "c.replied",
    "answered": "c.answered",
    "positive": "c.positive",
    "requested": "c.requested",
    "booked": "c.booked",
}
"""Each stage's own condition over a ``cohort_leads`` row ``c`` (see the rollup's CTEs)."""

CREATED = "leads created in the window"
ASSIGNED = "leads assigned in the window"

OVERVIEW_COHORTS: dict[str, str] = {
    "totalLeads": CREATED,
    "leadsContacted": f"of the {CREATED}: contacted so far",
    "responses": f"of the {CREATED}: contacted and replied so far",
    "responseRate": "responses / leads contacted, of the leads created in the window",
    "positiveReplies": f"of the {CREATED}: replied and turned positive so far",
    "meetingsRequested": f"of the {CREATED}: positive and asked for a meeting so far",
    "meetingsBooked": f"of the {CREATED}: asked for a meeting and booked so far",
    "inboundMessages": "messages received in the window",
    "outboundMessages": "messages sent in the window",
    "setterMedianResponseSeconds": "setter replies sent in the window",
    "aiMedianResponseSeconds": "AI replies sent in the window",
}
"""What each overview KPI counts (shown under the KPI; the payload's ``cohorts``)."""

CAMPAIGN_COHORTS: dict[str, str] = {
    "leads": f"{CREATED}, by campaign",
    "contacted": "of those leads: contacted so far",
    "replies": "of the contacted: replied so far",
    "positiveReplies": "of the replies: positive so far",
    "meetingsRequested": "of the positive: asked for a meeting so far",
    "meetingsBooked": "of those asking: booked so far",
    "replyRate": "replies / contacted",
    "positiveRate": "positive / replies",
    "meetingRequestRate": "meetings requested / replies",
    "bookingRate": "meetings booked / replies",
}

SETTER_COHORTS: dict[str, str] = {
    "assigned": f"{ASSIGNED}, by current assignee",
    "responded": "of those leads: answered by us (setter or AI) so far",
    "positive": "of the answered: positive so far",
    "requested": "of the positive: asked for a meeting so far",
    "booked": "of those asking: booked so far",
    "respondedRate": "responded / assigned",
    "positiveRate": "positive / responded",
    "requestedRate": "requested / positive",
    "bookedRate": "booked / requested",
}


def stage_columns(cohort: str) -> str:
    """The SELECT list of one cohort's rows: every metric as 0/1 for a ``cohort_leads`` row
    ``c`` (``leads`` 1, a stage 1 when the lead meets it and every earlier stage)."""
    chain = COHORT_STAGES[cohort]
    cols = ["1 AS leads"]
    for metric in COHORT_METRICS[1:]:
        if metric in chain:
            conds = [STAGE_SQL[s] for s in chain[: chain.index(metric) + 1]]
            cols.append(f"({' AND '.join(conds)})::int AS {metric}")
        else:
            cols.append(f"0 AS {metric}")
    return ", ".join(cols)

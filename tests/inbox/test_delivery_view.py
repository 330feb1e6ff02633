"""How a message's way out reads in the conversation: Sent, Queued, Sending..., Not sent: why."""

from __future__ import annotations

from datetime import UTC, datetime

from inboxapp.domain.vocabulary import DELIVERY_STATUSES
from inboxapp.inbox.view import DELIVERY_LABELS, REASON_CHARS, message_view

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def view(**fields: object) -> dict[str, str]:
    item = {"id": "m1", "direction": "outbound", "channel": "email", "sentAt": NOW.isoformat()}
    return message_view({**item, **fields}, "Quinn", NOW, UTC)


def test_every_delivery_status_has_a_label() -> None:
    assert set(DELIVERY_LABELS) == set(DELIVERY_STATUSES)


def test_our_messages_say_how_far_they_got() -> None:
    assert view(deliveryStatus="sent")["delivery_label"] == "Sent"
    assert view(deliveryStatus="queued")["delivery_label"] == "Queued"
    assert view(deliveryStatus="sending")["delivery_label"] == "Sending\u2026"
    failed = view(deliveryStatus="failed", deliveryError="EmailBison refused the API key")
    assert failed["delivery"] == "failed"
    assert failed["delivery_label"] == "Not sent: EmailBison refused the API key"
    assert view(deliveryStatus="failed", deliveryError=None)["delivery_label"] == "Not sent"


def test_inbound_and_unknown_statuses_show_no_delivery_line() -> None:
    assert view(direction="inbound", deliveryStatus="failed")["delivery"] == ""
    odd = view(deliveryStatus="<img src=x onerror=alert(1)>")
    assert odd["delivery"] == "" and odd["delivery_label"] == ""


def test_a_long_reason_is_cut_and_flattened() -> None:
    label = view(deliveryStatus="failed", deliveryError="a\n" + "b" * 1000)["delivery_label"]
    assert label.startswith("Not sent: a b") and len(label) == len("Not sent: ") + REASON_CHARS

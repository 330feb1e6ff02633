"""Inbound limits; the settings themselves live in :mod:`inboxapp.config.pipeline`."""

from __future__ import annotations

from inboxapp.config.pipeline import InboundSettings, inbound_settings

__all__ = ["MAX_BODY_BYTES", "SIGNATURE_TOLERANCE_S", "InboundSettings", "inbound_settings"]

MAX_BODY_BYTES = 1024 * 1024
"""A webhook body over 1 MiB is refused (413) before it is read further."""
SIGNATURE_TOLERANCE_S = 300
"""A signature's timestamp may be at most this far from now (either way)."""

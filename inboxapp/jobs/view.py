"""What the jobs screen shows, as plain values: job kinds and states as labels, ages and
durations, one display-ready table row per job of ``job_status_for()``. No Reflex; the state in
:mod:`inboxapp.state.jobs` calls these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

KIND_LABELS = {
    "recompute_inbox_counts": "Recompute inbox counts",
    "rollup_analytics": "Analytics rollup",
    "sweep": "Sweep",
}
STATE_LABELS = {
    "queued": "queued",
    "running": "running",
    "succeeded": "succeeded",
    "failed": "failed",
    "retrying": "retrying",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def age_label(value: Any, now: datetime) -> str:
    """A short age: "just now", "5 min ago", "3 h ago", "2 d ago" ("" when unknown).

    Minute granularity on purpose: a refresh every 2 s does not change the text (no delta).
    """
    at = parse_time(value)
    if at is None:
        return ""
    seconds = max(0, int((now - at).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def duration_text(ms: Any) -> str:
    if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(ms // 1000, 60)
    return f"{minutes} min {seconds} s"


def _count(value: Any) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else ""


def job_row(job: Mapping[str, Any], now: datetime) -> dict[str, str]:
    """One table row of ``workspace_job_status()["jobs"]``, as display strings."""
    kind = str(job.get("job") or "")
    state = str(job.get("state") or "")
    success_at = parse_time(job.get("lastSuccessAt"))
    return {
        "kind": kind,
        "label": kind_label(kind),
        "state": state if state in STATE_LABELS else "",
        "state_label": STATE_LABELS.get(state, "no runs yet"),
        "attempts": _count(job.get("attempts")),
        "last_success": age_label(job.get("lastSuccessAt"), now) or "never",
        "last_success_at": success_at.isoformat(timespec="seconds") if success_at else "",
        "duration": duration_text(job.get("lastDurationMs")),
        "error": str(job.get("lastErrorCode") or ""),
        "depth": _count(job.get("queueDepth")) or "0",
        "dead": _count(job.get("deadLettered")) or "0",
    }


def job_rows(payload: Mapping[str, Any], now: datetime) -> list[dict[str, str]]:
    return [job_row(job, now) for job in payload.get("jobs") or [] if isinstance(job, Mapping)]

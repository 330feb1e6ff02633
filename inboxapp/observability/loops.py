"""Event-loop detection for Reflex sessions: the pure core (no Reflex, no I/O, no clock).

A "loop" is one event handler firing again and again for one browser session: a handler that
re-triggers itself, two components that keep updating each other through the backend, an
``on_change`` that feeds its own value back. :class:`LoopDetector` counts events per
(session, handler) in a sliding window and reports ONE :class:`LoopWarning` when a handler
fires more than ``threshold`` times within ``window_s`` seconds. It reports that pair again
only after the handler was quiet for a whole window (a new episode).

Memory is bounded: at most ``threshold + 1`` timestamps per pair, and pairs idle for longer
than ``idle_s`` are dropped (checked at most every ``idle_s / 2`` seconds of event time).

The Reflex hook that feeds it is :mod:`inboxapp.observability.reflex_hooks`
(installed only when ``DebugSettings.loops`` is on).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from inboxapp.config import DebugSettings, debug_settings

DEFAULT_THRESHOLD: int = DebugSettings.model_fields["loops_threshold"].default
DEFAULT_WINDOW_S: float = DebugSettings.model_fields["loops_window_s"].default


def enabled(settings: DebugSettings | None = None) -> bool:
    """The debug gate ``DebugSettings.loops`` (off by default) of ``settings`` or this process."""
    return (settings or debug_settings()).loops


@dataclass(frozen=True, slots=True)
class LoopWarning:
    """What is reported once per loop episode (no PII: a session key, a handler name, counts)."""

    session: str
    handler: str
    count: int
    """Events of this handler in the window when the threshold was crossed."""
    window_s: float
    threshold: int
    total: int
    """Events of this handler for this session since it was first (or last idle) seen."""

    @property
    def rate_per_s(self) -> float:
        return round(self.count / self.window_s, 1) if self.window_s > 0 else float(self.count)


@dataclass(slots=True)
class _Pair:
    times: deque[float] = field(default_factory=deque)
    last: float = 0.0
    total: int = 0
    alerted: bool = False


class LoopDetector:
    """Sliding-window counter per (session, handler). Not thread-safe: one per event loop."""

    def __init__(
        self,
        threshold: int = DEFAULT_THRESHOLD,
        window_s: float = DEFAULT_WINDOW_S,
        *,
        idle_s: float = 60.0,
    ) -> None:
        if threshold < 1 or window_s <= 0:
            raise ValueError("threshold must be >= 1 and window_s > 0")
        self.threshold = threshold
        self.window_s = window_s
        self.idle_s = max(idle_s, window_s)
        self.events = 0
        self.warnings = 0
        self._pairs: dict[tuple[str, str], _Pair] = {}
        self._next_prune = 0.0

    @classmethod
    def from_settings(cls, settings: DebugSettings | None = None) -> LoopDetector:
        """A detector with the threshold and window of ``settings`` (this process's default)."""
        s = settings or debug_settings()
        return cls(s.loops_threshold, s.loops_window_s)

    def record(self, session: str, handler: str, now: float) -> LoopWarning | None:
        """Count one event; a warning when this pair just crossed the threshold, else None."""
        self.events += 1
        if now >= self._next_prune:
            self._prune(now)
        key = (session, handler)
        pair = self._pairs.get(key)
        if pair is None:
            pair = self._pairs[key] = _Pair()
        elif now - pair.last > self.window_s:
            pair.alerted = False  # quiet for a whole window: a later burst is a new episode
            pair.times.clear()
            pair.total = 0
        pair.last = now
        pair.total += 1
        times = pair.times
        times.append(now)
        horizon = now - self.window_s
        while times and times[0] <= horizon:
            times.popleft()
        while len(times) > self.threshold + 1:
            times.popleft()
        if len(times) <= self.threshold or pair.alerted:
            return None
        pair.alerted = True
        self.warnings += 1
        return LoopWarning(
            session=session,
            handler=handler,
            count=len(times),
            window_s=self.window_s,
            threshold=self.threshold,
            total=pair.total,
        )

    def counts(self) -> dict[tuple[str, str], int]:
        """Events per (session, handler) since each pair was first (or last idle) seen."""
        return {key: pair.total for key, pair in self._pairs.items()}

    def forget(self, session: str) -> None:
        """Drop one session's counters (its browser tab went away)."""
        for key in [k for k in self._pairs if k[0] == session]:
            del self._pairs[key]

    def _prune(self, now: float) -> None:
        stale = [k for k, p in self._pairs.items() if now - p.last > self.idle_s]
        for key in stale:
            del self._pairs[key]
        self._next_prune = now + self.idle_s / 2

"""Loop instrumentation: the pure detector, and a deliberately looping handler run through
Reflex's real event processor with the real hook (``reflex_hooks.install``)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import reflex as rx
import structlog
from reflex.istate.manager.memory import StateManagerMemory
from reflex_base.event import Event
from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor
from reflex_base.registry import RegistrationContext

from inboxapp.config import DebugSettings, debug_settings, env_names
from inboxapp.observability import loops, reflex_hooks
from inboxapp.observability.loops import LoopDetector

WORKSPACE = "0b0e5a52-6a43-4d2e-9d0c-4a3f1b8a7c11"


@pytest.fixture(autouse=True)
def no_debug_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The loop settings of the surrounding shell must not decide these tests."""
    for field in DebugSettings.model_fields:
        for name in env_names(DebugSettings, field):
            monkeypatch.delenv(name, raising=False)
    debug_settings.cache_clear()
    yield
    monkeypatch.undo()
    debug_settings.cache_clear()


# -- the pure detector -----------------------------------------------------------------------


def test_warns_once_when_a_handler_crosses_the_threshold() -> None:
    detector = LoopDetector(threshold=20, window_s=2.0)
    results = [detector.record("s1", "S.spin", i * 0.01) for i in range(100)]
    warnings = [w for w in results if w is not None]
    assert len(warnings) == 1
    first = results.index(warnings[0])
    assert first == 20  # the 21st event within 2 s
    w = warnings[0]
    assert (w.session, w.handler, w.count, w.threshold, w.total) == ("s1", "S.spin", 21, 20, 21)
    assert w.rate_per_s == 10.5
    assert detector.counts() == {("s1", "S.spin"): 100}


def test_slow_repeats_and_other_pairs_never_warn() -> None:
    detector = LoopDetector(threshold=20, window_s=2.0)
    # 9 per second for a minute: 18 per window, never more than 20.
    assert all(detector.record("s1", "S.tick", i / 9) is None for i in range(540))
    # 15 each for many handlers and sessions at the same instant: counted apart.
    for session in ("a", "b"):
        for handler in ("S.x", "S.y", "T.x"):
            assert all(detector.record(session, handler, 100.0) is None for _ in range(15))
    assert detector.warnings == 0


def test_a_new_episode_after_a_quiet_window_warns_again() -> None:
    detector = LoopDetector(threshold=5, window_s=1.0)
    assert sum(detector.record("s", "h", i * 0.01) is not None for i in range(50)) == 1
    # quiet for more than a window, then another burst
    assert sum(detector.record("s", "h", 10 + i * 0.01) is not None for i in range(50)) == 1
    assert detector.warnings == 2


def test_idle_pairs_are_dropped() -> None:
    detector = LoopDetector(threshold=5, window_s=1.0, idle_s=10.0)
    for i in range(1000):
        detector.record(f"session-{i}", "h", 0.0)
    assert len(detector.counts()) == 1000
    detector.record("late", "h", 100.0)
    assert list(detector.counts()) == [("late", "h")]
    detector.forget("late")
    assert detector.counts() == {}


def test_gate_and_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    def environment(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        debug_settings.cache_clear()

    assert not loops.enabled()
    environment(INBOXAPP_DEBUG_LOOPS="0")
    assert not loops.enabled()
    environment(INBOXAPP_DEBUG_LOOPS="1")
    assert loops.enabled()
    environment(INBOXAPP_DEBUG_LOOPS_THRESHOLD="50", INBOXAPP_DEBUG_LOOPS_WINDOW_S="5")
    custom = LoopDetector.from_settings()
    assert (custom.threshold, custom.window_s) == (50, 5.0)
    with pytest.raises(ValueError):
        LoopDetector(threshold=0)


# -- through Reflex's event processor --------------------------------------------------------


class _Namespace:
    """Stands in for the Socket.IO namespace: records what would be sent to each tab."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, Any]] = []

    async def emit_update(self, update: Any, token: str) -> None:
        self.updates.append((token, update))

    def frontend_events(self, token: str) -> list[Any]:
        return [e for t, u in self.updates if t == token for e in (u.events or [])]


CONTEXTS: list[dict[str, Any]] = []
"""The log context each ``spin`` saw (the handler records it)."""


@pytest.fixture
def isolated_app() -> Iterator[tuple[rx.App, type[rx.State]]]:
    """A throwaway rx.App in a forked registration context, with a self-retriggering state."""
    token = RegistrationContext.set(RegistrationContext.get().fork())
    CONTEXTS.clear()
    try:

        class LoopProbeState(rx.State):
            """Test-only: ``spin`` re-triggers itself until ``limit`` (a deliberate loop)."""

            spins: int = 0
            limit: int = 60

            @rx.event
            def spin(self) -> Any:
                CONTEXTS.append(structlog.contextvars.get_contextvars())
                self.spins += 1
                if self.spins < self.limit:
                    return LoopProbeState.spin
                return None

        yield rx.App(), LoopProbeState
    finally:
        RegistrationContext.reset(token)


def _run_spin(app: rx.App, state: type[rx.State], tokens: list[str]) -> _Namespace:
    namespace = _Namespace()

    async def main() -> None:
        processor = BaseStateEventProcessor(middleware=app)
        processor.configure(state_manager=StateManagerMemory(), event_namespace=namespace)  # type: ignore[arg-type]
        name = f"{state.get_full_name()}.spin"
        router = {"pathname": "/", "query": {"clientId": WORKSPACE}}
        async with processor:
            futures = [
                await processor.enqueue(t, Event(name=name, router_data=router)) for t in tokens
            ]
            for future in futures:
                await asyncio.wait_for(future.wait_all(), timeout=30)

    # In a thread of its own: the browser tests' session-wide Playwright keeps an event loop
    # marked as running in the main thread, where asyncio.run() would refuse to start.
    errors: list[BaseException] = []
    context = contextvars.copy_context()  # the forked registration context goes along

    def run() -> None:
        try:
            context.run(asyncio.run, main())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the event processor did not finish"
    if errors:
        raise errors[0]
    return namespace


def test_a_looping_handler_is_reported_once_through_the_real_hook(isolated_app) -> None:
    app, state = isolated_app
    middleware = reflex_hooks.install(app, DebugSettings(INBOXAPP_DEBUG_LOOPS="1"))
    assert isinstance(middleware, reflex_hooks.LoopDetectorMiddleware)
    with structlog.testing.capture_logs() as logs:
        namespace = _run_spin(app, state, ["tab-a", "tab-b"])

    handler = "LoopProbeState.spin"
    assert middleware.detector.counts() == {("tab-a", handler): 60, ("tab-b", handler): 60}
    found = [line for line in logs if line["event"] == reflex_hooks.LOOP_EVENT]
    assert len(found) == 2  # once per looping tab, not once per event
    line = found[0]
    assert line["log_level"] == "warning"
    assert line["handler"] == handler and line["clientId"] == WORKSPACE
    assert line["count"] == 21 and line["threshold"] == 20 and line["windowS"] == 2.0
    assert line["session"] == reflex_hooks.session_key("tab-a")
    assert "tab-a" not in str(line)  # the raw client token is never logged
    for tab in ("tab-a", "tab-b"):
        pushed = namespace.frontend_events(tab)
        assert len(pushed) == 1
        assert pushed[0].name == "_call_script"
        script = pushed[0].payload["javascript_code"]
        assert script.startswith("console.warn(") and handler in script and WORKSPACE in script


def test_with_the_gate_off_nothing_is_installed_or_counted(isolated_app) -> None:
    app, state = isolated_app
    assert reflex_hooks.install(app, DebugSettings()) is None
    assert not any(isinstance(m, reflex_hooks.LoopDetectorMiddleware) for m in app._middlewares)
    with structlog.testing.capture_logs() as logs:
        namespace = _run_spin(app, state, ["tab-c"])
    assert not [line for line in logs if line["event"] == reflex_hooks.LOOP_EVENT]
    assert namespace.frontend_events("tab-c") == []


def test_event_log_context_is_bound_for_handlers(isolated_app) -> None:
    app, state = isolated_app
    reflex_hooks.install(app, DebugSettings())
    _run_spin(app, state, ["tab-d"])
    assert len(CONTEXTS) == 60
    assert len({ctx["requestId"] for ctx in CONTEXTS}) == 60  # one id per event
    assert all(ctx["clientId"] == WORKSPACE and ctx["route"] == "/" for ctx in CONTEXTS)
    assert all(ctx["handler"].endswith(".spin") for ctx in CONTEXTS)


def test_the_app_installs_no_loop_detector_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INBOXAPP_DEBUG_LOOPS", raising=False)
    from inboxapp.inboxapp import app

    kinds = [type(m) for m in app._middlewares]
    assert reflex_hooks.EventLogContextMiddleware in kinds
    assert reflex_hooks.LoopDetectorMiddleware not in kinds

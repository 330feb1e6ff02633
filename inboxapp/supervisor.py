"""Keep child processes running: a child that exits is restarted with exponential backoff.

Each :class:`Child` runs in its own process group (``start_new_session``), so stopping or
restarting it takes its whole tree (a ``reflex`` child's granian workers and JS tooling). A
child that exits is logged once (``runner.child_exited``: child, exit code, next delay); the
rest of its process group is killed so the restart finds its port free, and it starts again
after ``first_s``, doubling per consecutive crash up to ``max_s``. A run that lasted
``stable_s`` or longer counts as healthy: the next delay starts from ``first_s`` again.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from inboxapp.config import PROJECT_ROOT
from inboxapp.logs import get_logger
from inboxapp.processes import signal_group, stop_groups

log = get_logger("inboxapp.runner")

POLL_S = 0.5
"""How often a running supervisor looks at its children."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Backoff:
    """Restart delays: ``first_s`` doubling to ``max_s``; reset by a run of ``stable_s``."""

    first_s: float = 1.0
    max_s: float = 30.0
    stable_s: float = 60.0

    def delay(self, crashes: int) -> float:
        """The delay before the restart that follows ``crashes`` consecutive crashes."""
        return float(min(self.max_s, self.first_s * 2 ** max(0, crashes - 1)))


@dataclass
class Child:
    """One supervised command and the state of its current run."""

    name: str
    cmd: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    crashes: int = 0
    """Consecutive runs shorter than ``Backoff.stable_s``."""
    restart_at: float | None = None
    """When the exited child starts again (None while it runs)."""
    starts: int = 0


class Supervisor:
    """Start children, restart the ones that exit, stop them all (see the module docstring)."""

    def __init__(
        self,
        children: Sequence[Child],
        env: Mapping[str, str],
        *,
        backoff: Backoff | None = None,
        cwd: Path = PROJECT_ROOT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = list(children)
        self.env = dict(env)
        self.backoff = backoff or Backoff()
        self.cwd = cwd
        self.clock = clock

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def poll(self) -> float:
        """Handle exited children and due restarts; returns the seconds until the next check."""
        now = self.clock()
        wait = POLL_S
        for child in self.children:
            if child.restart_at is None and child.proc is not None:
                code = child.proc.poll()
                if code is not None:
                    self._exited(child, code, now)
            if child.restart_at is None:
                continue
            if child.restart_at <= now:
                self._spawn(child)
            else:
                wait = min(wait, child.restart_at - now)
        return wait

    def run(self, stop: threading.Event) -> None:
        """Start the children and keep them running until ``stop`` is set."""
        self.start()
        while not stop.wait(self.poll()):
            pass

    def run_until_signalled(self) -> None:
        """:meth:`run` until SIGINT, SIGTERM or SIGHUP, then :meth:`stop` (Ctrl-C stops all)."""
        stop = threading.Event()

        def _request_stop(_signum: int, _frame: object) -> None:
            # Never raises: a Ctrl-C (make forwards one, impatient users press it twice) can
            # not abort the cleanup half-way and leave a child running.
            stop.set()

        for signum in STOP_SIGNALS:
            signal.signal(signum, _request_stop)
        try:
            self.run(stop)
        finally:
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            self.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every child's process group (SIGTERM, SIGKILL after ``timeout`` seconds)."""
        for child in self.children:
            child.restart_at = None
        stop_groups([child.proc for child in self.children], timeout)

    def _spawn(self, child: Child) -> None:
        child.proc = subprocess.Popen(  # noqa: S603 - our own commands
            child.cmd, env=self.env, cwd=self.cwd, start_new_session=True
        )
        child.started_at = self.clock()
        child.restart_at = None
        child.starts += 1

    def _exited(self, child: Child, code: int, now: float) -> None:
        assert child.proc is not None
        signal_group(child.proc.pid, signal.SIGKILL)  # what is left of its tree
        if now - child.started_at >= self.backoff.stable_s:
            child.crashes = 0
        child.crashes += 1
        delay = self.backoff.delay(child.crashes)
        child.restart_at = now + delay
        log.warning(
            "runner.child_exited",
            child=child.name,
            exitCode=code,
            restartInS=delay,
            crashes=child.crashes,
        )

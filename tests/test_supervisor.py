"""The runner's supervisor with real child processes: a crashed child is restarted after a
doubling, capped delay that a long run resets; stopping (a call, SIGINT or SIGTERM) ends every
child and its process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from structlog.testing import capture_logs

from inboxapp.config import PROJECT_ROOT
from inboxapp.runner import children
from inboxapp.supervisor import Backoff, Child, Supervisor

PY = sys.executable
# Appends its pid (and, with a 2nd argument, a grandchild's pid in its process group), then waits.
SLEEPER = """
import os, signal, subprocess, sys
pids = [os.getpid()]
if len(sys.argv) > 2:
    pids.append(subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"]).pid)
with open(sys.argv[1], "a") as out:
    out.write("".join(f"{pid}\\n" for pid in pids))
signal.pause()
"""
# Appends its pid and exits with 3 at once.
CRASHER = """
import os, sys
with open(sys.argv[1], "a") as out:
    out.write(f"{os.getpid()}\\n")
sys.exit(3)
"""


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def exits(logs: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [
        (e["child"], e["exitCode"], e["restartInS"])
        for e in logs
        if e["event"] == "runner.child_exited"
    ]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def logs() -> Iterator[list[dict[str, object]]]:
    with capture_logs() as captured:
        yield captured


def test_backoff_doubles_caps_and_resets() -> None:
    backoff = Backoff(first_s=1, max_s=30, stable_s=60)
    assert [backoff.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_crashed_child_restarts_after_a_doubling_capped_delay(logs) -> None:
    clock = FakeClock()
    child = Child("sleeper", [PY, "-c", SLEEPER, os.devnull])
    sup = Supervisor([child], os.environ, backoff=Backoff(1, 4, 100), clock=clock)
    try:
        sup.start()
        for delay in (1, 2, 4, 4):
            crashed = child.proc
            assert crashed is not None
            crashed.kill()
            wait_for(lambda p=crashed: p.poll() is not None, "the child to exit")
            sup.poll()
            assert child.restart_at == clock.now + delay
            clock.now += delay - 0.001
            sup.poll()
            assert child.proc is crashed  # not before its delay
            clock.now += 0.001
            sup.poll()
            assert child.proc is not crashed and child.proc is not None
            assert child.proc.poll() is None  # a new, running process
        clock.now += 100  # a run as long as stable_s resets the delay
        child.proc.kill()
        wait_for(lambda: child.proc is not None and child.proc.poll() is not None, "the exit")
        sup.poll()
        assert child.restart_at == clock.now + 1 and child.crashes == 1
    finally:
        sup.stop()
    expected = [("sleeper", -signal.SIGKILL, d) for d in (1.0, 2.0, 4.0, 4.0, 1.0)]
    assert exits(logs) == expected
    assert child.starts == 5


def test_a_running_supervisor_restarts_a_crasher_and_stop_ends_every_child(
    tmp_path: Path, logs
) -> None:
    crashes, sleeps = tmp_path / "crasher", tmp_path / "sleeper"
    crasher = Child("crasher", [PY, "-c", CRASHER, str(crashes)])
    sleeper = Child("sleeper", [PY, "-c", SLEEPER, str(sleeps), "grandchild"])
    sup = Supervisor([crasher, sleeper], os.environ, backoff=Backoff(0.05, 0.2, 60))
    stop = threading.Event()
    thread = threading.Thread(target=sup.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(pids(crashes)) >= 5, "five runs of the crasher")
        wait_for(lambda: len(pids(sleeps)) == 2, "the sleeper and its grandchild")
    finally:
        stop.set()
        thread.join(timeout=30)
        sup.stop()
    assert not thread.is_alive()
    delays = [delay for name, code, delay in exits(logs) if name == "crasher" and code == 3]
    assert delays[:4] == [0.05, 0.1, 0.2, 0.2]
    assert sleeper.starts == 1  # the healthy child was left alone
    for pid in pids(sleeps) + pids(crashes):
        wait_for(lambda pid=pid: gone(pid), f"process {pid} to end")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_ends_the_supervisor_and_every_process_group(
    tmp_path: Path, signum: int
) -> None:
    crashes, sleeps = tmp_path / "crasher", tmp_path / "sleeper"
    script = (
        "import os, sys\n"
        "from inboxapp.supervisor import Backoff, Child, Supervisor\n"
        f"crasher = Child('crasher', [sys.executable, '-c', {CRASHER!r}, {str(crashes)!r}])\n"
        f"sleeper = Child('sleeper', [sys.executable, '-c', {SLEEPER!r}, {str(sleeps)!r}, 'g'])\n"
        "sup = Supervisor([crasher, sleeper], os.environ, backoff=Backoff(0.05, 0.2, 60))\n"
        "sup.run_until_signalled()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    log_path = tmp_path / "supervisor.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [PY, "-c", script],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: len(pids(crashes)) >= 3, "the crasher to be restarted twice")
        wait_for(lambda: len(pids(sleeps)) == 2, "the sleeper and its grandchild")
        proc.send_signal(signum)
        assert proc.wait(timeout=30) == 0, log_path.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for pid in pids(sleeps) + pids(crashes):
        wait_for(lambda pid=pid: gone(pid), f"process {pid} to end")
    assert "runner.child_exited" in log_path.read_text()


def test_make_run_supervises_the_worker_and_the_app() -> None:
    names = {child.name: child.cmd for child in children(dev=False)}
    assert names["worker"][-2:] == ["inboxapp", "worker"]
    assert names["web"][-3:] == ["run", "--env", "prod"]

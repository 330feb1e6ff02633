"""Child processes of the runner, tools, tests and benchmarks: the environment of a ``reflex``
child, and signalling or stopping process groups as a whole."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence

from inboxapp.config import PROJECT_ROOT

BUN_PACKAGES = ("bun-linux-x64", "bun-linux-x64-baseline")


def reflex_env(port: int | None = None) -> dict[str, str]:
    """This process's environment for a ``reflex`` child: the bun ``make setup`` installs (as
    the Makefile exports it), no telemetry, update checks or badge; with ``port``, frontend and
    backend on that one port (the production layout)."""
    env = dict(os.environ)
    if "REFLEX_BUN_PATH" not in env:
        for pkg in BUN_PACKAGES:
            bun = PROJECT_ROOT / ".tools" / "node_modules" / "@oven" / pkg / "bin" / "bun"
            if bun.exists():
                env["REFLEX_BUN_PATH"] = str(bun)
                break
    env.setdefault("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/")
    env.update(
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_SHOW_BUILT_WITH_REFLEX="false",
        PYTHONUNBUFFERED="1",
    )
    if port is not None:
        env.update(REFLEX_FRONTEND_PORT=str(port), REFLEX_BACKEND_PORT=str(port))
    return env


def stop_groups(procs: Sequence[subprocess.Popen[bytes] | None], timeout: float = 15.0) -> None:
    """SIGTERM the process groups led by ``procs`` (started with ``start_new_session=True``) all
    at once, SIGKILL the groups still there after ``timeout`` seconds; gone groups are fine."""
    running = [p for p in procs if p is not None and p.poll() is None]
    for proc in running:
        signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            signal_group(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def stop_group(proc: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    """:func:`stop_groups` for one process."""
    stop_groups([proc], timeout)


def signal_group(pgid: int, signum: int) -> bool:
    """Send ``signum`` to process group ``pgid``; False when the group is gone."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True

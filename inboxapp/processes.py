"""Child processes of tools, tests and benchmarks: the environment of a ``reflex`` child, and
stopping a process group as a whole."""

from __future__ import annotations

import os
import signal
import subprocess

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


def stop_group(proc: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    """SIGTERM the process group led by ``proc`` (started with ``start_new_session=True``),
    SIGKILL it after ``timeout`` seconds; a group that is already gone is fine."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass

"""The production stack on a free port: ``reflex run --env prod`` (and optionally a job worker),
each in its own process group, stopped as groups.

One launcher for everything that needs the real server: the browser tests
(``tests/browser/conftest.py``), the benchmarks that drive real sessions
(``benchmarks/realtime.py``, ``benchmarks/flood.py``) and the release check
(:mod:`inboxapp.tools.release_check`). Callers choose the environment (database, Redis,
settings); this module only starts, waits and stops.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from inboxapp.config import PROJECT_ROOT
from inboxapp.processes import reflex_env, stop_groups

READY_PATHS = ("/api/health", "/login")
"""What answers 200 once the backend and the built frontend are both up."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str) -> bool:
    """True when ``url`` answers 200 (redirects followed) within two seconds."""
    try:
        return httpx.get(url, timeout=2, follow_redirects=True).status_code == 200
    except httpx.HTTPError:
        return False


def tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return f"--- last lines of {path} ---\n" + "\n".join(text.splitlines()[-lines:])


class ProdServer:
    """A running production server (``with ProdServer(...) as server:`` stops it at the end)."""

    def __init__(
        self,
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        drop: Sequence[str] = ("REFLEX_REDIS_URL",),
        worker: bool = False,
        worker_log: Path | None = None,
        loglevel: str = "info",
        port: int | None = None,
    ) -> None:
        """Start the server (and a worker) now; ``env`` is laid over this process's
        environment, the ``drop`` variables removed (by default Reflex's Redis state manager:
        one worker, in-memory states)."""
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = reflex_env(self.port)
        for key in drop:
            self.env.pop(key, None)
        self.env.update(env or {})
        self.worker: subprocess.Popen[bytes] | None = None
        if worker:
            self.worker = self._spawn(
                [sys.executable, "-m", "inboxapp", "worker"], worker_log or Path(os.devnull)
            )
        reflex = Path(sys.executable).parent / "reflex"
        self.proc = self._spawn(
            [str(reflex), "run", "--env", "prod", "--loglevel", loglevel], log_path
        )

    def _spawn(self, command: list[str], log: Path) -> subprocess.Popen[bytes]:
        """``command`` in its own process group, in the project, output into ``log``."""
        with log.open("wb") as out:
            return subprocess.Popen(  # noqa: S603
                command,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 240, paths: Sequence[str] = READY_PATHS) -> None:
        """Return once every path answers 200; RuntimeError (with the log's tail) when the
        server exits or the deadline passes."""
        deadline = time.monotonic() + timeout
        while not all(answers(self.base + path) for path in paths):
            if self.proc.poll() is not None:
                msg = f"the app exited with {self.proc.returncode}:\n{tail(self.log_path)}"
                raise RuntimeError(msg)
            if time.monotonic() > deadline:
                msg = f"no answer on {self.base} in {timeout:.0f} s:\n{tail(self.log_path)}"
                raise RuntimeError(msg)
            time.sleep(0.5)

    def stop(self, timeout: float = 20) -> None:
        stop_groups([self.worker, self.proc], timeout=timeout)

    def __enter__(self) -> ProdServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

"""``make run``: start embedded services when none are configured, migrate, seed the demo and
serve the app (production build by default, hot reload with ``--dev``).

Every child runs in its own process group, so Ctrl-C stops the whole tree (the JS dev server
included) and nothing is orphaned.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from inboxapp.config import PROJECT_ROOT

APP_PORT = 3000
BACKEND_PORT = 8000


def _banner(text: str) -> None:
    print(f"\n\033[1m==> {text}\033[0m", flush=True)


def _prepare_services(env: dict[str, str]) -> None:
    """Fill DATABASE_URL / REDIS_URL with embedded servers when they are not set."""
    from inboxapp import embedded

    if not env.get("DATABASE_URL"):
        _banner("Starting embedded PostgreSQL (data in .data/pg)")
        env["DATABASE_URL"] = embedded.start_postgres()
    if not env.get("REDIS_URL"):
        _banner("Starting embedded Redis (data in .data/redis.rdb)")
        env["REDIS_URL"] = embedded.start_redis()


def _cli(args: Sequence[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "inboxapp", *args], env=env, check=True)


def reflex_command(dev: bool) -> list[str]:
    reflex = str(PROJECT_ROOT / ".venv" / "bin" / "reflex")
    if not os.path.exists(reflex):
        reflex = "reflex"
    if dev:
        return [reflex, "run", "--env", "dev", "--backend-port", str(BACKEND_PORT)]
    # Prod serves the built frontend, /api and the /_event websocket on one port (rxconfig.py).
    return [reflex, "run", "--env", "prod"]


def _spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT, start_new_session=True)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    # A second Ctrl-C (or make forwarding one) must not abort the cleanup half-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    from inboxapp import embedded

    embedded.stop_all()


def main(dev: bool = False) -> int:
    env = dict(os.environ)
    stop = threading.Event()

    def _request_stop(_signum: int, _frame: object) -> None:
        # Never raises: a Ctrl-C (make forwards one, impatient users press it twice) can
        # not abort the cleanup half-way and leave the worker or the app running.
        stop.set()

    procs: list[subprocess.Popen[bytes]] = []
    try:
        _prepare_services(env)
        _banner("Migrating the database")
        _cli(["migrate"], env)
        _banner("Seeding demo data (idempotent)")
        _cli(["seed", "--demo"], env)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _request_stop)
        procs = [
            _spawn([sys.executable, "-m", "inboxapp", "worker"], env),
            _spawn(reflex_command(dev), env),
        ]
        _banner(f"inboxapp on http://127.0.0.1:{APP_PORT}  (Ctrl-C stops everything)")
        while not stop.is_set() and all(p.poll() is None for p in procs):
            stop.wait(0.5)
        if stop.is_set():
            return 0
        return next((p.returncode or 1) for p in procs if p.poll() is not None)
    except KeyboardInterrupt:  # during migrate/seed
        return 130
    finally:
        _stop(procs)

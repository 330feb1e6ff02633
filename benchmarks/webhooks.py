"""Webhooks: ack latency, sustained events/s to processed, webhook -> visible in the read path.

Creates a scratch database next to the admin database (``TEST_ADMIN_DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``), migrates it, serves the API with uvicorn
(one process, like one app worker) and runs a real job worker (``python -m inboxapp
worker``), then drops the database.

* ack: signed EmailBison replies posted one at a time over HTTP; client-side time to the 202
  (token lookup, signature, JSON, store once, queue). Goal p95 < 20 ms.
* sustained: a burst posted by 4 concurrent senders; events per second from the first post to
  the last event ``processed`` (lead matching, cleaning, classification, rollups, counts).
* visible: one reply at a time; from the post until the inbox's first page (the cached read
  path, as the owner through RLS) shows it. Goal p95 < 1 s.

    .venv/bin/python -m benchmarks.webhooks [--quick] [--json]

With ``--json`` the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import fmt, p50, p95, scratch_database
from inboxapp.tools.prod_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def _start(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _wait(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise RuntimeError(f"timed out waiting for {what}")


class Sender:
    def __init__(self, base: str, path: str, secret: str) -> None:
        self.url = base + path
        self.secret = secret
        self.http = httpx.Client(timeout=30)

    def reply(self, email: str, text: str) -> tuple[float, str]:
        """Post one signed reply; (milliseconds to the answer, event id)."""
        from inboxapp.pipeline.inbound.signature import HEADER, sign

        rid = uuid.uuid4().hex
        payload = {
            "event": {"type": "LEAD_REPLIED"},
            "data": {
                "campaign": {"id": "bench-campaign", "name": "Benchmark"},
                "campaign_event": {"id": rid},
                "lead": {"id": f"bench-{email}", "email": email, "first_name": "Bench"},
                "reply": {"id": rid, "email_subject": "Re: hi", "text_body": text},
            },
        }
        raw = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", HEADER: sign(self.secret, raw)}
        start = time.perf_counter()
        resp = self.http.post(self.url, content=raw, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        if resp.status_code != 202:
            raise RuntimeError(f"webhook answered {resp.status_code}: {resp.text[:200]}")
        return elapsed, str(resp.json()["eventId"])


def _processed(event_ids: list[str]) -> int:
    from inboxapp.jobs.app import connect

    with connect("owner", autocommit=True) as conn:
        row = conn.execute(
            'SELECT count(*) FROM public."WebhookEvent" WHERE id = ANY(%s::uuid[])'
            " AND status = 'processed'",
            (event_ids,),
        ).fetchone()
    return int(row[0]) if row else 0


def run(quick: bool) -> dict[str, Any]:
    from inboxapp.inbox import read
    from inboxapp.inbox.params import ListParams
    from inboxapp.pipeline.inbound.endpoints import issue_url
    from inboxapp.pipeline.providers import Provider
    from tests import factories as f

    n_ack, n_burst, n_visible = (100, 200, 15) if quick else (500, 1000, 40)
    owner = f.create_user(name="Bench Owner")
    ws = f.create_workspace("Webhook bench", owner)
    f.add_member(ws, f.create_user(name="Bench Setter"), "SETTER")
    issued = issue_url(ws.id, Provider.EMAILBISON, require_signature=True)
    assert issued.url and issued.signing_secret
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    path = "/" + issued.url.split("/", 3)[3]
    with tempfile.TemporaryDirectory(prefix="webhook-bench-") as tmp:
        api = _start(
            [sys.executable, "-m", "uvicorn", "inboxapp.api.app:create_api", "--factory",
             "--port", str(port), "--log-level", "warning"],
            Path(tmp) / "api.log",
        )  # fmt: skip
        worker = _start([sys.executable, "-m", "inboxapp", "worker"], Path(tmp) / "worker.log")
        try:
            _wait(lambda: _ok(base), 60, "the API to answer")
            sender = Sender(base, path, issued.signing_secret)
            for i in range(20):  # warm-up
                sender.reply(f"warm{i}@bench.example", "hello")
            acks = [sender.reply(f"ack{i}@bench.example", "Tell me more")[0] for i in range(n_ack)]

            def burst(i: int) -> str:
                return Sender(base, path, issued.signing_secret).reply(
                    f"burst{i % 50}@bench.example", f"Interested, reply {i}"
                )[1]

            started = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                burst_ids = list(pool.map(burst, range(n_burst)))
            posted_s = time.perf_counter() - started
            _wait(lambda: _processed(burst_ids) == n_burst, 600, "the burst to be processed")
            burst_s = time.perf_counter() - started

            visible: list[float] = []
            page = ListParams()
            for i in range(n_visible):
                marker = f"visible-{i}-{secrets.token_hex(3)}"
                start = time.perf_counter()
                sender.reply(f"visible{i}@bench.example", f"Sounds good {marker}")
                _wait(
                    lambda m=marker: (
                        m in json.dumps(read.conversations(owner.id, ws.id, page).data)
                    ),
                    30,
                    "the reply in the inbox",
                )
                visible.append((time.perf_counter() - start) * 1000)
        finally:
            _stop(worker)
            _stop(api)
    return {
        "ackP50Ms": round(p50(acks), 2),
        "ackP95Ms": round(p95(acks), 2),
        "acks": n_ack,
        "burstEvents": n_burst,
        "burstPostedPerS": round(n_burst / posted_s, 1),
        "processedPerS": round(n_burst / burst_s, 1),
        "visibleP50Ms": round(p50(visible), 1),
        "visibleP95Ms": round(p95(visible), 1),
        "visibleSamples": n_visible,
        "acksFmt": fmt(acks),
        "visibleFmt": fmt(visible),
    }


def _ok(base: str) -> bool:
    try:
        return httpx.get(base + "/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer events (about a minute)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    os.environ.update(
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
    )
    with scratch_database():
        r = run(args.quick)
    print(f"\nwebhooks, {os.cpu_count()} CPUs, one uvicorn process, one job worker")
    print(f"  ack (signed reply -> 202)      {r.pop('acksFmt')}   ({r['acks']} posts)")
    print(
        f"  sustained                      {r['processedPerS']:8.1f} events/s processed"
        f" ({r['burstEvents']} events from 4 senders, posted at {r['burstPostedPerS']}/s)"
    )
    print(f"  webhook -> visible (inbox)     {r.pop('visibleFmt')}")
    if args.json:
        print(json.dumps(r))


if __name__ == "__main__":
    main()

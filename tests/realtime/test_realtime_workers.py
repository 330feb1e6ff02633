"""Realtime with two backend worker processes: every subscriber gets every change exactly once.

Production runs Reflex with the Redis state manager and two granian workers; each worker
process has its own hub (:func:`inboxapp.realtime.process_hub`) with its own LISTEN
connection, and a browser tab's listener lives in the worker that serves its websocket. This
test starts two real worker processes (this module run as a script, see ``worker_main``), each
with its own process hub and subscribers (admins and a setter of one workspace), then writes
through the database from the test process and checks, per subscriber:

* every changed lead it may see arrived exactly once (no duplicate delivery from the other
  worker, nothing lost), and nothing it may not see arrived (setter scope, other workspace);
* both workers decided visibility themselves (each hub ran its own batched queries).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from inboxapp.auth.tokens import issue_access_token
from inboxapp.config import get_settings
from inboxapp.db.engine import owner_session
from inboxapp.inbox import actions
from tests.factories import add_member, create_lead, create_user, create_workspace, open_session

ROOT = Path(__file__).resolve().parents[2]
MARK = "@@record "


def _token(user_id: uuid.UUID) -> str:
    return issue_access_token(
        user_id=str(user_id),
        email=f"{user_id}@example.test",
        session_id=open_session(user_id),
        secret=get_settings().signing_secret,
        ttl_s=3600,
    )


class Worker:
    """One worker process; its stdout lines are JSON records, collected by a reader thread."""

    def __init__(self, name: str, client_id: uuid.UUID, subs: list[tuple[str, str]]) -> None:
        self.name = name
        spec = json.dumps({"clientId": str(client_id), "subs": subs})
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.realtime.test_realtime_workers", spec],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.records: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.startswith(MARK):
                continue  # the worker's log lines
            record = json.loads(line[len(MARK) :])
            if record.get("ready"):
                self.ready.set()
            with self._lock:
                self.records.append(record)

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.records if "sub" in r]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return next((r["stats"] for r in reversed(self.records) if "stats" in r), {})

    def stop(self) -> str:
        """Stop the worker (it prints its hub's stats first); returns its stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        self.stderr.seek(0)
        err = self.stderr.read().decode(errors="replace")
        self.stderr.close()
        return err


def _update(lead_id: uuid.UUID, status: str) -> None:
    with owner_session() as s:
        s.execute(
            sa.text('UPDATE "Lead" SET status = :s, "updatedAt" = now() WHERE id = :l'),
            {"s": status, "l": lead_id},
        )


def test_two_worker_processes_deliver_each_change_exactly_once() -> None:
    owner, admin, setter = create_user(), create_user(), create_user()
    ws = create_workspace("Two Workers", owner=owner)
    add_member(ws, admin, "ADMIN")
    add_member(ws, setter, "SETTER")
    other_owner = create_user()
    other_ws = create_workspace("Not Watched", owner=other_owner)
    mine = [create_lead(ws, assignedToUserId=setter.id) for _ in range(6)]
    open_leads = [create_lead(ws) for _ in range(6)]
    foreign = create_lead(other_ws)

    # Each worker: two admin-scope tabs and one setter tab (three subscribers per process).
    people = {"owner": owner.id, "admin": admin.id, "setter": setter.id}
    layout = [("owner", "admin", "setter"), ("admin", "owner", "setter")]
    workers = [
        Worker(
            f"w{n}", ws.id, [(f"w{n}-{who}-{i}", _token(people[who])) for i, who in enumerate(r)]
        )
        for n, r in enumerate(layout)
    ]
    errors = ""
    try:
        for worker in workers:
            assert worker.ready.wait(30), f"{worker.name} did not start: {worker.stop()}"

        # Writes from a third process (this one): single updates spaced out, one multi-row
        # statement, inserts, a reassignment away from the setter, and a foreign workspace.
        for lead in mine[:3] + open_leads[:3]:
            _update(lead.id, "qualified")
            time.sleep(0.03)
        with owner_session() as s:
            s.execute(
                sa.text(
                    "UPDATE \"Lead\" SET status = 'qualified' WHERE id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"ids": [lead.id for lead in mine[3:] + open_leads[3:]]},
            )
        inserted = [create_lead(ws, assignedToUserId=setter.id) for _ in range(2)]
        inserted += [create_lead(ws) for _ in range(2)]
        actions.assign(owner.id, ws.id, mine[0].id, None)  # leaves the setter's scope
        _update(foreign.id, "qualified")

        everything = {str(x.id) for x in [*mine, *open_leads, *inserted]}
        setters = {str(x.id) for x in [*mine, *inserted[:2]]}
        expected: dict[str, Counter[str]] = {}
        for n, roles in enumerate(layout):
            for i, who in enumerate(roles):
                ids = Counter(everything)
                if who == "setter":
                    ids = Counter(setters)
                    ids[str(mine[0].id)] += 1  # told once more: reassigned away from them
                else:
                    ids[str(mine[0].id)] += 1  # the reassignment is a change for them too
                expected[f"w{n}-{who}-{i}"] = ids

        def received() -> dict[str, Counter[str]]:
            got: dict[str, Counter[str]] = {key: Counter() for key in expected}
            for worker in workers:
                for record in worker.events():
                    got[record["sub"]].update(record["ids"])
            return got

        deadline = time.monotonic() + 20
        while received() != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        # Late duplicates: a marker change written now reaches every subscriber after anything
        # the writes above caused (a workspace's batches are delivered in order), so once every
        # subscriber has the marker, nothing of the above is still on its way.
        marker = inserted[0]  # the setter's: every subscriber sees it
        _update(marker.id, "new")
        marked = {key: want[str(marker.id)] + 1 for key, want in expected.items()}
        while time.monotonic() < deadline + 20:
            got = received()
            if all(got[key][str(marker.id)] >= n for key, n in marked.items()):
                break
            time.sleep(0.1)
        for key in got:
            got[key][str(marker.id)] -= 1
        ops = {r["op"] for w in workers for r in w.events()}
    finally:
        for worker in workers:
            errors += worker.stop()

    assert ops <= {"INSERT", "UPDATE"}, f"unexpected ops {ops} (a RESYNC means a lost signal)"
    for key, want in expected.items():
        assert got[key] == want, (
            f"{key}: missing {dict(want - got[key])}, extra {dict(got[key] - want)}\n{errors}"
        )
    assert str(foreign.id) not in {i for c in got.values() for i in c}
    for worker in workers:
        stats = worker.stats()
        # Each process decided visibility on its own: one access query per batch, at most one
        # visibility query per scope (global, the setter) per batch, never one per subscriber.
        assert stats["batches"] >= 1, (worker.name, stats)
        assert stats["access_queries"] == stats["batches"], stats
        assert stats["visibility_queries"] <= 2 * stats["batches"], stats
        assert stats["subscribers"] == 3


# ---------------------------------------------------------------------------------- worker


async def worker_main(spec: dict[str, Any]) -> None:
    """Subscribe each ``(key, token)`` to the workspace with this process's hub; print one
    JSON line per event, and the hub's stats when stopped (SIGTERM)."""
    from inboxapp.realtime import SubscriptionClosed, process_hub, shutdown, subscribe

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def emit(record: dict[str, Any]) -> None:
        sys.stdout.write(MARK + json.dumps(record) + "\n")
        sys.stdout.flush()

    async def listen(key: str, sub: Any) -> None:
        with contextlib.suppress(SubscriptionClosed):
            while not stop.is_set():
                event = await sub.next_event(timeout=0.2)
                if event is not None:
                    emit({"sub": key, "op": event.op, "ids": [str(i) for i in event.lead_ids]})

    hub = process_hub()
    try:
        async with contextlib.AsyncExitStack() as stack:
            subs = [
                (key, await stack.enter_async_context(subscribe(spec["clientId"], tok, key=key)))
                for key, tok in spec["subs"]
            ]
            emit({"ready": True, "pid": os.getpid()})
            await asyncio.gather(*(listen(key, sub) for key, sub in subs))
            emit({"stats": {**hub.stats.snapshot(), "subscribers": hub.subscriber_count()}})
    finally:
        await shutdown()


if __name__ == "__main__":
    asyncio.run(worker_main(json.loads(sys.argv[1])))

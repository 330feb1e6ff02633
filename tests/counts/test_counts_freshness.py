"""With a real worker running, a write becomes visible in the counts read path within seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from inboxapp.counts.recompute import recompute_workspace
from inboxapp.inbox import actions, read
from inboxapp.jobs.tasks import install_hooks
from tests import factories as f
from tests.jobs.test_jobs import Workers


@pytest.fixture(scope="module")
def worker(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    pool = Workers(tmp_path_factory.mktemp("counts-worker"))
    pool.start()
    pool.wait_ready()
    yield pool
    pool.stop()


def test_write_becomes_visible_in_counts_read_path(worker: Workers) -> None:
    install_hooks()  # what the app does at start: a committed write enqueues a recompute
    owner = f.create_user()
    client = f.create_workspace("Fresh", owner)
    lead = f.create_lead(client)
    recompute_workspace(client.id)
    before = read.counts(owner.id, client.id).data
    assert before["source"] == "materialized" and before["counts"]["needsRepair"] == 0

    actions.set_status(owner.id, client.id, lead.id, "needs_repair")
    started = time.monotonic()
    while time.monotonic() - started < 10:  # generous: the real figure is in benchmarks/
        data = read.counts(owner.id, client.id).data
        if data["counts"]["needsRepair"] == 1 and not data["stale"]:
            break
        time.sleep(0.05)
    assert data["counts"]["needsRepair"] == 1, worker.log_text()
    assert data["source"] == "materialized"

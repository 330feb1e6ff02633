"""Durable jobs: procrastinate 3.10.0's schema in its own ``procrastinate`` schema.

* The schema SQL is a frozen copy (``0004_procrastinate_3_10_0.sql`` beside this file, checked by
  its SHA-256), never read from the installed package: upgrading procrastinate later must come
  with a new migration that applies that version's ``sql/migrations/*.sql`` files.
* Everything lives in the ``procrastinate`` schema, not ``public``: the app's tables, RLS checks
  and model/migration drift checks stay about the app. Procrastinate's SQL uses unqualified names,
  so every connection that talks to it sets ``search_path=procrastinate``
  (:mod:`inboxapp.jobs.app` does).
* Extra objects of ours in that schema: ``job_sweep_state`` (last run of the periodic sweep) and
  an index to count a workspace's active/dead jobs (status API, queue depth).
* Privileges. The worker and the operator CLI connect as the owner. The web process enqueues as
  the runtime login role ``authenticator`` (never as the owner, never as ``authenticated``), so
  that role gets exactly: USAGE on the schema, SELECT + INSERT on ``procrastinate_jobs``
  (INSERT ... RETURNING id, queue depth and status reads), INSERT on ``procrastinate_events``
  (written by the insert triggers, which run with the caller's rights), the two sequences, and
  EXECUTE on the defer function only. It cannot update, delete, fetch or retry jobs.
  ``authenticated`` (what user requests SET ROLE to) gets nothing.

Revision ID: 0004
Revises: 0003
"""

import hashlib
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "procrastinate"
SQL_FILE = Path(__file__).with_name("0004_procrastinate_3_10_0.sql")
SQL_SHA256 = "c70ec4b400a60ad9592787653aae5ae77ae41bf801d56b5bd2712751a07f2009"
"""SHA-256 of procrastinate 3.10.0's ``sql/schema.sql`` (the frozen file minus its 2 header lines)."""

EXTRAS = """
CREATE TABLE procrastinate.job_sweep_state (
    name text PRIMARY KEY,
    last_run_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inboxapp_jobs_client_active_idx
    ON procrastinate.procrastinate_jobs ((args ->> 'client_id'), task_name)
    WHERE status IN ('todo', 'doing', 'failed');
"""

GRANTS = """
REVOKE ALL ON SCHEMA procrastinate FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA procrastinate FROM PUBLIC;
GRANT USAGE ON SCHEMA procrastinate TO authenticator;
GRANT SELECT, INSERT ON procrastinate.procrastinate_jobs TO authenticator;
GRANT INSERT ON procrastinate.procrastinate_events TO authenticator;
GRANT USAGE ON SEQUENCE procrastinate.procrastinate_jobs_id_seq,
    procrastinate.procrastinate_events_id_seq TO authenticator;
GRANT EXECUTE ON FUNCTION procrastinate.procrastinate_defer_jobs_v1(
    procrastinate.procrastinate_job_to_defer_v1[]) TO authenticator;
"""


def _frozen_schema_sql() -> str:
    text = SQL_FILE.read_text(encoding="utf-8")
    body = text.split("\n", 2)[2]
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    if digest != SQL_SHA256:
        raise RuntimeError(f"{SQL_FILE.name} was modified (sha256 {digest})")
    return body


def upgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
    previous = bind.exec_driver_sql("SELECT current_setting('search_path')").scalar_one()
    # The vendor SQL creates unqualified objects: aim it at our schema for this transaction only,
    # then restore the path so later migrations in the same transaction are unaffected.
    bind.exec_driver_sql(f"SELECT set_config('search_path', '{SCHEMA}, pg_catalog', true)")
    # Raw driver call: no bind-parameter parsing of the vendor SQL (it contains % and ::).
    bind.connection.driver_connection.execute(_frozen_schema_sql())
    bind.exec_driver_sql("SELECT set_config('search_path', %(p)s, true)", {"p": previous})
    op.execute(EXTRAS)
    op.execute(GRANTS)


def downgrade() -> None:
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")

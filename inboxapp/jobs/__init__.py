"""Durable background jobs on procrastinate (PostgreSQL): worker, tasks, retries, status.

* :mod:`.app`: the procrastinate ``App`` and its connector, built lazily (no I/O at import),
  (its settings: :class:`inboxapp.config.JobSettings`).
* :mod:`.tasks`: task definitions (``recompute_inbox_counts``, ``rollup_analytics``, the periodic
  ``sweep``, ``recover_stalled_jobs`` and ``prune_finished_jobs``), the jittered retry strategy,
  :func:`~.tasks.enqueue_recompute` and :func:`~.tasks.install_hooks`.
* :mod:`.status`: per workspace and job kind status in Redis (``jobs:v1:status:{clientId}:{job}``).
* :mod:`.worker`: the task middleware (status, logs) and ``run_worker``.
* :mod:`.cli`: ``worker`` and ``jobs status|retry|run-once`` subcommands.
* :mod:`.overview` and :mod:`.view`: the jobs screen's service and its display rows.

Nothing here is imported by the package itself, so importing :mod:`inboxapp.jobs` is free.
"""

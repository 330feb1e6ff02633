"""Seed data for the demo (:mod:`inboxapp.seed.demo`) and scale runs (:mod:`inboxapp.seed.scale`).

* :mod:`~inboxapp.seed.rollups`: the Lead rollup columns derived from messages (one definition).
* :mod:`~inboxapp.seed.copy_format`: ``COPY`` text rows (columns, escaping, timestamps, ids).
* :mod:`~inboxapp.seed.vocabulary`: the generator's word lists and texts.
* :mod:`~inboxapp.seed.factory`: :class:`~inboxapp.seed.factory.LeadFactory`, one workspace's leads.
* :mod:`~inboxapp.seed.writer`: ``COPY`` blocks into the database.
"""

from __future__ import annotations


class SeedError(Exception):
    """Invalid seeding parameters (the CLI prints them as one line, exit status 2)."""

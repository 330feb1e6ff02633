"""Test-only classifier for the inbound worker tests, installed through the public plug-in
(:func:`inboxapp.pipeline.inbound.classifier.set_classifier`) in every process that builds
the job app with ``INBOXAPP_JOBS_EXTRA_MODULES=tests.inbound_testing``.

It records each classification of a message containing ``[[slow:<key>]]`` or
``[[fail:<key>]]`` (with the worker's pid, committed on its own, so attempts rolled back by a
crash still count), sleeps for the slow ones and raises for the failing ones until the key is
healed; everything else is classified by the rules classifier unchanged.
"""

from __future__ import annotations

import os
import re
import time

import sqlalchemy as sa
from procrastinate import Blueprint

from inboxapp.db.engine import owner_session
from inboxapp.pipeline.inbound.classifier import ClassifierInput, RulesClassifier, set_classifier

NAMESPACE = "inboundtest"
blueprint = Blueprint()
SLOW_S = float(os.environ.get("INBOUND_TEST_CLASSIFY_SLEEP_S", "3"))
_MARK = re.compile(r"\[\[(slow|fail):([\w-]+)\]\]")
DDL = (
    "CREATE SCHEMA IF NOT EXISTS inbound_test",
    "CREATE TABLE IF NOT EXISTS inbound_test.attempts (key text NOT NULL, pid int NOT NULL,"
    " at timestamptz NOT NULL DEFAULT clock_timestamp())",
    "CREATE TABLE IF NOT EXISTS inbound_test.healed (key text PRIMARY KEY)",
)


def ensure_tables() -> None:
    with owner_session() as s:
        for statement in DDL:
            s.execute(sa.text(statement))


class UpstreamDown(Exception):
    """A transient failure (retried)."""


class RecordingClassifier(RulesClassifier):
    def classify(self, message: ClassifierInput) -> str:
        found = _MARK.search(message.text or "")
        if found:
            kind, key = found.groups()
            with owner_session() as s:
                s.execute(
                    sa.text("INSERT INTO inbound_test.attempts (key, pid) VALUES (:k, :p)"),
                    {"k": key, "p": os.getpid()},
                )
                healed = s.execute(
                    sa.text("SELECT 1 FROM inbound_test.healed WHERE key = :k"), {"k": key}
                ).first()
            if kind == "slow":
                time.sleep(SLOW_S)
            elif healed is None:
                raise UpstreamDown("the classifier is down")
        return super().classify(message)


set_classifier(RecordingClassifier())

"""The job status payload (see :mod:`inboxapp.payloads`): ``GET /api/jobs/status`` and the
``/jobs`` admin page, built by :func:`inboxapp.jobs.status.workspace_job_status`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from inboxapp.jobs.status import ERROR_CODE_PATTERN, STATES
from inboxapp.payloads import Count, Id, OneOf, Payload, Timestamp


class JobRow(Payload):
    job: str
    state: Annotated[str, OneOf(STATES)] | None
    attempts: Count | None
    lastSuccessAt: Timestamp | None
    lastDurationMs: Count | None
    lastErrorCode: Annotated[str, Field(pattern=ERROR_CODE_PATTERN)] | None
    queueDepth: Count
    deadLettered: Count
    updatedAt: Timestamp | None


class JobStatusPayload(Payload):
    clientId: Id
    redis: Literal["ok", "unavailable"]
    jobs: list[JobRow]
    generatedAt: Timestamp

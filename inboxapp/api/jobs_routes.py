"""Background job status API (workspace owners and admins only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from inboxapp.api.contract import errors
from inboxapp.api.deps import CurrentUser
from inboxapp.api.params import ClientId
from inboxapp.inbox.params import parse_uuid
from inboxapp.jobs.overview import job_status_for
from inboxapp.jobs.payloads import JobStatusPayload

__all__ = ["job_status_for", "jobs_status", "router"]

router = APIRouter(tags=["jobs"])


@router.get("/api/jobs/status", response_model=JobStatusPayload, responses=errors(400, 401, 403))
def jobs_status(user: CurrentUser, client_id: ClientId) -> dict[str, Any]:
    """Per job kind: state, attempts, last success, last duration, last error code, queue depth
    and dead-lettered count for one workspace."""
    return job_status_for(user.user_id, str(parse_uuid(client_id, "clientId")))

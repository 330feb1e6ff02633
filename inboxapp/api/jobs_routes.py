"""Background job status API (workspace owners and admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from inboxapp.api.deps import CurrentUser
from inboxapp.jobs.overview import ADMIN_ROLES, job_status_for

__all__ = ["ADMIN_ROLES", "job_status_for", "jobs_status", "router"]

router = APIRouter(tags=["jobs"])


@router.get("/api/jobs/status")
def jobs_status(
    user: CurrentUser,
    client_id: Annotated[str, Query(alias="clientId", description="Workspace id (UUID)")],
) -> dict[str, Any]:
    """Per job kind: state, attempts, last success, last duration, last error code, queue depth
    and dead-lettered count for one workspace."""
    return job_status_for(user.user_id, client_id)

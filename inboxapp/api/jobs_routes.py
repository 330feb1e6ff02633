"""Background job status API (workspace owners and admins only)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from inboxapp.api.deps import CurrentUser
from inboxapp.errors import BadRequest, Forbidden
from inboxapp.inbox.read import access_for
from inboxapp.jobs.status import workspace_job_status

router = APIRouter(tags=["jobs"])
ADMIN_ROLES = ("OWNER", "ADMIN")


def job_status_for(user_id: str, client_id: str) -> dict[str, Any]:
    """The route's body: membership and role checked in the database on every call."""
    try:
        cid = uuid.UUID(str(client_id))
    except ValueError:
        raise BadRequest("INVALID_CLIENTID", "clientId must be a UUID") from None
    access = access_for(uuid.UUID(user_id), cid)  # Forbidden NOT_A_MEMBER for non-members
    if access.role not in ADMIN_ROLES:
        raise Forbidden("ADMIN_REQUIRED", "only workspace owners and admins can see job status")
    return workspace_job_status(str(cid))


@router.get("/api/jobs/status")
def jobs_status(
    user: CurrentUser,
    client_id: Annotated[str, Query(alias="clientId", description="Workspace id (UUID)")],
) -> dict[str, Any]:
    """Per job kind: state, attempts, last success, last duration, last error code, queue depth
    and dead-lettered count for one workspace."""
    return job_status_for(user.user_id, client_id)

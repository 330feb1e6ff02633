"""Job status of one workspace for its owners and admins: the one service behind
``GET /api/jobs/status`` and the ``/jobs`` admin page.

Membership and role are checked in the database on every call (never cached), so a member
demoted while the page is open is refused on the next refresh.
"""

from __future__ import annotations

import uuid
from typing import Any

from inboxapp.errors import BadRequest, Forbidden
from inboxapp.inbox.read import access_for
from inboxapp.jobs.status import workspace_job_status


def job_status_for(user_id: str, client_id: str) -> dict[str, Any]:
    """:func:`~inboxapp.jobs.status.workspace_job_status` for an owner or admin of the workspace.

    Raises ``BadRequest`` (``INVALID_CLIENTID``) for a malformed id, ``Forbidden``
    (``NOT_A_MEMBER``) for a non-member and ``Forbidden`` (``ADMIN_REQUIRED``) for any other role.
    """
    try:
        cid = uuid.UUID(str(client_id))
    except ValueError:
        raise BadRequest("INVALID_CLIENTID", "clientId must be a UUID") from None
    access = access_for(uuid.UUID(user_id), cid)  # Forbidden NOT_A_MEMBER for non-members
    if not access.can_admin:
        raise Forbidden("ADMIN_REQUIRED", "only workspace owners and admins can see job status")
    return workspace_job_status(str(cid))

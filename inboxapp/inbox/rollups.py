"""Lead rollups recomputed from the lead's messages, in SQL (exact by construction).

``lastInboundAt``, ``lastOutboundAt``, ``lastZrgOutboundAt``, ``lastMessageAt``,
``lastMessageDirection``, ``lastMessagePreview`` and ``unreadCount`` are always a function of the
lead's messages; every write path that touches messages runs this statement in its transaction.
"""

from __future__ import annotations

import sqlalchemy as sa

PREVIEW_CHARS = 140

RECOMPUTE_LEAD_ROLLUPS = sa.text(
    f"""
    UPDATE "Lead" l SET
      "lastInboundAt" = r.last_in,
      "lastOutboundAt" = r.last_out,
      "lastZrgOutboundAt" = r.last_zrg,
      "lastMessageAt" = r.last_at,
      "lastMessageDirection" = r.last_dir,
      "lastMessagePreview" = r.preview,
      "unreadCount" = r.unread,
      "updatedAt" = greatest(now(), coalesce(r.last_at, now()))
    FROM (
      SELECT
        max(m."sentAt") FILTER (WHERE m.direction = 'inbound') AS last_in,
        max(m."sentAt") FILTER (WHERE m.direction = 'outbound') AS last_out,
        max(m."sentAt") FILTER (WHERE m.direction = 'outbound' AND m.source = 'zrg') AS last_zrg,
        max(m."sentAt") AS last_at,
        (array_agg(m.direction ORDER BY m."sentAt" DESC, m.id DESC))[1] AS last_dir,
        left((array_agg(m.body ORDER BY m."sentAt" DESC, m.id DESC))[1], {PREVIEW_CHARS})
          AS preview,
        count(*) FILTER (WHERE m.direction = 'inbound' AND NOT m."isRead")::int AS unread
      FROM "Message" m WHERE m."leadId" = :lead_id
    ) r
    WHERE l.id = :lead_id
    """
)

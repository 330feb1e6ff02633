"""Round-robin setter assignment as one atomic, RLS-aware database function.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEXT_SETTER = """
-- Next setter of a workspace in round-robin order, advancing the workspace cursor under a row
-- lock (concurrent callers get different setters). Callable by anyone who may write leads there.
CREATE FUNCTION app.next_round_robin_setter(client uuid) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  setters uuid[];
  pos int;
BEGIN
  IF coalesce(app.role_rank(app.effective_role(client)), -1) < 1 THEN
    RAISE EXCEPTION 'not allowed to assign in this workspace' USING ERRCODE = '42501';
  END IF;
  SELECT array_agg(DISTINCT m."userId" ORDER BY m."userId") INTO setters
    FROM public."ClientMember" m WHERE m."clientId" = client AND m.role = 'SETTER';
  IF setters IS NULL THEN
    RETURN NULL;
  END IF;
  UPDATE public."Client" c SET "roundRobinCursor" = c."roundRobinCursor" + 1
    WHERE c.id = client AND coalesce((c.settings ->> 'roundRobinEnabled')::boolean, true)
    RETURNING c."roundRobinCursor" - 1 INTO pos;
  IF pos IS NULL THEN
    RETURN NULL;
  END IF;
  RETURN setters[1 + (pos % array_length(setters, 1))];
END $$;
REVOKE ALL ON FUNCTION app.next_round_robin_setter(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.next_round_robin_setter(uuid) TO authenticated;
"""


def upgrade() -> None:
    op.execute(NEXT_SETTER)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS app.next_round_robin_setter(uuid)")

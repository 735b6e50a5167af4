"""PostgreSQL's change notifications carry the rows inserted into change_log.

Under a stream of writes every server process heard a commit every few milliseconds and
read the log for it: a worker thread, a pooled connection and a query, most of them for
its own commits. The trigger of migration 0005 now sends the inserted rows as the payload,
a JSON array of [id, pair_id, kind, origin], so a process learns what was committed from
the notification itself (signals.changes: `PostgresProbe.told`). A statement whose rows
would not fit in a notification (8,000 bytes) sends an empty payload, as before: read the
log. Processes that ignore payloads read the log as they did.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# signals.changes.CHANGE_CHANNEL when this revision was written; a migration is a snapshot.
CHANNEL = "riftcast_changes"
# Payloads longer than this are sent empty (PostgreSQL refuses 8,000 bytes and more).
MAX_PAYLOAD = 7_900


def _notify_with(declare: str, body: str, referencing: str) -> None:
    """Recreate the trigger with a function made of `declare` and `body` (PL/pgSQL)."""
    op.execute("DROP TRIGGER change_log_notify ON change_log")
    op.execute(
        "CREATE OR REPLACE FUNCTION riftcast_change_notify() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ {declare} BEGIN {body} RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER change_log_notify AFTER INSERT ON change_log {referencing}"
        "FOR EACH STATEMENT EXECUTE FUNCTION riftcast_change_notify()"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    body = f"""
        SELECT json_agg(json_build_array(id, pair_id, kind, origin) ORDER BY id)::text
            INTO payload FROM added;
        IF payload IS NULL THEN  -- no row inserted: nothing to tell
            RETURN NULL;
        END IF;
        IF octet_length(payload) > {MAX_PAYLOAD} THEN
            payload := '';
        END IF;
        PERFORM pg_notify('{CHANNEL}', payload);
    """
    _notify_with("DECLARE payload text;", body, "REFERENCING NEW TABLE AS added ")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _notify_with("", f"PERFORM pg_notify('{CHANNEL}', '');", "")

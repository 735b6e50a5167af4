"""PostgreSQL announces every change row itself: a statement-level trigger on change_log
sends the NOTIFY that wakes every server's change poller (signals.changes).

The writers used to send it, once per transaction, as a statement of their own: a round
trip that every group commit paid after its inserts. The database now sends it with the
insert, for any writer (the CLI, the refit worker, a restore script), and, as before, only
at commit: a notification sent in a savepoint or a transaction that rolls back is dropped
with it, and the repeats of one transaction are folded into one.

SQLite has no NOTIFY: its probes read `PRAGMA data_version`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# signals.changes.CHANGE_CHANNEL when this revision was written; a migration is a snapshot.
CHANNEL = "riftcast_changes"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION riftcast_change_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER change_log_notify AFTER INSERT ON change_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION riftcast_change_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS change_log_notify ON change_log")
    op.execute("DROP FUNCTION IF EXISTS riftcast_change_notify()")

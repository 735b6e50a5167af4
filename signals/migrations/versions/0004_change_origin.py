"""The change log says which serving app wrote a row, when that app already dropped what
the write made stale at its commit: its change poller then leaves the row to the
subscribers that still need it (the SSE streams), instead of dropping the caches twice.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("change_log") as batch:
        batch.add_column(sa.Column("origin", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("change_log") as batch:
        batch.drop_column("origin")

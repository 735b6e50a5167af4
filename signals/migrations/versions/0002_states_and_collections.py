"""States that last (an event's `ended_on`), collections of factions (the reference set), and
the tail effective sample size of a model run (its interval ends are tail quantiles), and
the recorded backtests of the model (its calibration, shown with every run).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN is not an UPDATE: the append-only triggers on indicator_event stay intact.
    op.add_column("indicator_event", sa.Column("ended_on", sa.Date(), nullable=True))
    op.add_column(
        "faction",
        sa.Column("collection", sa.String(32), nullable=False, server_default=""),
    )
    op.create_index("ix_faction_collection", "faction", ["collection"])
    op.add_column(
        "pair", sa.Column("collection", sa.String(32), nullable=False, server_default="")
    )
    op.create_index("ix_pair_collection", "pair", ["collection"])
    op.add_column("model_run", sa.Column("min_ess_tail", sa.Float(), nullable=True))
    # An event has at most one successor, enforced by the database: two concurrent
    # corrections or retractions of one event cannot both commit (NULLs stay unconstrained).
    op.drop_index("ix_event_supersedes", table_name="indicator_event")
    op.create_index("ix_event_supersedes", "indicator_event", ["supersedes"], unique=True)
    op.create_table(
        "model_evaluation",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taxonomy_version", sa.String(100), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("first_origin", sa.Date(), nullable=False),
        sa.Column("last_origin", sa.Date(), nullable=False),
        sa.Column("step_days", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_evaluation_taxonomy", "model_evaluation", ["taxonomy_version", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_event_supersedes", table_name="indicator_event")
    op.create_index("ix_event_supersedes", "indicator_event", ["supersedes"])
    op.drop_index("ix_evaluation_taxonomy", table_name="model_evaluation")
    op.drop_table("model_evaluation")
    with op.batch_alter_table("model_run") as batch:
        batch.drop_column("min_ess_tail")
    op.drop_index("ix_pair_collection", table_name="pair")
    with op.batch_alter_table("pair") as batch:
        batch.drop_column("collection")
    op.drop_index("ix_faction_collection", table_name="faction")
    with op.batch_alter_table("faction") as batch:
        batch.drop_column("collection")
    with op.batch_alter_table("indicator_event") as batch:
        batch.drop_column("ended_on")

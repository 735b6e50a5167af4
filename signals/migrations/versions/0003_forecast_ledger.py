"""The forecast ledger: every headline forecast served (on a change, and a daily snapshot),
each horizon's window, and the scores of the windows outcomes have settled. All three
tables are append-only, like the event log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEND_ONLY = ("forecast_ledger", "ledger_horizon", "ledger_score")


def upgrade() -> None:
    op.create_table(
        "forecast_ledger",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("pair_id", sa.String(140), sa.ForeignKey("pair.id"), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(26), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("taxonomy_version", sa.String(100), nullable=False),
        sa.Column("etag", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("snapshot_on", sa.Date(), nullable=True),
        sa.UniqueConstraint("pair_id", "etag", name="uq_ledger_pair_etag"),
        sa.CheckConstraint("kind IN ('change','snapshot')", name="ck_ledger_kind"),
        sa.CheckConstraint(
            "(kind = 'snapshot' AND snapshot_on IS NOT NULL) "
            "OR (kind = 'change' AND snapshot_on IS NULL)",
            name="ck_ledger_snapshot_on",
        ),
    )
    # At most one snapshot per pair and day; changes (snapshot_on NULL) are not constrained.
    op.create_index(
        "ix_ledger_snapshot", "forecast_ledger", ["pair_id", "snapshot_on"], unique=True
    )
    op.create_index("ix_ledger_pair_made", "forecast_ledger", ["pair_id", "made_at"])
    op.create_index("ix_ledger_made_on", "forecast_ledger", ["made_on"])
    op.create_table(
        "ledger_horizon",
        sa.Column(
            "entry_id", sa.String(26), sa.ForeignKey("forecast_ledger.id"), primary_key=True
        ),
        sa.Column("horizon_days", sa.Integer(), primary_key=True),
        sa.Column("pair_id", sa.String(140), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=False),
        sa.Column("upper", sa.Float(), nullable=False),
    )
    op.create_index("ix_ledger_horizon_window", "ledger_horizon", ["pair_id", "window_end"])
    op.create_table(
        "ledger_score",
        sa.Column("entry_id", sa.String(26), primary_key=True),
        sa.Column("horizon_days", sa.Integer(), primary_key=True),
        sa.Column("outcome_id", sa.String(26), sa.ForeignKey("outcome.id"), nullable=False),
        sa.Column("outcome", sa.Integer(), nullable=False),
        sa.Column("brier", sa.Float(), nullable=False),
        sa.Column("log_score", sa.Float(), nullable=False),
        sa.Column("inside", sa.Boolean(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id", "horizon_days"],
            ["ledger_horizon.entry_id", "ledger_horizon.horizon_days"],
            name="fk_ledger_score_horizon",
        ),
        sa.CheckConstraint("outcome IN (0, 1)", name="ck_ledger_score_outcome"),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    """The database refuses UPDATE and DELETE on the ledger, as on the event log (0001
    made the PostgreSQL function)."""
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: what was said "
                    "stays said'); END"
                )
        return
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION riftcast_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION riftcast_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_table("ledger_score")
    op.drop_index("ix_ledger_horizon_window", table_name="ledger_horizon")
    op.drop_table("ledger_horizon")
    op.drop_index("ix_ledger_made_on", table_name="forecast_ledger")
    op.drop_index("ix_ledger_pair_made", table_name="forecast_ledger")
    op.drop_index("ix_ledger_snapshot", table_name="forecast_ledger")
    op.drop_table("forecast_ledger")

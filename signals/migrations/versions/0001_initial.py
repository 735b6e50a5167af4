"""Initial schema: factions, pairs, the append-only event and outcome logs, access, jobs, runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("indicator_event", "outcome")


def upgrade() -> None:
    op.create_table(
        "faction",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("movement", sa.String(200), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("notes", sa.String(4000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "pair",
        sa.Column("id", sa.String(140), primary_key=True),
        sa.Column("faction_a", sa.String(64), sa.ForeignKey("faction.id"), nullable=False),
        sa.Column("faction_b", sa.String(64), sa.ForeignKey("faction.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ruptured_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("faction_a < faction_b", name="ck_pair_canonical"),
        sa.UniqueConstraint("faction_a", "faction_b", name="uq_pair_factions"),
    )
    op.create_table(
        "indicator_event",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("pair_id", sa.String(140), sa.ForeignKey("pair.id"), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("precision", sa.String(5), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("summary", sa.String(4000), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("source_url", sa.String(2000), nullable=False),
        sa.Column("reliability", sa.String(1), nullable=False),
        sa.Column("credibility", sa.Integer(), nullable=False),
        sa.Column("intensity", sa.Float(), nullable=False),
        sa.Column("submitted_by", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column(
            "supersedes", sa.String(26), sa.ForeignKey("indicator_event.id"), nullable=True
        ),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.CheckConstraint(
            "reliability IN ('A','B','C','D','E','F')", name="ck_event_reliability"
        ),
        sa.CheckConstraint("credibility BETWEEN 1 AND 6", name="ck_event_credibility"),
        sa.CheckConstraint("intensity >= 0 AND intensity <= 1", name="ck_event_intensity"),
        sa.CheckConstraint("precision IN ('day','month','year')", name="ck_event_precision"),
        sa.CheckConstraint(
            "kind IN ('report','correction','retraction')", name="ck_event_kind"
        ),
    )
    op.create_index("ix_event_pair_recorded", "indicator_event", ["pair_id", "recorded_at"])
    op.create_index("ix_event_recorded", "indicator_event", ["recorded_at"])
    op.create_index("ix_event_supersedes", "indicator_event", ["supersedes"])
    op.create_index("ix_event_content_hash", "indicator_event", ["content_hash"])
    op.create_table(
        "outcome",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("pair_id", sa.String(140), sa.ForeignKey("pair.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("definition", sa.String(2000), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("source_url", sa.String(2000), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(100), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.CheckConstraint("status IN ('ruptured','cohesive')", name="ck_outcome_status"),
    )
    op.create_index("ix_outcome_pair_recorded", "outcome", ["pair_id", "recorded_at"])
    op.create_index("ix_outcome_content_hash", "outcome", ["content_hash"])
    op.create_table(
        "api_key",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_key_key_hash", "api_key", ["key_hash"], unique=True)
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(26), nullable=True),
        sa.Column("key_name", sa.String(100), nullable=True),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("route", sa.String(300), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(300), nullable=False),
    )
    op.create_index("ix_audit_at", "audit_entry", ["at"])
    op.create_table(
        "idempotency_record",
        sa.Column("owner", sa.String(26), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("route", sa.String(300), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "refit_job",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(100), nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(26), nullable=True),
        sa.Column("error", sa.String(4000), nullable=True),
    )
    op.create_index("ix_refit_status", "refit_job", ["status", "created_at"])
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("pair_id", sa.String(140), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_change_pair_at", "change_log", ["pair_id", "at"])
    op.create_index("ix_change_kind_at", "change_log", ["kind", "at"])
    op.create_table(
        "model_run",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("taxonomy_version", sa.String(100), nullable=False),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("sampler", sa.String(20), nullable=False),
        sa.Column("draws_path", sa.String(500), nullable=False),
        sa.Column("grid_start", sa.Date(), nullable=False),
        sa.Column("step_days", sa.Integer(), nullable=False),
        sa.Column("pair_ids", sa.JSON(), nullable=False),
        sa.Column("type_keys", sa.JSON(), nullable=False),
        sa.Column("n_pairs", sa.Integer(), nullable=False),
        sa.Column("n_obs", sa.Integer(), nullable=False),
        sa.Column("n_events", sa.Integer(), nullable=False),
        sa.Column("n_ruptures", sa.Integer(), nullable=False),
        sa.Column("max_rhat", sa.Float(), nullable=True),
        sa.Column("min_ess_bulk", sa.Float(), nullable=True),
        sa.Column("divergences", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
    )
    op.create_index("ix_model_run_published", "model_run", ["published", "created_at"])
    _append_only_triggers()


def _append_only_triggers() -> None:
    """The database itself refuses UPDATE and DELETE on the append-only logs."""
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a correction "
                    "or retraction instead'); END"
                )
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION riftcast_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: record a correction or retraction instead',
                TG_TABLE_NAME;
        END;
        $$ LANGUAGE plpgsql
        """
    )
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
        op.execute("DROP FUNCTION IF EXISTS riftcast_append_only()")
    for table in (
        "model_run",
        "change_log",
        "refit_job",
        "idempotency_record",
        "audit_entry",
        "api_key",
        "outcome",
        "indicator_event",
        "pair",
        "faction",
    ):
        op.drop_table(table)

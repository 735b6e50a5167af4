"""SQLModel tables. The schema itself changes only through Alembic migrations.

`indicator_event` and `outcome` are append-only (enforced by database triggers): a
correction or a retraction is a new row whose `supersedes` points at the earlier one, so
"what did we know at time T" is a query on `recorded_at`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class Faction(SQLModel, table=True):
    __tablename__ = "faction"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    movement: str = Field(max_length=200)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    notes: str = Field(default="", max_length=4000)
    created_at: datetime
    created_by: str = Field(max_length=100)
    # Where the faction came from: "" for an analyst's own, "reference" for the shipped
    # history of real splits, "demo" for the demo scenario. Filterable, never a rule.
    collection: str = Field(default="", max_length=32, index=True)


class Pair(SQLModel, table=True):
    """An unordered pair of factions, stored in canonical order (faction_a < faction_b)."""

    __tablename__ = "pair"
    __table_args__ = (
        CheckConstraint("faction_a < faction_b", name="ck_pair_canonical"),
        UniqueConstraint("faction_a", "faction_b", name="uq_pair_factions"),
    )

    id: str = Field(primary_key=True, max_length=140)
    faction_a: str = Field(foreign_key="faction.id", max_length=64)
    faction_b: str = Field(foreign_key="faction.id", max_length=64)
    status: str = Field(default="cohesive", max_length=16)
    ruptured_on: date | None = None
    created_at: datetime
    # The factions' collection when both share one ("reference", "demo"), else "".
    collection: str = Field(default="", max_length=32, index=True)


class IndicatorEvent(SQLModel, table=True):
    __tablename__ = "indicator_event"
    __table_args__ = (
        Index("ix_event_pair_recorded", "pair_id", "recorded_at"),
        Index("ix_event_recorded", "recorded_at"),
        # At most one successor per event: one correction or one retraction, never two.
        Index("ix_event_supersedes", "supersedes", unique=True),
        Index("ix_event_content_hash", "content_hash"),
        CheckConstraint("reliability IN ('A','B','C','D','E','F')", name="ck_event_reliability"),
        CheckConstraint("credibility BETWEEN 1 AND 6", name="ck_event_credibility"),
        CheckConstraint("intensity >= 0 AND intensity <= 1", name="ck_event_intensity"),
        CheckConstraint("precision IN ('day','month','year')", name="ck_event_precision"),
        CheckConstraint("kind IN ('report','correction','retraction')", name="ck_event_kind"),
    )

    id: str = Field(primary_key=True, max_length=26)
    pair_id: str = Field(foreign_key="pair.id", max_length=140)
    type: str = Field(max_length=64)
    occurred_on: date
    precision: str = Field(max_length=5)
    recorded_at: datetime
    actor: str = Field(default="", max_length=200)
    summary: str = Field(default="", max_length=4000)
    source: str = Field(max_length=300)
    source_url: str = Field(default="", max_length=2000)
    reliability: str = Field(max_length=1)
    credibility: int
    intensity: float = 1.0
    submitted_by: str = Field(max_length=100)
    kind: str = Field(default="report", max_length=10)
    supersedes: str | None = Field(default=None, foreign_key="indicator_event.id", max_length=26)
    reason: str = Field(default="", max_length=2000)
    content_hash: str = Field(max_length=64)
    # For a state type (an absence that goes on): the day it ended, None while it is open.
    ended_on: date | None = None


class Outcome(SQLModel, table=True):
    __tablename__ = "outcome"
    __table_args__ = (
        Index("ix_outcome_pair_recorded", "pair_id", "recorded_at"),
        Index("ix_outcome_content_hash", "content_hash"),
        CheckConstraint("status IN ('ruptured','cohesive')", name="ck_outcome_status"),
    )

    id: str = Field(primary_key=True, max_length=26)
    pair_id: str = Field(foreign_key="pair.id", max_length=140)
    status: str = Field(max_length=16)
    on_date: date
    definition: str = Field(default="", max_length=2000)
    source: str = Field(default="", max_length=300)
    source_url: str = Field(default="", max_length=2000)
    recorded_at: datetime
    submitted_by: str = Field(max_length=100)
    content_hash: str = Field(max_length=64)


class ApiKey(SQLModel, table=True):
    """An API key; only its SHA-256 is stored."""

    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=26)
    name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)
    created_at: datetime
    revoked_at: datetime | None = None


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    key_id: str | None = Field(default=None, max_length=26)
    key_name: str | None = Field(default=None, max_length=100)
    method: str = Field(max_length=10)
    route: str = Field(max_length=300)
    object_id: str | None = Field(default=None, max_length=200)
    status_code: int
    result: str = Field(max_length=300)


class IdempotencyRecord(SQLModel, table=True):
    """An Idempotency-Key and the response it produced, written with the request's write."""

    __tablename__ = "idempotency_record"

    owner: str = Field(primary_key=True, max_length=26)
    key: str = Field(primary_key=True, max_length=200)
    route: str = Field(max_length=300)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: str
    created_at: datetime


class RefitJob(SQLModel, table=True):
    """A durable refit request, executed by the worker that `serve` starts."""

    __tablename__ = "refit_job"
    __table_args__ = (Index("ix_refit_status", "status", "created_at"),)

    id: str = Field(primary_key=True, max_length=26)
    status: str = Field(default="queued", max_length=10)
    reason: str = Field(max_length=100)
    requested_by: str = Field(max_length=100)
    created_at: datetime
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
    worker: str | None = Field(default=None, max_length=100)
    attempts: int = 0
    run_id: str | None = Field(default=None, max_length=26)
    error: str | None = Field(default=None, max_length=4000)


class ChangeEntry(SQLModel, table=True):
    """One row per accepted write that can change a forecast; workers poll it to stay fresh."""

    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_pair_at", "pair_id", "at"),
        Index("ix_change_kind_at", "kind", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pair_id: str | None = Field(default=None, max_length=140)
    kind: str = Field(max_length=20)
    at: datetime
    # The serving app that wrote it and dropped what it made stale at its own commit
    # (signals.changes.ORIGIN); None for any other writer (the CLI, the refit worker).
    origin: str | None = Field(default=None, max_length=32)


class ModelEvaluation(SQLModel, table=True):
    """A backtest of the model as specified by one taxonomy version, on the stored log:
    the scores of the fitted model and its references, the reliability bins and the
    coverage of its 90% intervals (the JSON that `riftcast backtest --json` prints)."""

    __tablename__ = "model_evaluation"
    __table_args__ = (Index("ix_evaluation_taxonomy", "taxonomy_version", "created_at"),)

    id: str = Field(primary_key=True, max_length=26)
    created_at: datetime
    taxonomy_version: str = Field(max_length=100)
    horizon_days: int
    method: str = Field(max_length=20)
    first_origin: date
    last_origin: date
    step_days: int
    metrics: dict[str, object] = Field(sa_column=Column(JSON, nullable=False))


class LedgerEntry(SQLModel, table=True):
    """One headline forecast of a pair as it was served: written when the headline changes
    (a write, a new run) and at most once a day besides (a snapshot of unchanged knowledge,
    so a quiet pair's record still shows what was said). Append-only, like the event log.

    The database keeps concurrent server processes from writing one forecast twice: a
    forecast's ETag is the same in every process (`uq_ledger_pair_etag`), and a pair has at
    most one snapshot a day (`ix_ledger_snapshot`: NULL for a change, so unconstrained).
    """

    __tablename__ = "forecast_ledger"
    __table_args__ = (
        UniqueConstraint("pair_id", "etag", name="uq_ledger_pair_etag"),
        Index("ix_ledger_snapshot", "pair_id", "snapshot_on", unique=True),
        Index("ix_ledger_pair_made", "pair_id", "made_at"),
        Index("ix_ledger_made_on", "made_on"),
        CheckConstraint("kind IN ('change','snapshot')", name="ck_ledger_kind"),
        CheckConstraint(
            "(kind = 'snapshot' AND snapshot_on IS NOT NULL) "
            "OR (kind = 'change' AND snapshot_on IS NULL)",
            name="ck_ledger_snapshot_on",
        ),
    )

    id: str = Field(primary_key=True, max_length=26)
    pair_id: str = Field(foreign_key="pair.id", max_length=140)
    made_at: datetime  # when the entry was written (server time)
    made_on: date  # the date the forecast was made for: its windows start here
    as_of: datetime  # its knowledge time: the newest write it reflects
    run_id: str | None = Field(default=None, max_length=26)  # None: the priors alone
    status: str = Field(max_length=16)  # the pair's status as served
    taxonomy_version: str = Field(max_length=100)
    etag: str = Field(max_length=80)
    kind: str = Field(max_length=10)
    snapshot_on: date | None = None


class LedgerHorizon(SQLModel, table=True):
    """A ledger entry's forecast at one horizon: P(rupture within the window) and its 90%
    interval. The window's ends are stored (and the pair, denormalised) so that finding
    the windows an outcome settles is one indexed query on either database."""

    __tablename__ = "ledger_horizon"
    __table_args__ = (Index("ix_ledger_horizon_window", "pair_id", "window_end"),)

    entry_id: str = Field(primary_key=True, foreign_key="forecast_ledger.id", max_length=26)
    horizon_days: int = Field(primary_key=True)
    pair_id: str = Field(max_length=140)
    window_start: date
    window_end: date
    probability: float
    lower: float
    upper: float


class LedgerScore(SQLModel, table=True):
    """How a settled window scored, written once (the primary key) by the outcome that
    settled it. Append-only: a later outcome never rescores a window."""

    __tablename__ = "ledger_score"
    __table_args__ = (CheckConstraint("outcome IN (0, 1)", name="ck_ledger_score_outcome"),)

    entry_id: str = Field(primary_key=True, max_length=26)
    horizon_days: int = Field(primary_key=True)
    outcome_id: str = Field(foreign_key="outcome.id", max_length=26)
    outcome: int  # 1: ruptured inside the window; 0: known cohesive to its end
    brier: float
    log_score: float
    inside: bool  # the outcome lies in the forecast's 90% predictive set (signals.ledger)
    scored_at: datetime

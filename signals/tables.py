"""SQLModel tables. The schema itself changes only through Alembic migrations.

A resource the API shows has a base here (`FactionBase`, `EventBase`, …; `ModelRunBase` in
`signals.runs`): SQLModel without `table=True`, holding the fields its shapes share, each
with its limits, description and example. The table derives from it, adding what only
storage needs; so do its Public shape (`service.schemas`) and, where it takes the same
fields, its input (`signals.schemas`).

`indicator_event` and `outcome` are append-only (enforced by database triggers): a
correction or a retraction is a new row whose `supersedes` points at the earlier one, so
"what did we know at time T" is a query on `recorded_at`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from signals.fields import PAIR_ID_LENGTH, SLUG_LENGTH, SLUG_PATTERN, Clean, Text, example

# The OpenAPI document's examples.
EXAMPLE_TIME = "2025-03-02T10:00:00Z"
EXAMPLE_PAIR = "haqqani-network--kandahar-leadership"
EXAMPLE_EVENT = "01JNDX6Q9S0000000000000000"
EXAMPLE_OUTCOME = "01JNDX6Q9S0000000000000001"
EXAMPLE_KEY = "01JNDX6Q9S00000000000000K1"
EXAMPLE_JOB = "01JNDX6Q9S00000000000000J1"
EXAMPLE_ACTOR = "Sher Mohammad Abbas Stanikzai"
EXAMPLE_SUMMARY = "Deputy foreign minister leaves Afghanistan after a speech."
EXAMPLE_SOURCE = "Institute of the Middle East"
EXAMPLE_URL = "https://example.org/article"
EXAMPLE_TAXONOMY = "1+abcd1234"

# A row's pair: its foreign key to `pair.id`.
PairRef = Annotated[
    str,
    Field(foreign_key="pair.id", max_length=PAIR_ID_LENGTH, schema_extra=example(EXAMPLE_PAIR)),
]

# Where a faction came from: "" for an analyst's own, "reference" for the shipped history
# of real splits, "demo" for the demo scenario. Filterable, never a rule.
Collection = Annotated[
    str,
    Field(
        max_length=32,
        index=True,
        description="`reference` (the shipped history of real splits), `demo`, or empty.",
        schema_extra=example("demo"),
    ),
]


class FactionBase(SQLModel):
    """A faction of a movement, known by a short slug id: what an analyst gives."""

    id: str = Field(
        primary_key=True,
        max_length=SLUG_LENGTH,
        description="Lower-case slug: letters, digits and dashes.",
        schema_extra={"pattern": SLUG_PATTERN, **example("haqqani-network")},
    )
    name: Clean = Field(min_length=1, max_length=200, schema_extra=example("Haqqani Network"))
    movement: Clean = Field(min_length=1, max_length=200, schema_extra=example("Taliban"))
    aliases: list[Text(200, 1)] = Field(  # type: ignore[valid-type]
        default_factory=list,
        max_length=50,
        sa_column=Column(JSON, nullable=False),
        schema_extra=example(["Haqqanis"]),
    )
    notes: Clean = Field(default="", max_length=4000, schema_extra=example(""))


class FactionRecord(FactionBase):
    """A faction as stored: who created it, and the collection it came with."""

    created_at: datetime = Field(schema_extra=example(EXAMPLE_TIME))
    created_by: str = Field(max_length=100, schema_extra=example("demo"))
    collection: Collection = ""


class Faction(FactionRecord, table=True):
    __tablename__ = "faction"


class PairBase(SQLModel):
    """A pair's fields: the table's, and those the API shows (`PairPublic`)."""

    id: str = Field(
        primary_key=True,
        max_length=PAIR_ID_LENGTH,
        description="`faction_a--faction_b`.",
        schema_extra=example(EXAMPLE_PAIR),
    )
    faction_a: str = Field(
        foreign_key="faction.id", max_length=SLUG_LENGTH, schema_extra=example("haqqani-network")
    )
    faction_b: str = Field(
        foreign_key="faction.id",
        max_length=SLUG_LENGTH,
        schema_extra=example("kandahar-leadership"),
    )
    status: str = Field(
        default="cohesive",
        max_length=16,
        description="`cohesive`, or `ruptured` once an outcome says so.",
        schema_extra=example("cohesive"),
    )
    ruptured_on: date | None = Field(default=None, schema_extra=example(None))
    created_at: datetime = Field(schema_extra=example(EXAMPLE_TIME))
    # The factions' collection when both share one, else "".
    collection: Collection = ""


class Pair(PairBase, table=True):
    """An unordered pair of factions, stored in canonical order (faction_a < faction_b)."""

    __tablename__ = "pair"
    __table_args__ = (
        CheckConstraint("faction_a < faction_b", name="ck_pair_canonical"),
        UniqueConstraint("faction_a", "faction_b", name="uq_pair_factions"),
    )


class EventBase(SQLModel):
    """An event's fields that the API shows (`EventPublic`): the log's row but for its
    content hash and end date."""

    id: str = Field(primary_key=True, max_length=26, schema_extra=example(EXAMPLE_EVENT))
    pair_id: PairRef
    type: str = Field(
        max_length=64, description="Its indicator type's key.", schema_extra=example("defection")
    )
    occurred_on: date = Field(
        description="The first day of the period it is dated to.",
        schema_extra=example("2025-01-01"),
    )
    precision: str = Field(
        max_length=5,
        description="How precisely it is dated: `day`, `month` or `year`.",
        schema_extra=example("month"),
    )
    recorded_at: datetime = Field(schema_extra=example(EXAMPLE_TIME))
    actor: str = Field(default="", max_length=200, schema_extra=example(EXAMPLE_ACTOR))
    summary: str = Field(
        default="",
        max_length=4000,
        schema_extra=example(EXAMPLE_SUMMARY),
    )
    source: str = Field(max_length=300, schema_extra=example(EXAMPLE_SOURCE))
    source_url: str = Field(default="", max_length=2000, schema_extra=example(EXAMPLE_URL))
    reliability: str = Field(
        max_length=1, description="Admiralty source reliability, A–F.", schema_extra=example("C")
    )
    credibility: int = Field(
        description="Admiralty information credibility, 1–6.", schema_extra=example(3)
    )
    intensity: float = Field(
        default=1.0, description="How strong the signal is, 0–1.", schema_extra=example(0.8)
    )
    submitted_by: str = Field(max_length=100, schema_extra=example("analyst-1"))
    kind: str = Field(
        default="report",
        max_length=10,
        description="`report`, `correction` or `retraction`.",
        schema_extra=example("report"),
    )
    supersedes: str | None = Field(
        default=None,
        foreign_key="indicator_event.id",
        max_length=26,
        description="The event a correction or a retraction replaces.",
        schema_extra=example(None),
    )
    reason: str = Field(
        default="", max_length=2000, description="Why it was retracted.", schema_extra=example("")
    )
    ended_on: date | None = Field(
        default=None,
        description="For a state type (a leader's absence): the day it ended; null while it "
        "goes on.",
        schema_extra=example(None),
    )


class IndicatorEvent(EventBase, table=True):
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

    content_hash: str = Field(max_length=64)


class OutcomeBase(SQLModel):
    """An outcome's fields that the API shows (`OutcomePublic`): the row but its hash."""

    id: str = Field(primary_key=True, max_length=26, schema_extra=example(EXAMPLE_OUTCOME))
    pair_id: PairRef
    status: str = Field(
        max_length=16, description="`ruptured` or `cohesive`.", schema_extra=example("cohesive")
    )
    on_date: date = Field(
        description="The rupture's date, or the last date the pair is known cohesive.",
        schema_extra=example("2025-03-02"),
    )
    definition: str = Field(
        default="", max_length=2000, schema_extra=example("No public split announced.")
    )
    source: str = Field(default="", max_length=300, schema_extra=example(EXAMPLE_SOURCE))
    source_url: str = Field(default="", max_length=2000, schema_extra=example(""))
    recorded_at: datetime = Field(schema_extra=example(EXAMPLE_TIME))
    submitted_by: str = Field(max_length=100, schema_extra=example("analyst-1"))


class Outcome(OutcomeBase, table=True):
    __tablename__ = "outcome"
    __table_args__ = (
        Index("ix_outcome_pair_recorded", "pair_id", "recorded_at"),
        Index("ix_outcome_content_hash", "content_hash"),
        CheckConstraint("status IN ('ruptured','cohesive')", name="ck_outcome_status"),
    )

    content_hash: str = Field(max_length=64)


class ApiKeyBase(SQLModel):
    """An API key's fields that the API shows (`KeyPublic`): the row but its hash."""

    id: str = Field(primary_key=True, max_length=26, schema_extra=example(EXAMPLE_KEY))
    name: str = Field(max_length=100, schema_extra=example("dashboard"))
    role: str = Field(
        max_length=16, description="`reader`, `analyst` or `admin`.", schema_extra=example("reader")
    )
    prefix: str = Field(max_length=12, schema_extra=example("rk_AbCdEfGh"))
    created_at: datetime = Field(schema_extra=example(EXAMPLE_TIME))
    revoked_at: datetime | None = Field(default=None, schema_extra=example(None))


class ApiKey(ApiKeyBase, table=True):
    """An API key; only its SHA-256 is stored."""

    __tablename__ = "api_key"

    key_hash: str = Field(max_length=64, unique=True, index=True)


class AuditEntryBase(SQLModel):
    """An audit entry's fields: the table's, and those the API shows (`AuditEntryPublic`)."""

    id: int | None = Field(default=None, primary_key=True, schema_extra=example(42))
    at: datetime = Field(schema_extra=example(EXAMPLE_TIME))
    key_id: str | None = Field(default=None, max_length=26, schema_extra=example(EXAMPLE_KEY))
    key_name: str | None = Field(default=None, max_length=100, schema_extra=example("analyst-1"))
    method: str = Field(max_length=10, schema_extra=example("POST"))
    route: str = Field(max_length=300, schema_extra=example("/v1/events"))
    object_id: str | None = Field(default=None, max_length=200, schema_extra=example(EXAMPLE_EVENT))
    status_code: int = Field(schema_extra=example(201))
    result: str = Field(max_length=300, schema_extra=example("recorded 1 event(s)"))


class AuditEntry(AuditEntryBase, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_at", "at"),)


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


class RefitJobBase(SQLModel):
    """A refit job's fields: the table's, and those the API shows (`RefitJobPublic`)."""

    id: str = Field(primary_key=True, max_length=26, schema_extra=example(EXAMPLE_JOB))
    status: str = Field(default="queued", max_length=10, schema_extra=example("queued"))
    reason: str = Field(
        max_length=100,
        description="Why it was queued: `outcome`, `schedule`, `demo`, or a request's note.",
        schema_extra=example("request"),
    )
    requested_by: str = Field(max_length=100, schema_extra=example("admin"))
    created_at: datetime = Field(schema_extra=example(EXAMPLE_TIME))
    started_at: datetime | None = Field(default=None, schema_extra=example(None))
    heartbeat_at: datetime | None = Field(default=None, schema_extra=example(None))
    finished_at: datetime | None = Field(default=None, schema_extra=example(None))
    worker: str | None = Field(default=None, max_length=100, schema_extra=example(None))
    attempts: int = Field(default=0, schema_extra=example(0))
    run_id: str | None = Field(
        default=None, max_length=26, description="The run it made.", schema_extra=example(None)
    )
    error: str | None = Field(
        default=None, max_length=4000, description="Why it failed.", schema_extra=example(None)
    )


class RefitJob(RefitJobBase, table=True):
    """A durable refit request, executed by the worker that `serve` starts."""

    __tablename__ = "refit_job"
    __table_args__ = (Index("ix_refit_status", "status", "created_at"),)


class ChangeEntry(SQLModel, table=True):
    """One row per accepted write that can change a forecast; workers poll it to stay fresh."""

    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_pair_at", "pair_id", "at"),
        Index("ix_change_kind_at", "kind", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pair_id: str | None = Field(default=None, max_length=PAIR_ID_LENGTH)
    kind: str = Field(max_length=20)
    at: datetime
    # The serving app that wrote it and dropped what it made stale at its own commit
    # (signals.changes.ORIGIN); None for any other writer (the CLI, the refit worker).
    origin: str | None = Field(default=None, max_length=32)


class ModelEvaluationBase(SQLModel):
    """A recorded backtest, as the table holds it and a run's page shows it."""

    id: str = Field(primary_key=True, max_length=26)
    created_at: datetime
    taxonomy_version: str = Field(max_length=100)
    horizon_days: int
    method: str = Field(max_length=20, description="`laplace` (nested Laplace fits) or `nuts`.")
    first_origin: date
    last_origin: date
    step_days: int
    metrics: dict[str, Any] = Field(
        sa_column=Column(JSON, nullable=False),
        description="As `riftcast backtest --json` prints it: for the fitted model, its priors "
        "alone, the logistic baseline and the base rate (`models`), Brier, log score, AUC and "
        "Brier skill with pair-bootstrap 90% intervals and the Brier decomposition; the "
        "reliability diagram's points (`reliability_bins`); how often the observed number of "
        "ruptures fell inside the 90% predictive interval (`coverage`); a plain `verdict`.",
    )


class ModelEvaluation(ModelEvaluationBase, table=True):
    """A backtest of the model as specified by one taxonomy version, on the stored log:
    the scores of the fitted model and its references, the reliability bins and the
    coverage of its 90% intervals (the JSON that `riftcast backtest --json` prints)."""

    __tablename__ = "model_evaluation"
    __table_args__ = (Index("ix_evaluation_taxonomy", "taxonomy_version", "created_at"),)


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
    pair_id: PairRef
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
    pair_id: str = Field(max_length=PAIR_ID_LENGTH)
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

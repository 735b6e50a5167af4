"""The model-run store: one row per fit, its draws in a NetCDF file in the data directory.

A run that fails its diagnostics is kept, with the reason, but never published; the
newest published run is the one that forecasts.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, Session, SQLModel, col, select

from signals.errors import NotFound
from signals.fields import example
from signals.tables import EXAMPLE_TAXONOMY, EXAMPLE_TIME

EXAMPLE_RUN = "01JNDX6Q9S00000000000000R1"


class ModelRunBase(SQLModel):
    """A run's summary: the fields the API shows (`RunPublic`) and the rest of Riftcast
    reads (`models.results.RunInfo`). The table adds its draws and what they cover."""

    id: str = Field(primary_key=True, max_length=26, schema_extra=example(EXAMPLE_RUN))
    created_at: datetime = Field(schema_extra=example(EXAMPLE_TIME))
    cutoff: datetime = Field(
        description="The knowledge time it was fitted on.", schema_extra=example(EXAMPLE_TIME)
    )
    published: bool = Field(schema_extra=example(True))
    reason: str = Field(
        default="",
        max_length=2000,
        description="Why the run was not published; empty when it was.",
        schema_extra=example(""),
    )
    sampler: str = Field(max_length=20, schema_extra=example("nutpie"))
    taxonomy_version: str = Field(max_length=100, schema_extra=example(EXAMPLE_TAXONOMY))
    n_pairs: int = Field(schema_extra=example(6))
    n_obs: int = Field(description="Pair-steps in the risk set.", schema_extra=example(1200))
    n_events: int = Field(schema_extra=example(40))
    n_ruptures: int = Field(schema_extra=example(2))
    max_rhat: float | None = Field(default=None, schema_extra=example(1.004))
    min_ess_bulk: float | None = Field(
        default=None,
        description="Smallest bulk effective sample size.",
        schema_extra=example(812.0),
    )
    min_ess_tail: float | None = Field(
        default=None,
        description="Smallest tail effective sample size (the interval ends).",
        schema_extra=example(655.0),
    )
    divergences: int = Field(default=0, schema_extra=example(0))
    seconds: float = Field(default=0.0, schema_extra=example(41.5))


class ModelRun(ModelRunBase, table=True):
    __tablename__ = "model_run"
    __table_args__ = (Index("ix_model_run_published", "published", "created_at"),)

    config_hash: str = Field(max_length=64)
    draws_path: str = Field(max_length=500)
    grid_start: date
    step_days: int
    pair_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    type_keys: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def save_run(session: Session, row: ModelRun) -> ModelRun:
    session.add(row)
    session.flush()
    return row


def published_run(session: Session) -> ModelRun | None:
    stmt = (
        select(ModelRun)
        .where(col(ModelRun.published).is_(True))
        .order_by(col(ModelRun.created_at).desc(), col(ModelRun.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def published_run_before(session: Session, when: datetime) -> str | None:
    """The id of the newest published run fitted on data cut off at or before `when`."""
    stmt = (
        select(ModelRun.id)
        .where(col(ModelRun.published).is_(True))
        .where(col(ModelRun.cutoff) <= when)
        .order_by(col(ModelRun.created_at).desc(), col(ModelRun.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def list_runs(session: Session, limit: int = 100) -> list[ModelRun]:
    stmt = select(ModelRun).order_by(col(ModelRun.id).desc()).limit(limit)
    return list(session.exec(stmt))


def get_run(session: Session, run_id: str) -> ModelRun:
    row = session.get(ModelRun, run_id)
    if row is None:
        raise NotFound(f"no model run {run_id!r}")
    return row


def draws_paths(session: Session) -> set[str]:
    """Every run's draws file, as stored (absolute paths)."""
    return {row.draws_path for row in session.exec(select(ModelRun))}

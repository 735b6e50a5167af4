"""The model-run store: one row per fit, its draws in a NetCDF file in the data directory.

A run that fails its diagnostics is kept, with the reason, but never published; the
newest published run is the one that forecasts.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, Session, SQLModel, col, select

from signals.errors import NotFound


class ModelRun(SQLModel, table=True):
    __tablename__ = "model_run"
    __table_args__ = (Index("ix_model_run_published", "published", "created_at"),)

    id: str = Field(primary_key=True, max_length=26)
    created_at: datetime
    cutoff: datetime
    published: bool
    reason: str = Field(default="", max_length=2000)
    taxonomy_version: str = Field(max_length=100)
    config_hash: str = Field(max_length=64)
    sampler: str = Field(max_length=20)
    draws_path: str = Field(max_length=500)
    grid_start: date
    step_days: int
    pair_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    type_keys: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    n_pairs: int
    n_obs: int
    n_events: int
    n_ruptures: int
    max_rhat: float | None = None
    min_ess_bulk: float | None = None
    min_ess_tail: float | None = None
    divergences: int = 0
    seconds: float = 0.0


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

"""Recorded backtests: how well the model, as one taxonomy version specifies it, forecast
the stored log. `riftcast backtest` records one; every model run of that version shows the
newest, so an analyst reading a forecast can see the record behind it."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from signals.clock import new_id, utcnow
from signals.tables import ModelEvaluation


def record_evaluation(
    session: Session,
    taxonomy_version: str,
    metrics: dict[str, object],
    *,
    method: str,
    first_origin: date,
    last_origin: date,
    step_days: int,
) -> ModelEvaluation:
    row = ModelEvaluation(
        id=new_id(),
        created_at=utcnow(),
        taxonomy_version=taxonomy_version,
        horizon_days=int(metrics["horizon_days"]),  # type: ignore[call-overload]
        method=method,
        first_origin=first_origin,
        last_origin=last_origin,
        step_days=step_days,
        metrics=metrics,
    )
    session.add(row)
    session.flush()
    return row


def latest_evaluation(session: Session, taxonomy_version: str) -> ModelEvaluation | None:
    stmt = (
        select(ModelEvaluation)
        .where(ModelEvaluation.taxonomy_version == taxonomy_version)
        .order_by(col(ModelEvaluation.created_at).desc(), col(ModelEvaluation.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()

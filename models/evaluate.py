"""The backtest of the stored event log, as `riftcast backtest` runs it."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np

from models.backtest import QUICK, History, rolling_origin
from models.data import day_number, load_training
from models.hazard import FitConfig
from models.priors import half_lives, priors_from
from signals.clock import utcnow
from signals.config import Settings
from signals.db import Database
from signals.errors import InvalidInput
from signals.taxonomy import Taxonomy

MAX_HORIZON_DAYS = 5 * 365


def backtest_store(
    db: Database,
    settings: Settings,
    taxonomy: Taxonomy,
    start: date | None = None,
    end: date | None = None,
    step_days: int = 91,
    horizon_days: int = 365,
    out_dir: Path | None = None,
    draws: int = 300,
) -> dict[str, object]:
    """Rolling-origin backtest over the log; metrics as a dict (and a reliability PNG).

    At each origin the fit sees only events that had occurred and outcomes dated by then.
    (Archives are usually imported after the fact, so "known" follows the dates events
    occurred on; the bitemporal `recorded_at` cut is what `riftcast forecast --as-of` uses.)
    """
    if not 0 < horizon_days <= MAX_HORIZON_DAYS:
        raise InvalidInput.one("horizon", f"use 1 to {MAX_HORIZON_DAYS} days")
    if step_days < 7:
        raise InvalidInput.one("step", "origins must be at least 7 days apart")
    with db.read() as session:
        training = load_training(session, taxonomy, utcnow(), settings.step_days)
    if not training.pair_ids:
        raise InvalidInput.one("outcomes", "no outcomes are recorded: nothing to backtest")
    grid = training.grid
    history = History(
        events=training.events,
        n_pairs=len(training.pair_ids),
        half_lives=half_lives(taxonomy),
        grid=grid,
        ruptured_at=training.ruptured_at,
        observed_until=training.at_risk_until,
    )
    horizon_steps = math.ceil(horizon_days / grid.step_days)
    # Origins span the observed record: an outcome must be known a full horizon later.
    observed = int(max(training.at_risk_until.max(), training.ruptured_at.max()))
    first = int(observed * 0.25)
    last = observed - horizon_steps
    if start is not None:
        first = max(first, int((day_number(start) - grid.start_day) // grid.step_days))
    if end is not None:
        last = min(last, int((day_number(end) - grid.start_day) // grid.step_days))
    stride = max(1, round(step_days / grid.step_days))
    origins = list(range(first, last + 1, stride))
    if not origins:
        raise InvalidInput.one(
            "start", "no origin fits between start and end with the horizon's outcome known"
        )
    config = FitConfig(
        draws=draws,
        tune=max(draws, QUICK.tune),
        chains=2,
        thin_to=400,
        sampler=settings.fit_sampler,
    )
    result = rolling_origin(history, priors_from(taxonomy), origins, horizon_days, config)
    metrics = result.metrics()
    metrics["origins"] = len(set(result.origins))
    metrics["horizon_days"] = horizon_days
    if out_dir is not None and len(result.outcome) and np.asarray(result.outcome).sum() > 0:
        metrics["reliability_png"] = str(result.reliability(out_dir / "reliability.png"))
    return metrics

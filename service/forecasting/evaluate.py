"""The backtest of the stored event log, as `riftcast backtest` runs it."""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from models.backtest import (
    BacktestResult,
    Fitter,
    History,
    Progress,
    laplace_fitter,
    rolling_origin,
)
from models.data import day_number
from models.forecast import MAX_HORIZON_DAYS
from models.hazard import CompiledHazard, FitConfig, Priors, TrainingData
from models.priors import half_lives, priors_from
from service.forecasting.loading import load_training
from service.forecasting.refit import fit_config
from signals.clock import utcnow
from signals.config import Settings
from signals.db import Database
from signals.errors import InvalidInput
from signals.taxonomy import Taxonomy

METHODS = ("laplace", "nuts")


def nuts_fitter(priors: Priors, n_pairs: int, config: FitConfig, template: TrainingData) -> Fitter:
    """Full NUTS at every origin on one compiled model (the data are swapped in)."""
    compiled = CompiledHazard(priors, n_pairs, config, template)
    return lambda data, seed: compiled.fit(data, seed=seed)


def store_history(db: Database, settings: Settings, taxonomy: Taxonomy) -> History:
    """The whole log as a backtest history. Events count from the end of the period they
    are dated to (archives are imported after the fact, so `recorded_at` says when a row
    was typed in, not when it could first have been known)."""
    with db.read() as session:
        training = load_training(
            session, taxonomy, utcnow(), settings.step_days, settings.entry_lookback_days
        )
    if not training.pair_ids:
        raise InvalidInput.one("outcomes", "no outcomes are recorded: nothing to backtest")
    return History(
        events=training.events,
        n_pairs=len(training.pair_ids),
        half_lives=half_lives(taxonomy),
        grid=training.grid,
        entered_at=training.entered_at,
        ruptured_at=training.ruptured_at,
        observed_until=training.at_risk_until,
        rupture_day=training.rupture_day,
        observed_day=training.observed_day,
        pair_ids=training.pair_ids,
    )


def origin_steps(
    history: History,
    start: date | None,
    end: date | None,
    step_days: int,
    horizon_days: int,
) -> list[int]:
    """Origins every `step_days` from `start` (default: a quarter into the record) to
    `end` (default: one horizon before the last known status), never past either."""
    grid = history.grid
    last_day = float(np.nanmax(history.observed_day))
    first_day = grid.start_day + 0.25 * (last_day - grid.start_day)
    first = math.ceil((first_day - grid.start_day) / grid.step_days) - 1
    last = math.floor((last_day - horizon_days - grid.start_day) / grid.step_days) - 1
    if start is not None:
        first = math.ceil((day_number(start) - grid.start_day) / grid.step_days) - 1
    if end is not None:
        last = min(last, math.floor((day_number(end) - grid.start_day) / grid.step_days) - 1)
    stride = max(1, round(step_days / grid.step_days))
    return [o for o in range(max(first, 0), last + 1, stride) if o < grid.n_steps]


def backtest_store(
    db: Database,
    settings: Settings,
    taxonomy: Taxonomy,
    start: date | None = None,
    end: date | None = None,
    step_days: int = 28,
    horizon_days: int = 90,
    method: str = "laplace",
    workers: int = 2,
    progress: Progress | None = None,
) -> BacktestResult:
    """Rolling-origin backtest over the log: at each origin the fit sees only events whose
    period had ended and outcomes dated by then."""
    if not 0 < horizon_days <= MAX_HORIZON_DAYS:
        raise InvalidInput.one("horizon", f"use 1 to {MAX_HORIZON_DAYS} days")
    if step_days < 7:
        raise InvalidInput.one("step", "origins must be at least 7 days apart")
    if method not in METHODS:
        raise InvalidInput.one("method", f"use one of {', '.join(METHODS)}")
    if start is not None and end is not None and start > end:
        raise InvalidInput.one("start", "must not be after end")
    history = store_history(db, settings, taxonomy)
    origins = origin_steps(history, start, end, step_days, horizon_days)
    if not origins:
        raise InvalidInput.one(
            "start", "no origin fits between start and end with the horizon's outcome known"
        )
    priors = priors_from(taxonomy)
    if method == "laplace":
        fitter = laplace_fitter(priors)
    else:
        config = fit_config(settings)  # the production refit's settings
        fitter = nuts_fitter(priors, history.n_pairs, config, history.training_data(origins[-1]))
        workers = 1  # the chains already use the cores
    return rolling_origin(
        history, priors, origins, horizon_days, fitter, workers=workers, progress=progress
    )

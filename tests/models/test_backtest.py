"""Rolling-origin backtests: risk sets, windows, references on the same rows, honest scores."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from models.backtest import History, laplace_fitter, rolling_origin
from models.features import EventArrays, Grid
from models.hazard import Diagnostics, NoDataError, Posterior, Priors, TrainingData
from models.simulate import simulate
from tests.models.conftest import realistic_params


def _world_history(
    priors: Priors,
    type_priors: tuple,  # type: ignore[type-arg]
    activity_hl: float | None,
    n_pairs: int = 60,
) -> History:
    params = realistic_params(priors, n_pairs, seed=1)
    world = simulate(
        n_pairs,
        208,
        1,
        type_priors,
        rate_per_year=1.0,
        params=params,
        activity_shape=0.7,
        activity_half_life=activity_hl,
    )
    return History.from_steps(
        world.model_events,
        world.n_pairs,
        world.half_lives,
        world.grid,
        world.ruptured_at,
        world.at_risk_until,
    )


def test_backtest_beats_the_base_rate_and_writes_every_scored_row(
    priors: Priors,
    type_priors: tuple,  # type: ignore[type-arg]
    activity_hl: float | None,
    tmp_path: Path,
) -> None:
    history = _world_history(priors, type_priors, activity_hl)
    result = rolling_origin(
        history, priors, [78, 91, 104, 117, 130, 143], 365, laplace_fitter(priors), workers=2
    )
    m = result.metrics(reps=300)
    assert m["n_forecasts"] >= 100 and m["n_positive"] >= 10, m
    assert m["origins_failed"] == 0
    models = m["models"]
    assert set(models) == {"model", "priors_only", "baseline", "base_rate"}
    assert models["model"]["bss_base_rate"] > 0, models["model"]
    assert models["model"]["auc"] > 0.6
    assert m["coverage"]["origins"] == 6
    written = {p.name for p in result.write(tmp_path, m)}
    assert written == {"forecasts.csv", "origins.csv", "metrics.json", "reliability.png"}
    with (tmp_path / "forecasts.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == m["n_forecasts"]
    assert {
        "pair",
        "origin_day",
        "horizon_days",
        "p_model",
        "p_baseline",
        "p_base_rate",
        "p_priors_only",
        "outcome",
    } <= set(rows[0])


def _two_pair_history(rupture_day: float, entry_step: int = 0) -> History:
    """Pair 0 ruptures on `rupture_day`; pair 1 enters at `entry_step`, observed to day 700."""
    grid = Grid(start_day=-1.0, step_days=7.0, n_steps=100)
    return History(
        events=EventArrays.empty(),
        n_pairs=2,
        half_lives=np.array([90.0]),
        grid=grid,
        entered_at=np.array([0, entry_step]),
        ruptured_at=np.array([int(grid.step_of(rupture_day)), -1]),
        observed_until=np.array([int(grid.step_of(rupture_day)), 99]),
        rupture_day=np.array([rupture_day, np.nan]),
        observed_day=np.array([rupture_day, 700.0]),
        pair_ids=("a", "b"),
    )


def test_a_pair_is_scored_only_while_it_is_in_the_risk_set() -> None:
    history = _two_pair_history(rupture_day=400.0, entry_step=50)
    pairs, _ = history.scorable(origin=20, horizon_days=90)
    assert pairs.tolist() == [0]  # pair 1 has not entered yet
    pairs, outcome = history.scorable(origin=50, horizon_days=90)  # day 356
    assert pairs.tolist() == [0, 1] and outcome.tolist() == [1, 0]
    pairs, _ = history.scorable(origin=58, horizon_days=90)  # day 405: pair 0 ruptured
    assert pairs.tolist() == [1]
    data = history.training_data(origin=60)
    assert np.bincount(data.pair, minlength=2)[1] == 11  # steps 50..60 only


def test_the_scored_window_is_the_horizon_in_days() -> None:
    grid_day = Grid(start_day=-1.0, step_days=7.0).day_of(20)  # day 146
    inside = _two_pair_history(rupture_day=grid_day + 90)
    outside = _two_pair_history(rupture_day=grid_day + 91)
    assert inside.scorable(20, 90)[1].tolist() == [1, 0]
    assert outside.scorable(20, 90)[1].tolist() == [0, 0]


def test_an_event_dated_to_a_month_is_not_seen_inside_that_month() -> None:
    """Known from the end of its period; its evidence may still start mid-month."""
    events = EventArrays(
        np.array([0]), np.array([0]), np.array([115.0]), np.ones(1), known=np.array([130.0])
    )
    assert len(events.known_by(120.0)) == 0
    assert len(events.known_by(130.0)) == 1


def _failing(data: TrainingData, seed: int) -> Posterior:
    d = Diagnostics(1.5, 10.0, 3, 10, "nutpie", 0.1)
    k = data.x.shape[1]
    return Posterior(np.zeros((10, data.n_pairs)), np.zeros(10), np.ones(10), np.zeros((10, k)), d)


def test_a_fit_that_fails_the_gate_is_not_used(
    priors: Priors,
    type_priors: tuple,  # type: ignore[type-arg]
    activity_hl: float | None,
) -> None:
    history = _world_history(priors, type_priors, activity_hl, n_pairs=20)
    result = rolling_origin(history, priors, [80, 100], 365, _failing)
    assert [o.passed for o in result.origins] == [False, False]
    assert {o.forecast_from for o in result.origins} == {"priors"}
    assert "R-hat" in result.origins[0].reason
    p = result.probabilities("model")
    np.testing.assert_allclose(p, result.probabilities("priors_only"))
    assert result.metrics(reps=50)["origins_failed"] == 2


def test_without_a_rupture_the_scores_are_declared_undefined() -> None:
    history = _two_pair_history(rupture_day=650.0)
    priors = Priors(np.array([0.3]), np.array([0.3]))
    result = rolling_origin(history, priors, [10, 20], 90, laplace_fitter(priors, 200))
    m = result.metrics(reps=50)
    assert m["n_positive"] == 0 and "undefined" in m and "models" not in m
    empty = rolling_origin(history, priors, [], 90, laplace_fitter(priors, 200))
    with pytest.raises(NoDataError):
        empty.metrics()


def test_the_bootstrap_resamples_pairs_not_rows() -> None:
    """Rows of one pair move together: one pair's 50 identical rows give no spread when
    the metric is the share of pair 0's rows; resampling rows would."""
    from models.scoring import bootstrap

    groups = np.array([0] * 50 + [1] * 50)
    values = np.array([1.0] * 50 + [0.0] * 50)

    def share(i: np.ndarray) -> float:
        return float(values[i].mean())

    by_pair = bootstrap(share, 100, 200, groups=groups)
    by_row = bootstrap(share, 100, 200)
    assert set(by_pair) <= {0.0, 0.5, 1.0}
    assert 0.3 < by_row[0] < 0.5 < by_row[1] < 0.7


def test_the_verdict_says_plainly_when_fitting_hurts() -> None:
    from models.backtest import _verdict

    losing = {"model": {"bss_vs_priors_only": -0.08, "bss_vs_priors_only_ci": (-0.12, -0.03)}}
    assert "LOSES to its own priors-only version" in _verdict(losing)  # type: ignore[arg-type]
    winning = {"model": {"bss_vs_priors_only": 0.05, "bss_vs_priors_only_ci": (0.01, 0.09)}}
    assert "beats" in _verdict(winning)  # type: ignore[arg-type]


def test_origins_never_pass_the_end_and_leave_room_for_the_horizon() -> None:
    from datetime import date

    from models.data import day_number
    from service.forecasting.evaluate import origin_steps

    history = _two_pair_history(rupture_day=650.0)
    origins = origin_steps(history, None, date(1971, 6, 1), 28, 90)
    assert origins and all(history.grid.day_of(o) <= day_number(date(1971, 6, 1)) for o in origins)
    late = origin_steps(history, None, None, 28, 90)
    assert all(history.grid.day_of(o) + 90 <= 700 for o in late)
    assert late[1] - late[0] == 4  # 28 days on a weekly grid


def test_a_dated_period_is_known_at_its_end() -> None:
    from datetime import date

    from models.data import period_end

    assert period_end(date(2025, 1, 1), "month") == date(2025, 1, 31)
    assert period_end(date(2024, 12, 1), "month") == date(2024, 12, 31)
    assert period_end(date(2024, 1, 1), "year") == date(2024, 12, 31)
    assert period_end(date(2024, 3, 7), "day") == date(2024, 3, 7)

"""Rolling-origin backtest on simulated data: skill against the base rate and the baseline."""

from __future__ import annotations

from pathlib import Path

from models.backtest import History, rolling_origin
from models.hazard import Priors
from models.simulate import simulate
from tests.models.conftest import QUICK, realistic_params


def test_backtest_beats_the_base_rate_and_matches_the_baseline(
    priors: Priors,
    type_priors: tuple,
    tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    params = realistic_params(priors, 60, seed=1)
    world = simulate(60, 156, 1, type_priors, rate_per_year=1.0, params=params, activity_shape=0.7)
    history = History(
        world.events,
        world.n_pairs,
        world.half_lives,
        world.grid,
        world.ruptured_at,
        world.at_risk_until,
    )
    result = rolling_origin(history, priors, [78, 117], 365, QUICK)
    m = result.metrics(reps=400)
    assert set(m) >= {
        "brier",
        "log_score",
        "bss_base_rate",
        "bss_baseline",
        "auc",
        "n_forecasts",
        "n_positive",
    }
    assert m["n_forecasts"] >= 40 and m["n_positive"] >= 5
    assert m["bss_base_rate"] > 0, m
    # "No worse than the baseline": the bootstrap interval of the skill against it
    # reaches zero or above.
    assert m["bss_baseline_ci"][1] >= 0, m
    png = result.reliability(tmp_path / "reliability.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

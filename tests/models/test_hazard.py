"""The PyMC hazard model: risk sets, stored posteriors, and parameter recovery."""

from __future__ import annotations

from pathlib import Path

import arviz as az
import numpy as np
import pytest
import xarray as xr

from models.hazard import (
    Diagnostics,
    NoDataError,
    Posterior,
    Priors,
    TrainingData,
    build_training_data,
    fit,
    prior_draws,
)
from models.simulate import simulate
from tests.models.conftest import QUICK, realistic_params


def test_risk_set_ends_at_rupture_and_evidence_is_lagged() -> None:
    ev = np.arange(2 * 5 * 1, dtype=float).reshape(2, 5, 1) + 1  # (P=2, T=5, K=1)
    data = build_training_data(ev, at_risk_until=np.array([2, 4]), ruptured_at=np.array([2, -1]))
    assert data.pair.tolist() == [0, 0, 0, 1, 1, 1, 1, 1]
    assert data.y.tolist() == [0, 0, 1, 0, 0, 0, 0, 0]
    # Week t sees the evidence at the end of week t-1: nothing from the week it describes.
    assert data.x[:, 0].tolist() == [0, 1, 2, 0, 6, 7, 8, 9]


def test_pairs_without_outcomes_add_no_rows() -> None:
    data = build_training_data(np.ones((3, 4, 2)), np.array([-1, 3, -1]), np.array([-1] * 3))
    assert set(data.pair.tolist()) == {1} and len(data.y) == 4


def test_fit_refuses_no_data(priors: Priors) -> None:
    empty = TrainingData(np.zeros((0, 12)), np.zeros(0, int), np.zeros(0, int), 0)
    with pytest.raises(NoDataError, match="nothing to fit"):
        fit(empty, priors, QUICK)


def test_diagnostics_gate_publication() -> None:
    base = prior_draws(Priors(np.zeros(2), np.ones(2)), 3, 10, 0)
    good = Diagnostics(1.002, 900.0, 0, 1000, "pymc", 1.0)
    assert Posterior(base.alpha, base.mu_alpha, base.sigma_alpha, base.beta, good).passes() == (
        True,
        "",
    )
    bad = Diagnostics(1.05, 120.0, 3, 1000, "pymc", 1.0)
    ok, reason = Posterior(base.alpha, base.mu_alpha, base.sigma_alpha, base.beta, bad).passes()
    assert not ok
    assert "R-hat" in reason and "ESS" in reason and "3 divergent" in reason
    assert not base.passes()[0]  # prior draws are never a publishable run


def test_posterior_round_trips_through_netcdf(tmp_path: Path) -> None:
    post = prior_draws(Priors(np.zeros(3), np.ones(3)), 4, 50, seed=3)
    post.config_hash = "abc123"
    path = tmp_path / "run.nc"
    post.to_netcdf(path)
    back = Posterior.from_netcdf(path, expect_hash="abc123")
    np.testing.assert_array_equal(back.beta, post.beta)
    assert back.diagnostics == post.diagnostics
    with pytest.raises(ValueError, match="fitted with config"):
        Posterior.from_netcdf(path, expect_hash="other")
    # The draws are readable by xarray and ArviZ without Riftcast.
    ds = xr.open_dataset(path, engine="h5netcdf")
    assert ds["alpha"].shape == (50, 4)
    assert az.summary(az.convert_to_inference_data(ds["beta"].values[None])).shape[0] == 3


def test_parameters_are_recovered(
    priors: Priors,
    type_priors: tuple,  # type: ignore[type-arg]
    activity_hl: float | None,
) -> None:
    params = realistic_params(priors, 50, seed=5)
    world = simulate(
        50,
        208,
        5,
        type_priors,
        rate_per_year=1.5,
        params=params,
        activity_shape=0.7,
        priors=priors,
        activity_half_life=activity_hl,
    )
    data = world.training_data()
    assert 5 <= data.y.sum() <= 45
    post = fit(data, priors, QUICK)
    assert post.diagnostics.divergences == 0 and post.diagnostics.max_rhat < 1.05
    truth = np.concatenate([[params.mu_alpha], params.beta])
    draws = np.column_stack([post.mu_alpha, post.beta])
    lo, hi = np.quantile(draws, [0.05, 0.95], axis=0)
    covered = (lo <= truth) & (truth <= hi)
    assert covered.mean() >= 0.75, (truth, lo, hi)
    assert lo[0] <= params.mu_alpha <= hi[0]


def test_the_gate_checks_the_tails_too() -> None:
    """The interval ends are 5% and 95% quantiles: a run with a thin tail is refused."""
    from models.hazard import Diagnostics

    base = prior_draws(Priors(np.zeros(2), np.ones(2)), 2, 50, seed=0)
    thin = Diagnostics(1.001, 900.0, 0, 50, "nutpie", 1.0, min_ess_tail=150.0)
    ok, reason = Posterior(base.alpha, base.mu_alpha, base.sigma_alpha, base.beta, thin).passes()
    assert not ok and "tail ESS 150" in reason

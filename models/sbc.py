"""Simulation-based calibration (Talts et al. 2018) of the hazard fit.

Parameters drawn from the prior, data drawn from the model, the posterior fitted with real
MCMC: if the fit is calibrated, the rank of each true value among its posterior draws is
uniform, and 90% intervals cover the truth 90% of the time.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from models.hazard import CompiledHazard, FitConfig, Priors
from models.simulate import simulate

CONFIG = FitConfig(draws=250, tune=400, chains=2, cores=1, thin_to=99, sampler="pymc")
PRIORS = Priors(
    np.array([0.8, 0.5, -0.6]),
    np.array([0.5, 0.4, 0.4]),
    alpha_mu=-4.5,
    alpha_mu_sd=0.7,
    alpha_sigma_sd=0.5,
)
TYPES = ([0.8, 0.5, -0.6], [0.5, 0.4, 0.4], [90.0, 120.0, 60.0], ["a", "b", "c"])
NAMES = ("mu_alpha", "beta[a]", "beta[b]", "beta[c]")


def sbc_ranks(reps: int, seed: int, config: FitConfig = CONFIG) -> tuple[np.ndarray, np.ndarray]:
    """(ranks (reps, 4), covered (reps, 4)) for mu_alpha and the three betas."""
    ranks, covered = [], []
    compiled: CompiledHazard | None = None
    for rep in range(reps):
        world = simulate(8, 80, seed + rep, TYPES, rate_per_year=4.0, priors=PRIORS)
        data = world.training_data()
        if compiled is None:  # one model for every replicate: only the data change
            compiled = CompiledHazard(PRIORS, data.n_pairs, replace(config, seed=seed), data)
        post = compiled.fit(data, seed=seed + rep)
        truth = np.concatenate([[world.params.mu_alpha], world.params.beta])
        draws = np.column_stack([post.mu_alpha, post.beta])
        ranks.append((draws < truth).sum(axis=0))
        lo, hi = np.quantile(draws, [0.05, 0.95], axis=0)
        covered.append((lo <= truth) & (truth <= hi))
    return np.array(ranks), np.array(covered)

"""Fixtures for the model tests: the taxonomy's priors and a simulation recipe."""

from __future__ import annotations

import numpy as np
import pytest

from models.hazard import FitConfig, Priors
from models.priors import activity_half_life, priors_from, type_recipe
from signals.taxonomy import Taxonomy

# Small fits for the suite: PyMC's own NUTS compiles once per process and then samples
# these problems in about two seconds; nutpie's numba compile would dominate instead.
QUICK = FitConfig(draws=300, tune=400, chains=2, cores=1, thin_to=300, sampler="pymc")


@pytest.fixture(scope="session")
def priors(taxonomy: Taxonomy) -> Priors:
    return priors_from(taxonomy)


@pytest.fixture(scope="session")
def type_priors(
    taxonomy: Taxonomy,
) -> tuple[list[float], list[float], list[float], list[str]]:
    return type_recipe(taxonomy)


@pytest.fixture(scope="session")
def activity_hl(taxonomy: Taxonomy) -> float | None:
    """The activity column's half-life: pass it to `simulate` with the taxonomy's priors."""
    return activity_half_life(taxonomy)


def realistic_params(priors: Priors, n_pairs: int, seed: int):  # type: ignore[no-untyped-def]
    """Fixed true parameters: a 2%-a-year baseline and the taxonomy's mean effects."""
    from models.simulate import TrueParams

    rng = np.random.default_rng(seed)
    return TrueParams(-6.5, 0.3, -6.5 + 0.3 * rng.standard_normal(n_pairs), priors.beta_mu)

"""The model's priors, read from the taxonomy: data, not code."""

from __future__ import annotations

import numpy as np

from models.hazard import Priors
from signals.taxonomy import Taxonomy


def priors_from(taxonomy: Taxonomy) -> Priors:
    return Priors(
        beta_mu=np.array([t.prior_mean for t in taxonomy.types], dtype=np.float64),
        beta_sd=np.array([t.prior_sd for t in taxonomy.types], dtype=np.float64),
    )


def half_lives(taxonomy: Taxonomy) -> np.ndarray:
    return np.array([t.half_life_days for t in taxonomy.types], dtype=np.float64)

"""The model's priors, read from the taxonomy: data, not code."""

from __future__ import annotations

import numpy as np

from models.hazard import Priors
from signals.taxonomy import Taxonomy


def priors_from(taxonomy: Taxonomy) -> Priors:
    """One prior per evidence column: each type's, then the activity column's."""
    return Priors(
        beta_mu=np.array([t.prior_mean for t in taxonomy.columns], dtype=np.float64),
        beta_sd=np.array([t.prior_sd for t in taxonomy.columns], dtype=np.float64),
    )


def half_lives(taxonomy: Taxonomy) -> np.ndarray:
    return np.array([t.half_life_days for t in taxonomy.columns], dtype=np.float64)


def type_recipe(taxonomy: Taxonomy) -> tuple[list[float], list[float], list[float], list[str]]:
    """The loggable types' prior means, sds, half-lives and keys: what `simulate` draws
    events of (the activity column is derived from them, not drawn)."""
    types = taxonomy.types
    return (
        [t.prior_mean for t in types],
        [t.prior_sd for t in types],
        [t.half_life_days for t in types],
        [t.key for t in types],
    )


def activity_half_life(taxonomy: Taxonomy) -> float | None:
    return taxonomy.activity.half_life_days if taxonomy.activity is not None else None

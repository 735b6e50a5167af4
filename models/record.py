"""The live track record: how the forecasts Riftcast served have scored, on plain arrays.

Each settled window is one forecast (probability, 90% interval, horizon) and one outcome.
The scores come from `models.scoring`; this module only groups them and names the
reference.

The reference for Brier skill is **the base rate of the window's horizon**: the share of
settled windows of that horizon that ended in a rupture. It is the forecast that knows
nothing but how often windows of that length ruptured, and it is computed from the same
settled windows (so it has hindsight a real forecaster lacked: the skill it gives is, if
anything, harsh on the model). A group's skill is 1 − Brier(forecasts) / Brier(base rate
of each window's horizon) over the group's windows; it is undefined (None) when the base
rate forecasts the group perfectly (every window ruptured, or none).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models import scoring

COVERAGE_LEVEL = 0.9  # the binomial interval of the coverage share


@dataclass(frozen=True)
class Group:
    """The record of one group of settled windows (all of them, a horizon, a movement…)."""

    key: str
    n: int
    n_ruptured: int
    mean_probability: float
    base_rate: float
    brier: float
    brier_base_rate: float
    brier_skill: float | None
    log_score: float
    inside: int
    coverage: float
    coverage_ci: tuple[float, float]


def base_rates(horizons: np.ndarray, y: np.ndarray) -> dict[int, float]:
    """Per horizon, the share of its settled windows that ruptured."""
    return {int(h): float(y[horizons == h].mean()) for h in np.unique(horizons)}


def reference(horizons: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each window's reference forecast: the base rate of its horizon."""
    rates = base_rates(horizons, y)
    return np.array([rates[int(h)] for h in horizons], dtype=np.float64)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def group(key: str, p: np.ndarray, y: np.ndarray, inside: np.ndarray, ref: np.ndarray) -> Group:
    """The scores of the windows given (a non-empty group)."""
    p, y, ref = (np.asarray(a, dtype=np.float64) for a in (p, y, ref))
    hits = int(np.asarray(inside, dtype=bool).sum())
    n = len(y)
    return Group(
        key=key,
        n=n,
        n_ruptured=int(y.sum()),
        mean_probability=float(p.mean()),
        base_rate=float(y.mean()),
        brier=scoring.brier(p, y),
        brier_base_rate=scoring.brier(ref, y),
        brier_skill=_finite(scoring.brier_skill(p, ref, y)),
        log_score=scoring.log_score(p, y),
        inside=hits,
        coverage=hits / n,
        coverage_ci=scoring.proportion_interval(hits, n, COVERAGE_LEVEL),
    )


def grouped(
    keys: Sequence[str], p: np.ndarray, y: np.ndarray, inside: np.ndarray, ref: np.ndarray
) -> list[Group]:
    """One `group` per distinct key, in sorted key order."""
    labels = np.asarray(keys, dtype=object)
    out = []
    for key in sorted(set(keys)):
        m = labels == key
        out.append(group(key, p[m], y[m], inside[m], ref[m]))
    return out


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """The reliability curve: per quantile bin of the forecasts, their mean, the observed
    frequency and the count (models.scoring.reliability_bins)."""
    return scoring.reliability_bins(p, y, bins) if len(p) else []

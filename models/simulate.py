"""Worlds drawn from the model itself, with known parameters: for recovery, SBC, backtests.

Events arrive as independent Poisson processes per pair and type (they are exogenous: the
model conditions on them); each week a pair still together ruptures with the model's hazard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from models.features import EventArrays, Grid, evidence, with_activity
from models.hazard import Priors, build_training_data
from signals.taxonomy import ACTIVITY_KEY

RELIABILITY = ("A", "B", "C", "D", "E", "F")
DEFAULT_RELIABILITY_WEIGHT = {"A": 1.0, "B": 0.85, "C": 0.7, "D": 0.5, "E": 0.3, "F": 0.6}
DEFAULT_CREDIBILITY_WEIGHT = {1: 1.0, 2: 0.85, 3: 0.7, 4: 0.5, 5: 0.3, 6: 0.6}
# Events of each type per pair per year: with 12 types this gives roughly 6 events a year
# per pair and, under the default priors, about a quarter of pairs rupturing in five years.
DEFAULT_RATE_PER_YEAR = 0.5


def default_grading_weight(reliability: str, credibility: int) -> float:
    return DEFAULT_RELIABILITY_WEIGHT[reliability] * DEFAULT_CREDIBILITY_WEIGHT[credibility]


@dataclass(frozen=True)
class TrueParams:
    mu_alpha: float
    sigma_alpha: float
    alpha: np.ndarray  # (P,)
    beta: np.ndarray  # (K,)

    def as_dict(self) -> dict[str, object]:
        return {
            "mu_alpha": self.mu_alpha,
            "sigma_alpha": self.sigma_alpha,
            "alpha": self.alpha.tolist(),
            "beta": self.beta.tolist(),
        }


@dataclass(frozen=True)
class SimulatedWorld:
    params: TrueParams
    events: EventArrays  # the logged events, days relative to grid start 0
    reliability: np.ndarray  # (n,) letters
    credibility: np.ndarray  # (n,) 1..6
    intensity: np.ndarray  # (n,)
    type_keys: tuple[str, ...]
    half_lives: np.ndarray  # per column: the types', then the activity column's if any
    grid: Grid
    at_risk_until: np.ndarray
    ruptured_at: np.ndarray

    @property
    def n_pairs(self) -> int:
        return int(self.params.alpha.shape[0])

    @property
    def column_keys(self) -> tuple[str, ...]:
        extra = (ACTIVITY_KEY,) if len(self.half_lives) > len(self.type_keys) else ()
        return (*self.type_keys, *extra)

    @property
    def model_events(self) -> EventArrays:
        """The events as the model reads them: with their activity entries, if any."""
        if len(self.half_lives) > len(self.type_keys):
            return with_activity(self.events, len(self.type_keys))
        return self.events

    def training_data(self):  # type: ignore[no-untyped-def]
        ev = evidence(self.model_events, self.n_pairs, self.half_lives, self.grid)
        return build_training_data(ev, self.at_risk_until, self.ruptured_at)


def draw_params(priors: Priors, n_pairs: int, rng: np.random.Generator) -> TrueParams:
    mu = float(rng.normal(priors.alpha_mu, priors.alpha_mu_sd))
    sigma = float(abs(rng.normal(0.0, priors.alpha_sigma_sd)))
    alpha = mu + sigma * rng.standard_normal(n_pairs)
    beta = rng.normal(priors.beta_mu, priors.beta_sd)
    return TrueParams(mu, sigma, alpha, beta)


def simulate(
    n_pairs: int,
    n_weeks: int,
    seed: int,
    type_priors: tuple[Sequence[float], Sequence[float], Sequence[float], Sequence[str]],
    grading_weight: Callable[[str, int], float] = default_grading_weight,
    rate_per_year: float = DEFAULT_RATE_PER_YEAR,
    params: TrueParams | None = None,
    priors: Priors | None = None,
    activity_shape: float = 1.0,
    activity_half_life: float | None = None,
) -> SimulatedWorld:
    """Draw parameters from the priors (unless given), events, then rupture times.

    Pairs differ in how eventful they are: each pair's event rates are scaled by a
    Gamma(activity_shape) factor of mean 1 (smaller shape, more contrast between pairs).
    With `activity_half_life`, the model has an activity column after the types (every
    event counts one in it), and `priors` or `params` must cover it.
    """
    mu, sd, half_lives, keys = type_priors
    priors = priors or Priors(np.asarray(mu, float), np.asarray(sd, float))
    if activity_half_life is not None:
        half_lives = [*half_lives, activity_half_life]
    rng = np.random.default_rng(seed)
    params = params or draw_params(priors, n_pairs, rng)
    n_types = len(keys)
    step = 7.0
    span = n_weeks * step
    activity = rng.gamma(activity_shape, 1.0 / activity_shape, size=(n_pairs, 1))
    counts = rng.poisson(activity * rate_per_year * span / 365.25, size=(n_pairs, n_types))
    pair = np.repeat(np.repeat(np.arange(n_pairs), n_types), counts.ravel())
    kind = np.repeat(np.tile(np.arange(n_types), n_pairs), counts.ravel())
    day = np.floor(rng.uniform(0, span, size=pair.shape[0]))
    reliability = rng.choice(
        np.array(RELIABILITY), size=pair.shape[0], p=[0.1, 0.3, 0.3, 0.15, 0.05, 0.1]
    )
    credibility = rng.choice(
        np.arange(1, 7), size=pair.shape[0], p=[0.1, 0.3, 0.3, 0.15, 0.05, 0.1]
    )
    intensity = np.round(rng.uniform(0.2, 1.0, size=pair.shape[0]), 2)
    weight = intensity * np.array(
        [grading_weight(str(r), int(c)) for r, c in zip(reliability, credibility, strict=True)]
    )
    order = np.lexsort((day, pair))
    events = EventArrays(
        pair[order],
        kind[order],
        day[order],
        weight[order],
        tuple(f"sim-{i}" for i in range(pair.shape[0])),
    )
    grid = Grid(start_day=-1.0, step_days=step, n_steps=n_weeks)
    hl = np.asarray(half_lives, dtype=np.float64)
    if len(params.beta) != len(hl):
        raise ValueError(f"{len(params.beta)} effects for {len(hl)} evidence columns")
    model_events = with_activity(events, n_types) if activity_half_life is not None else events
    ev = evidence(model_events, n_pairs, hl, grid)
    lagged = np.concatenate([np.zeros((n_pairs, 1, len(hl))), ev[:, :-1, :]], axis=1)
    logit = params.alpha[:, None] + lagged @ params.beta
    hazard = 1.0 / (1.0 + np.exp(-logit))
    hit = rng.uniform(size=hazard.shape) < hazard
    ruptured_at = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    at_risk = np.where(ruptured_at >= 0, ruptured_at, n_weeks - 1)
    # Events after a rupture belong to another story: drop them.
    last_day = grid.start_day + (at_risk + 1) * step
    keep = events.day <= last_day[events.pair]
    return SimulatedWorld(
        params=params,
        events=events.subset(keep),
        reliability=reliability[order][keep],
        credibility=credibility[order][keep],
        intensity=intensity[order][keep],
        type_keys=tuple(keys),
        half_lives=hl,
        grid=grid,
        at_risk_until=at_risk,
        ruptured_at=ruptured_at,
    )

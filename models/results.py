"""What a forecast is, as the rest of Riftcast sees it: plain frozen dataclasses.

A probability never travels alone: it carries its 90% interval, its horizon, its as-of
time, and the model run (or the statement that only the priors were used) behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class HorizonResult:
    horizon_days: int
    probability: float  # posterior mean of P(rupture within the horizon)
    lower: float  # 5% quantile
    upper: float  # 95% quantile
    phrase: str  # ICD 203 estimative phrase of the mean
    phrase_uncertain: bool  # the 90% interval spans more than one ICD 203 band


@dataclass(frozen=True)
class TypeDriver:
    key: str
    label: str
    evidence: float  # decayed, graded evidence of this type now
    contribution: float  # posterior mean of beta_k * evidence_k, in log-odds
    share: float | None  # |contribution| / sum of |contributions|; None near a zero sum


@dataclass(frozen=True)
class EventDriver:
    event_id: str
    type: str
    occurred_on: date
    precision: str
    actor: str
    summary: str
    source: str
    source_url: str
    reliability: str
    credibility: int
    horizon_days: int
    p_with: float  # forecast for horizon_days with the event
    p_without: float  # ... and without it
    delta: float  # p_with - p_without


@dataclass(frozen=True)
class RunInfo:
    id: str
    created_at: datetime
    cutoff: datetime
    published: bool
    reason: str
    sampler: str
    taxonomy_version: str
    n_pairs: int
    n_obs: int
    n_events: int
    n_ruptures: int
    max_rhat: float | None
    min_ess_bulk: float | None
    divergences: int
    seconds: float
    min_ess_tail: float | None = None


@dataclass(frozen=True)
class PairForecast:
    pair_id: str
    faction_a: str
    faction_b: str
    status: str  # cohesive | ruptured
    as_of: datetime  # knowledge cut-off: events recorded later are not counted
    on: date  # the date the forecast is made for (as_of's date unless retrospective)
    horizons: tuple[HorizonResult, ...]
    type_drivers: tuple[TypeDriver, ...]
    event_drivers: tuple[EventDriver, ...]
    run: RunInfo | None  # None: no published run, the priors alone forecast
    prior_only: bool
    pooled_alpha: bool  # the pair was not in the run: its baseline is the pooled prior
    n_events: int
    taxonomy_version: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def horizon(self, days: int) -> HorizonResult:
        return next(h for h in self.horizons if h.horizon_days == days)


@dataclass(frozen=True)
class HistoryPoint:
    on: date
    horizon_days: int
    probability: float
    lower: float
    upper: float

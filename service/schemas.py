"""The HTTP API's schemas: a Base/Create/Public family per resource.

Create schemas are the domain's validated inputs (`signals.schemas`), so the importer and
the API accept exactly the same things; Public schemas are what the API returns.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
)

from models.forecast import MAX_HORIZON_DAYS
from models.precision import honest
from signals.schemas import EventIn, FactionIn, HypotheticalEventIn, OutcomeIn, RetractionIn

__all__ = ["EventIn", "FactionIn", "HypotheticalEventIn", "OutcomeIn", "RetractionIn"]

TS = "2025-03-02T10:00:00Z"


def _first(model: type[BaseModel]) -> Any:
    """The first example of a model's schema, to nest in another's."""
    return model.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(from_attributes=True, json_schema_extra={"examples": [example]})


PRECISION_NOTE = (
    "Rounded to two significant figures of its distance from 0 or 1 (0.21, 0.035, 0.0041, "
    "0.987): the mean of about a thousand posterior draws is not known more precisely."
)
# A horizon in days, as the model can be asked for one.
HorizonDays = Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS)]
# A probability (or a change in one) as the model can honestly state it.
Probability = Annotated[
    float, PlainSerializer(honest, return_type=float), Field(description=PRECISION_NOTE)
]


# -- factions and pairs -------------------------------------------------------------------


class FactionPublic(BaseModel):
    """A faction as stored, with who created it."""

    model_config = _example(
        {
            "id": "haqqani-network",
            "name": "Haqqani Network",
            "movement": "Taliban",
            "aliases": ["Haqqanis"],
            "notes": "",
            "created_at": TS,
            "created_by": "demo",
            "collection": "demo",
        }
    )

    id: str
    name: str
    movement: str
    aliases: list[str]
    notes: str
    created_at: datetime
    created_by: str
    collection: str = Field(
        "", description="`reference` (the shipped history of real splits), `demo`, or empty."
    )


class FactionList(BaseModel):
    """Every faction, by id."""

    model_config = _example({"items": [_first(FactionPublic)]})  # type: ignore[index]
    items: list[FactionPublic]


class PairPublic(BaseModel):
    """An unordered pair of factions (ids in canonical order) and its status."""

    model_config = _example(
        {
            "id": "haqqani-network--kandahar-leadership",
            "faction_a": "haqqani-network",
            "faction_b": "kandahar-leadership",
            "status": "cohesive",
            "ruptured_on": None,
            "created_at": TS,
            "collection": "demo",
        }
    )

    id: str
    faction_a: str
    faction_b: str
    status: str
    ruptured_on: date | None
    created_at: datetime
    collection: str = Field(
        "", description="`reference` (the shipped history of real splits), `demo`, or empty."
    )


class PairList(BaseModel):
    """Every pair, by id."""

    model_config = _example({"items": [_first(PairPublic)]})  # type: ignore[index]
    items: list[PairPublic]


class IndicatorTypePublic(BaseModel):
    """An indicator type of the taxonomy, with its prior and half-life."""

    model_config = _example(
        {
            "key": "defection",
            "label": "Defection",
            "description": "A commander or official leaves one faction for another.",
            "prior_mean": 0.6,
            "prior_sd": 0.4,
            "half_life_days": 120.0,
            "rationale": "Defections precede splits.",
        }
    )

    key: str
    label: str
    description: str
    prior_mean: float
    prior_sd: float
    half_life_days: float
    rationale: str


class IndicatorTypeList(BaseModel):
    """The taxonomy in the model's type order, and its version."""

    model_config = _example(
        {
            "version": "1+abcd1234",
            "items": [_first(IndicatorTypePublic)],
        }
    )
    version: str
    items: list[IndicatorTypePublic]


class EstimativeBand(BaseModel):
    """One band of the ICD 203 scale: the phrase said of a probability in [lower, upper)."""

    phrase: str
    lower: float
    upper: float


class MetaPublic(BaseModel):
    """What the forecasts mean: the horizons they are given at and the estimative scale
    their phrases come from, with the footnote that states it (the dashboard shows this)."""

    model_config = _example(
        {
            "horizons": [30, 90, 180, 365],
            "estimative_note": "Estimative language per ICD 203: remote 1–5%, … "
            "Intervals are 90% credible intervals.",
            "estimative_scale": [{"phrase": "remote", "lower": 0.01, "upper": 0.05}],
        }
    )
    horizons: list[int] = Field(description="The configured forecast horizons, in days.")
    estimative_note: str = Field(description="The estimative scale in one sentence.")
    estimative_scale: list[EstimativeBand]


# -- events ------------------------------------------------------------------------------

EVENT_EXAMPLE: dict[str, Any] = {
    "id": "01JNDX6Q9S0000000000000000",
    "pair_id": "haqqani-network--kandahar-leadership",
    "type": "defection",
    "occurred_on": "2025-01-01",
    "precision": "month",
    "recorded_at": TS,
    "actor": "Sher Mohammad Abbas Stanikzai",
    "summary": "Deputy foreign minister leaves Afghanistan after a speech.",
    "source": "Institute of the Middle East",
    "source_url": "https://example.org/article",
    "reliability": "C",
    "credibility": 3,
    "intensity": 0.8,
    "submitted_by": "analyst-1",
    "kind": "report",
    "supersedes": None,
    "reason": "",
}


class EventPublic(BaseModel):
    """An event of the append-only log: a report, a correction or a retraction."""

    model_config = _example(EVENT_EXAMPLE)

    id: str
    pair_id: str
    type: str
    occurred_on: date
    precision: str
    recorded_at: datetime
    actor: str
    summary: str
    source: str
    source_url: str
    reliability: str
    credibility: int
    intensity: float
    submitted_by: str
    kind: str
    supersedes: str | None
    reason: str


class EventPage(BaseModel):
    """A page of events in recording order; pass `next_cursor` as `cursor` for the next."""

    model_config = _example({"items": [EVENT_EXAMPLE], "next_cursor": None})
    items: list[EventPublic]
    next_cursor: str | None = Field(description="Cursor of the next page; null on the last.")


def _batch_or_one(value: Any) -> str:
    return "batch" if isinstance(value, list) else "one"


EventsCreate = Annotated[
    Annotated[EventIn, Tag("one")] | Annotated[list[EventIn], Tag("batch")],
    Discriminator(_batch_or_one),
]
OutcomesCreate = Annotated[
    Annotated[OutcomeIn, Tag("one")] | Annotated[list[OutcomeIn], Tag("batch")],
    Discriminator(_batch_or_one),
]


class EventsCreated(BaseModel):
    """The events recorded by one request, in the order given."""

    model_config = _example({"items": [EVENT_EXAMPLE]})
    items: list[EventPublic]


# -- outcomes ----------------------------------------------------------------------------

OUTCOME_EXAMPLE: dict[str, Any] = {
    "id": "01JNDX6Q9S0000000000000001",
    "pair_id": "haqqani-network--kandahar-leadership",
    "status": "cohesive",
    "on_date": "2025-03-02",
    "definition": "No public split announced.",
    "source": "Institute of the Middle East",
    "source_url": "",
    "recorded_at": TS,
    "submitted_by": "analyst-1",
}


class OutcomePublic(BaseModel):
    """A recorded outcome: the pair ruptured on a date, or was cohesive up to it."""

    model_config = _example(OUTCOME_EXAMPLE)

    id: str
    pair_id: str
    status: str
    on_date: date
    definition: str
    source: str
    source_url: str
    recorded_at: datetime
    submitted_by: str


class OutcomeList(BaseModel):
    """Outcomes in recording order."""

    model_config = _example({"items": [OUTCOME_EXAMPLE]})
    items: list[OutcomePublic]


class OutcomesCreated(BaseModel):
    """The outcomes recorded, and the refit job they queued."""

    model_config = _example(
        {"items": [OUTCOME_EXAMPLE], "refit_job_id": "01JNDX6Q9S00000000000000J1"}
    )
    items: list[OutcomePublic]
    refit_job_id: str | None


# -- model runs and refit jobs -----------------------------------------------------------

RUN_EXAMPLE: dict[str, Any] = {
    "id": "01JNDX6Q9S00000000000000R1",
    "created_at": TS,
    "cutoff": TS,
    "published": True,
    "reason": "",
    "sampler": "nutpie",
    "taxonomy_version": "1+abcd1234",
    "n_pairs": 6,
    "n_obs": 1200,
    "n_events": 40,
    "n_ruptures": 2,
    "max_rhat": 1.004,
    "min_ess_bulk": 812.0,
    "divergences": 0,
    "seconds": 41.5,
}


class EvaluationPublic(BaseModel):
    """The newest recorded backtest of the model as this run's taxonomy version specifies
    it (`riftcast backtest` records one): how well it forecast the stored log."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    taxonomy_version: str
    horizon_days: int
    method: str = Field(description="`laplace` (nested Laplace fits) or `nuts`.")
    first_origin: date
    last_origin: date
    step_days: int
    metrics: dict[str, Any] = Field(
        description="As `riftcast backtest --json` prints it: for the fitted model, its priors "
        "alone, the logistic baseline and the base rate (`models`), Brier, log score, AUC and "
        "Brier skill with pair-bootstrap 90% intervals and the Brier decomposition; the "
        "reliability diagram's points (`reliability_bins`); how often the observed number of "
        "ruptures fell inside the 90% predictive interval (`coverage`); a plain `verdict`."
    )


class RunPublic(BaseModel):
    """A model run: its diagnostics, whether it was published, and why not."""

    model_config = _example(RUN_EXAMPLE)

    id: str
    created_at: datetime
    cutoff: datetime
    published: bool
    reason: str = Field(description="Why the run was not published; empty when it was.")
    sampler: str
    taxonomy_version: str
    n_pairs: int
    n_obs: int
    n_events: int
    n_ruptures: int
    max_rhat: float | None
    min_ess_bulk: float | None
    min_ess_tail: float | None = Field(
        None, description="Smallest tail effective sample size (the interval ends)."
    )
    divergences: int
    seconds: float
    evaluation: EvaluationPublic | None = Field(
        None,
        description="The calibration behind this run's numbers (one run's page only); null "
        "until `riftcast backtest` has recorded one for its taxonomy version.",
    )


class RunList(BaseModel):
    """Model runs, newest first."""

    model_config = _example({"items": [RUN_EXAMPLE]})
    items: list[RunPublic]


JOB_EXAMPLE: dict[str, Any] = {
    "id": "01JNDX6Q9S00000000000000J1",
    "status": "queued",
    "reason": "request",
    "requested_by": "admin",
    "created_at": TS,
    "started_at": None,
    "heartbeat_at": None,
    "finished_at": None,
    "worker": None,
    "attempts": 0,
    "run_id": None,
    "error": None,
}


class RefitJobPublic(BaseModel):
    """A durable refit job: queued, running, done (with its run) or failed (with why)."""

    model_config = _example(JOB_EXAMPLE)

    id: str
    status: Literal["queued", "running", "done", "failed"]
    reason: str
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
    worker: str | None
    attempts: int
    run_id: str | None
    error: str | None


class RefitJobList(BaseModel):
    """Refit jobs, newest first."""

    model_config = _example({"items": [JOB_EXAMPLE]})
    items: list[RefitJobPublic]


class RefitRequest(BaseModel):
    """Ask for a refit; the note is recorded as the job's reason."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "new data"}]}
    )
    note: str = Field(default="request", max_length=100, pattern=r"^[^\x00-\x1f]*$")


# -- forecasts ---------------------------------------------------------------------------


class HorizonPublic(BaseModel):
    """P(rupture within the horizon): posterior mean, 90% interval, ICD 203 phrase."""

    model_config = _example(
        {
            "horizon_days": 90,
            "probability": 0.21,
            "lower": 0.08,
            "upper": 0.41,
            "phrase": "unlikely",
            "phrase_uncertain": True,
        }
    )

    horizon_days: int
    probability: Probability
    lower: Probability
    upper: Probability
    phrase: str
    phrase_uncertain: bool


class TypeDriverPublic(BaseModel):
    """How much one indicator type moves the log-odds now."""

    model_config = _example(
        {
            "key": "defection",
            "label": "Defection",
            "evidence": 0.7,
            "contribution": 0.4,
            "share": 0.5,
        }
    )

    key: str
    label: str
    evidence: float
    contribution: float
    share: float | None = Field(
        description="|contribution| / the sum over types; null when that sum is under 0.01 "
        "log-odds (a share of next to nothing would mislead)."
    )


class EventDriverPublic(BaseModel):
    """How much one event moves P(rupture within `horizon_days`): with vs without it."""

    model_config = _example(
        {
            "event_id": EVENT_EXAMPLE["id"],
            "type": "defection",
            "occurred_on": "2025-01-01",
            "precision": "month",
            "actor": EVENT_EXAMPLE["actor"],
            "summary": EVENT_EXAMPLE["summary"],
            "source": EVENT_EXAMPLE["source"],
            "source_url": EVENT_EXAMPLE["source_url"],
            "reliability": "C",
            "credibility": 3,
            "horizon_days": 90,
            "p_with": 0.21,
            "p_without": 0.17,
            "delta": 0.04,
        }
    )

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
    p_with: Probability
    p_without: Probability
    delta: Probability


FORECAST_EXAMPLE: dict[str, Any] = {
    "pair_id": "haqqani-network--kandahar-leadership",
    "faction_a": "haqqani-network",
    "faction_b": "kandahar-leadership",
    "status": "cohesive",
    "as_of": TS,
    "on": "2025-03-02",
    "horizons": [_first(HorizonPublic)],
    "type_drivers": [_first(TypeDriverPublic)],
    "event_drivers": [_first(EventDriverPublic)],
    "run": RUN_EXAMPLE,
    "prior_only": False,
    "pooled_alpha": False,
    "n_events": 12,
    "taxonomy_version": "1+abcd1234",
    "notes": [],
}


class ForecastPublic(BaseModel):
    """A pair's forecast: per-horizon probability and interval, drivers, and its run."""

    model_config = _example(FORECAST_EXAMPLE)

    pair_id: str
    faction_a: str
    faction_b: str
    status: str
    as_of: datetime = Field(description="The knowledge time: the newest write it reflects.")
    on: date = Field(description="The date it is made for: today, or a retrospective date.")
    horizons: list[HorizonPublic]
    type_drivers: list[TypeDriverPublic]
    event_drivers: list[EventDriverPublic]
    run: RunPublic | None = Field(description="The published run; null when prior-only.")
    prior_only: bool = Field(description="No published run: the priors alone forecast.")
    pooled_alpha: bool
    n_events: int
    taxonomy_version: str
    notes: list[str]


class ForecastList(BaseModel):
    """Every pair's latest forecast, sorted as asked."""

    model_config = _example({"items": [FORECAST_EXAMPLE]})
    items: list[ForecastPublic]


class HistoryPointPublic(BaseModel):
    """The forecast for one horizon on one date."""

    model_config = _example(
        {"on": "2025-03-02", "horizon_days": 90, "probability": 0.2, "lower": 0.1, "upper": 0.4}
    )

    on: date
    horizon_days: int
    probability: Probability
    lower: Probability
    upper: Probability


class ForecastHistory(BaseModel):
    """A pair's forecast over time for one horizon, for charts."""

    model_config = _example(
        {
            "pair_id": FORECAST_EXAMPLE["pair_id"],
            "horizon_days": 90,
            "points": [_first(HistoryPointPublic)],
        }
    )

    pair_id: str
    horizon_days: int
    points: list[HistoryPointPublic]


class WhatIfIn(BaseModel):
    """Hypothetical events (the schema of POST /v1/events, factions optional); never
    stored."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "events": [_first(EventIn)],
                    "horizons": [90, 365],
                }
            ]
        },
    )

    events: list[HypotheticalEventIn] = Field(
        min_length=1,
        description="One or more hypothetical events; faction_a and faction_b may be left out "
        "(the pair is in the URL).",
    )
    horizons: list[HorizonDays] | None = Field(
        None, max_length=20, description="Horizons in days; the configured ones when omitted."
    )


class HorizonChange(BaseModel):
    """The change the hypothetical events make at one horizon."""

    model_config = _example({"horizon_days": 90, "current": 0.21, "what_if": 0.34, "delta": 0.13})

    horizon_days: int
    current: Probability
    what_if: Probability
    delta: Probability


class WhatIfPublic(BaseModel):
    """The forecast as it is and as it would be with the hypothetical events."""

    model_config = _example(
        {
            "current": FORECAST_EXAMPLE,
            "what_if": FORECAST_EXAMPLE,
            "changes": [{"horizon_days": 90, "current": 0.21, "what_if": 0.34, "delta": 0.13}],
        }
    )

    current: ForecastPublic
    what_if: ForecastPublic
    changes: list[HorizonChange]


# -- the forecast ledger and the track record --------------------------------------------

SCORE_EXAMPLE: dict[str, Any] = {
    "outcome": 0,
    "brier": 0.0441,
    "log_score": -0.2357,
    "inside_interval": True,
    "settled_by": OUTCOME_EXAMPLE["id"],
    "scored_at": TS,
}


class WindowScorePublic(BaseModel):
    """How a settled window scored; written once, by the outcome that settled it."""

    model_config = _example(SCORE_EXAMPLE)

    outcome: int = Field(description="1: a rupture inside the window; 0: cohesive to its end.")
    brier: float = Field(description="(probability - outcome)²; lower is better.")
    log_score: float = Field(description="log P(what happened); higher is better, 0 perfect.")
    inside_interval: bool = Field(
        description="The outcome lies in the forecast's 90% predictive set: a rupture is "
        "outside when even the interval's top end gave it 5% or less, cohesion when even its "
        "bottom end gave a rupture over 95%."
    )
    settled_by: str = Field(description="The outcome's id.")
    scored_at: datetime


class LedgerWindowPublic(BaseModel):
    """One horizon of a ledger entry: the forecast for its window, and its score once an
    outcome has settled the window."""

    model_config = _example(
        {
            "horizon_days": 90,
            "probability": 0.21,
            "lower": 0.08,
            "upper": 0.41,
            "window_start": "2025-03-02",
            "window_end": "2025-05-31",
            "score": SCORE_EXAMPLE,
        }
    )

    horizon_days: int
    probability: Probability
    lower: Probability
    upper: Probability
    window_start: date = Field(description="The date the forecast was made for.")
    window_end: date = Field(description="window_start + horizon_days.")
    score: WindowScorePublic | None = Field(description="Null until an outcome settles it.")


LEDGER_ENTRY_EXAMPLE: dict[str, Any] = {
    "id": "01JNDX6Q9S00000000000000L1",
    "pair_id": "haqqani-network--kandahar-leadership",
    "made_at": TS,
    "made_on": "2025-03-02",
    "as_of": TS,
    "kind": "change",
    "status": "cohesive",
    "run_id": RUN_EXAMPLE["id"],
    "prior_only": False,
    "taxonomy_version": "1+abcd1234",
    "etag": '"3f1c0e9a5b7d2c4e6f8a0b1c2d3e4f50"',
    "horizons": [_first(LedgerWindowPublic)],
}


class LedgerEntryPublic(BaseModel):
    """A headline forecast as it was served, kept in the append-only ledger."""

    model_config = _example(LEDGER_ENTRY_EXAMPLE)

    id: str
    pair_id: str
    made_at: datetime = Field(description="When the entry was written.")
    made_on: date = Field(description="The date the forecast was made for.")
    as_of: datetime = Field(description="Its knowledge time: the newest write it reflects.")
    kind: Literal["change", "snapshot"] = Field(
        description="`change`: the headline changed (a write, a new run); `snapshot`: the "
        "day's forecast from unchanged knowledge (at most one a day)."
    )
    status: str = Field(description="The pair's status when it was served.")
    run_id: str | None = Field(description="The model run behind it; null for the priors.")
    prior_only: bool
    taxonomy_version: str
    etag: str = Field(description="The ETag the forecast was served under.")
    horizons: list[LedgerWindowPublic]


class LedgerPage(BaseModel):
    """A pair's ledger entries, newest first; pass `next_cursor` as `cursor` for older."""

    model_config = _example({"items": [LEDGER_ENTRY_EXAMPLE], "next_cursor": None})
    items: list[LedgerEntryPublic]
    next_cursor: str | None = Field(description="Cursor of the next page; null on the last.")


class CoveragePublic(BaseModel):
    """How many settled outcomes fell inside their forecast's 90% predictive set, with a
    90% (exact binomial) interval on the share."""

    model_config = _example({"inside": 11, "n": 12, "share": 0.917, "share_ci": [0.66, 0.996]})

    inside: int
    n: int
    share: float
    share_ci: tuple[float, float] = Field(description="90% Clopper–Pearson interval.")


RECORD_GROUP_EXAMPLE: dict[str, Any] = {
    "key": "90",
    "n": 12,
    "n_ruptured": 1,
    "mean_probability": 0.11,
    "base_rate": 0.0833,
    "brier": 0.061,
    "brier_base_rate": 0.0764,
    "brier_skill": 0.2,
    "log_score": -0.25,
    "coverage": _first(CoveragePublic),
}


class RecordGroupPublic(BaseModel):
    """The record of one group of settled windows: all of them, or one horizon, movement
    or model run."""

    model_config = _example(RECORD_GROUP_EXAMPLE)

    key: str = Field(description="`all`; a horizon in days; a movement; a run id or `priors only`.")
    n: int = Field(description="Settled windows.")
    n_ruptured: int
    mean_probability: float
    base_rate: float = Field(description="The share of this group's windows that ruptured.")
    brier: float
    brier_base_rate: float = Field(
        description="Brier of the reference: each window's horizon base rate."
    )
    brier_skill: float | None = Field(
        description="1 - brier / brier_base_rate; null when the reference is perfect."
    )
    log_score: float = Field(description="Mean log P(what happened); higher is better.")
    coverage: CoveragePublic


class ReliabilityBinPublic(BaseModel):
    """One point of the reliability curve: a quantile bin of the forecasts."""

    model_config = _example({"forecast": 0.12, "observed": 0.1, "n": 20})
    forecast: float = Field(description="The bin's mean forecast.")
    observed: float = Field(description="The share of its windows that ruptured.")
    n: int


class HorizonBaseRate(BaseModel):
    """A horizon's base rate: the share of its settled windows that ruptured."""

    model_config = _example({"horizon_days": 90, "base_rate": 0.0833})
    horizon_days: int
    base_rate: float


class TrackRecordPublic(BaseModel):
    """How the forecasts Riftcast served have scored as outcomes settled them."""

    model_config = _example(
        {
            "n_entries": 40,
            "n_settled": 12,
            "n_pending": 148,
            "base_rate_definition": "Per horizon, the share of that horizon's settled windows "
            "that ended in a rupture.",
            "base_rates": [{"horizon_days": 90, "base_rate": 0.0833}],
            "overall": {**RECORD_GROUP_EXAMPLE, "key": "all"},
            "by_horizon": [RECORD_GROUP_EXAMPLE],
            "by_movement": [{**RECORD_GROUP_EXAMPLE, "key": "Taliban"}],
            "by_run": [{**RECORD_GROUP_EXAMPLE, "key": RUN_EXAMPLE["id"]}],
            "reliability": [{"forecast": 0.12, "observed": 0.1, "n": 12}],
        }
    )

    n_entries: int = Field(description="Forecasts kept in the ledger.")
    n_settled: int = Field(description="Windows an outcome has settled (and scored).")
    n_pending: int = Field(description="Windows not settled yet.")
    base_rate_definition: str
    base_rates: list[HorizonBaseRate]
    overall: RecordGroupPublic | None = Field(description="Null until a window is settled.")
    by_horizon: list[RecordGroupPublic]
    by_movement: list[RecordGroupPublic]
    by_run: list[RecordGroupPublic] = Field(description="`priors only` for no run.")
    reliability: list[ReliabilityBinPublic] = Field(
        description="Forecast against observed frequency, over every settled window."
    )


# -- keys and audit ----------------------------------------------------------------------

KEY_EXAMPLE: dict[str, Any] = {
    "id": "01JNDX6Q9S00000000000000K1",
    "name": "dashboard",
    "role": "reader",
    "prefix": "rk_AbCdEfGh",
    "created_at": TS,
    "revoked_at": None,
}


class KeyCreate(BaseModel):
    """A new API key's name (recorded on every write it makes) and role."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "dashboard", "role": "reader"}]}
    )

    name: str = Field(
        min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]*[^\s\x00-\x1f][^\x00-\x1f]*$"
    )
    role: Literal["reader", "analyst", "admin"]


class KeyPublic(BaseModel):
    """An API key without its secret: only the first characters are shown."""

    model_config = _example(KEY_EXAMPLE)

    id: str
    name: str
    role: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyPublic):
    """A new key; `key` is shown this once and never again."""

    model_config = _example({**KEY_EXAMPLE, "key": "rk_AbCdEfGh…"})
    key: str = Field(description="The secret. Store it now: only its hash is kept.")


class KeyList(BaseModel):
    """Every key, revoked ones included."""

    model_config = _example({"items": [KEY_EXAMPLE]})
    items: list[KeyPublic]


AUDIT_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "at": TS,
    "key_id": KEY_EXAMPLE["id"],
    "key_name": "analyst-1",
    "method": "POST",
    "route": "/v1/events",
    "object_id": EVENT_EXAMPLE["id"],
    "status_code": 201,
    "result": "recorded 1 event(s)",
}


class AuditEntryPublic(BaseModel):
    """Who did what, when, to which object, and how it ended."""

    model_config = _example(AUDIT_EXAMPLE)

    id: int
    at: datetime
    key_id: str | None
    key_name: str | None
    method: str
    route: str
    object_id: str | None
    status_code: int
    result: str


class AuditPage(BaseModel):
    """Audit entries, newest first; pass `next_cursor` as `cursor` for older ones."""

    model_config = _example({"items": [AUDIT_EXAMPLE], "next_cursor": None})
    items: list[AuditEntryPublic]
    next_cursor: int | None


# -- operations --------------------------------------------------------------------------


class Health(BaseModel):
    """The process is up."""

    model_config = _example({"status": "ok"})
    status: str


class Readiness(BaseModel):
    """Database reachable, and which run forecasts (or that the priors alone do)."""

    model_config = _example(
        {"status": "ready", "database": "ok", "model": "run 01JNDX6Q9S00000000000000R1"}
    )
    status: str
    database: str
    model: str


# -- query parameter types ---------------------------------------------------------------


def _utc_checked(value: datetime) -> datetime:
    """Aware UTC; a time that cannot be expressed in UTC is a validation error, not a 500."""
    from signals.clock import to_utc

    try:
        return to_utc(value)
    except OverflowError:
        raise ValueError("is out of range") from None


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _not_a_number(value: object) -> object:
    """Pydantic reads a number as seconds since 1970; the schema promises ISO 8601, and
    `since=0.5` is far likelier a mistake than a date, so it is refused."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date or date-time (e.g. 2025-03-01), not a number")
    return value


UtcDatetime = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(_utc_checked)]
IsoDate = Annotated[date, BeforeValidator(_not_a_number)]

"""The forecast ledger and the track record: what was said, and how it scored."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from service.schemas.common import HorizonDays, NextCursor, Public
from service.schemas.forecasts import HorizonInterval
from signals.runs import EXAMPLE_RUN
from signals.tables import EXAMPLE_OUTCOME, EXAMPLE_PAIR, EXAMPLE_TAXONOMY, EXAMPLE_TIME


class WindowScorePublic(Public):
    """How a settled window scored; written once, by the outcome that settled it."""

    outcome: int = Field(
        description="1: a rupture inside the window; 0: cohesive to its end.", examples=[0]
    )
    brier: float = Field(
        description="(probability - outcome)²; lower is better.", examples=[0.0441]
    )
    log_score: float = Field(
        description="log P(what happened); higher is better, 0 perfect.", examples=[-0.2357]
    )
    inside_interval: bool = Field(
        description="The outcome lies in the forecast's 90% predictive set: a rupture is "
        "outside when even the interval's top end gave it 5% or less, cohesion when even its "
        "bottom end gave a rupture over 95%.",
        examples=[True],
    )
    settled_by: str = Field(description="The outcome's id.", examples=[EXAMPLE_OUTCOME])
    scored_at: datetime = Field(examples=[EXAMPLE_TIME])


class LedgerWindowPublic(HorizonInterval):
    """One horizon of a ledger entry: the forecast for its window, and its score once an
    outcome has settled the window."""

    window_start: date = Field(
        description="The date the forecast was made for.", examples=["2025-03-02"]
    )
    window_end: date = Field(description="window_start + horizon_days.", examples=["2025-05-31"])
    score: WindowScorePublic | None = Field(description="Null until an outcome settles it.")


class LedgerEntryPublic(Public):
    """A headline forecast as it was served, kept in the append-only ledger."""

    id: str = Field(examples=["01JNDX6Q9S00000000000000L1"])
    pair_id: str = Field(examples=[EXAMPLE_PAIR])
    made_at: datetime = Field(description="When the entry was written.", examples=[EXAMPLE_TIME])
    made_on: date = Field(
        description="The date the forecast was made for.", examples=["2025-03-02"]
    )
    as_of: datetime = Field(
        description="Its knowledge time: the newest write it reflects.", examples=[EXAMPLE_TIME]
    )
    kind: Literal["change", "snapshot"] = Field(
        description="`change`: the headline changed (a write, a new run); `snapshot`: the "
        "day's forecast from unchanged knowledge (at most one a day).",
        examples=["change"],
    )
    status: str = Field(description="The pair's status when it was served.", examples=["cohesive"])
    run_id: str | None = Field(
        description="The model run behind it; null for the priors.", examples=[EXAMPLE_RUN]
    )
    prior_only: bool = Field(examples=[False])
    taxonomy_version: str = Field(examples=[EXAMPLE_TAXONOMY])
    etag: str = Field(
        description="The ETag the forecast was served under.",
        examples=['"3f1c0e9a5b7d2c4e6f8a0b1c2d3e4f50"'],
    )
    horizons: list[LedgerWindowPublic]


class LedgerPage(Public):
    """A pair's ledger entries, newest first; pass `next_cursor` as `cursor` for older."""

    items: list[LedgerEntryPublic]
    next_cursor: NextCursor


class CoveragePublic(Public):
    """How many settled outcomes fell inside their forecast's 90% predictive set, with a
    90% (exact binomial) interval on the share."""

    inside: int = Field(examples=[11])
    n: int = Field(examples=[12])
    share: float = Field(examples=[0.917])
    share_ci: tuple[float, float] = Field(
        description="90% Clopper–Pearson interval.", examples=[[0.66, 0.996]]
    )


class RecordGroupPublic(Public):
    """The record of one group of settled windows: all of them, or one horizon, movement
    or model run."""

    key: str = Field(
        description="`all`; a horizon in days; a movement; a run id or `priors only`.",
        examples=["90"],
    )
    n: int = Field(description="Settled windows.", examples=[12])
    n_ruptured: int = Field(examples=[1])
    mean_probability: float = Field(examples=[0.11])
    base_rate: float = Field(
        description="The share of this group's windows that ruptured.", examples=[0.0833]
    )
    brier: float = Field(examples=[0.061])
    brier_base_rate: float = Field(
        description="Brier of the reference: each window's horizon base rate.", examples=[0.0764]
    )
    brier_skill: float | None = Field(
        description="1 - brier / brier_base_rate; null when the reference is perfect.",
        examples=[0.2],
    )
    log_score: float = Field(
        description="Mean log P(what happened); higher is better.", examples=[-0.25]
    )
    coverage: CoveragePublic


class ReliabilityBinPublic(Public):
    """One point of the reliability curve: a quantile bin of the forecasts."""

    forecast: float = Field(description="The bin's mean forecast.", examples=[0.12])
    observed: float = Field(description="The share of its windows that ruptured.", examples=[0.1])
    n: int = Field(examples=[20])


class HorizonBaseRate(Public):
    """A horizon's base rate: the share of its settled windows that ruptured."""

    horizon_days: HorizonDays
    base_rate: float = Field(examples=[0.0833])


class TrackRecordPublic(Public):
    """How the forecasts Riftcast served have scored as outcomes settled them."""

    n_entries: int = Field(description="Forecasts kept in the ledger.", examples=[40])
    n_settled: int = Field(
        description="Windows an outcome has settled (and scored).", examples=[12]
    )
    n_pending: int = Field(description="Windows not settled yet.", examples=[148])
    base_rate_definition: str = Field(
        examples=[
            "Per horizon, the share of that horizon's settled windows that ended in a rupture."
        ]
    )
    base_rates: list[HorizonBaseRate]
    overall: RecordGroupPublic | None = Field(description="Null until a window is settled.")
    by_horizon: list[RecordGroupPublic]
    by_movement: list[RecordGroupPublic]
    by_run: list[RecordGroupPublic] = Field(description="`priors only` for no run.")
    reliability: list[ReliabilityBinPublic] = Field(
        description="Forecast against observed frequency, over every settled window."
    )

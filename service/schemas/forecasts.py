"""Forecasts: a pair's per horizon, with drivers and the run behind them; history; what-if."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import DriverFigure, HorizonDays, NextCursor, Probability, Public
from service.schemas.runs import RunPublic
from signals.schemas import HypotheticalEventIn
from signals.tables import (
    EXAMPLE_ACTOR,
    EXAMPLE_EVENT,
    EXAMPLE_PAIR,
    EXAMPLE_SOURCE,
    EXAMPLE_SUMMARY,
    EXAMPLE_TAXONOMY,
    EXAMPLE_TIME,
    EXAMPLE_URL,
)


class HorizonInterval(Public):
    """P(rupture within the horizon): the posterior mean and its 90% interval."""

    horizon_days: HorizonDays
    probability: Probability = Field(examples=[0.21])
    lower: Probability = Field(examples=[0.08])
    upper: Probability = Field(examples=[0.41])


class HorizonPublic(HorizonInterval):
    """P(rupture within the horizon): posterior mean, 90% interval, ICD 203 phrase."""

    phrase: str = Field(examples=["unlikely"])
    phrase_uncertain: bool = Field(examples=[True])


class TypeDriverPublic(Public):
    """How much one indicator type moves the log-odds now."""

    key: str = Field(examples=["defection"])
    label: str = Field(examples=["Defection"])
    evidence: DriverFigure = Field(examples=[0.7])
    contribution: DriverFigure = Field(examples=[0.4])
    share: DriverFigure | None = Field(
        description="|contribution| / the sum over types; null when that sum is under 0.01 "
        "log-odds (a share of next to nothing would mislead).",
        examples=[0.5],
    )


class EventDriverPublic(Public):
    """How much one event moves P(rupture within `horizon_days`): with vs without it."""

    event_id: str = Field(examples=[EXAMPLE_EVENT])
    type: str = Field(examples=["defection"])
    occurred_on: date = Field(examples=["2025-01-01"])
    precision: str = Field(examples=["month"])
    actor: str = Field(examples=[EXAMPLE_ACTOR])
    summary: str = Field(examples=[EXAMPLE_SUMMARY])
    source: str = Field(examples=[EXAMPLE_SOURCE])
    source_url: str = Field(examples=[EXAMPLE_URL])
    reliability: str = Field(examples=["C"])
    credibility: int = Field(examples=[3])
    horizon_days: HorizonDays
    p_with: Probability = Field(examples=[0.21])
    p_without: Probability = Field(examples=[0.17])
    delta: Probability = Field(examples=[0.04])


class ForecastPublic(Public):
    """A pair's forecast: per-horizon probability and interval, drivers, and its run."""

    pair_id: str = Field(examples=[EXAMPLE_PAIR])
    faction_a: str = Field(examples=["haqqani-network"])
    faction_b: str = Field(examples=["kandahar-leadership"])
    status: str = Field(examples=["cohesive"])
    as_of: datetime = Field(
        description="The knowledge time: the newest write it reflects.", examples=[EXAMPLE_TIME]
    )
    on: date = Field(
        description="The date it is made for: today, or a retrospective date.",
        examples=["2025-03-02"],
    )
    horizons: list[HorizonPublic]
    type_drivers: list[TypeDriverPublic]
    event_drivers: list[EventDriverPublic]
    run: RunPublic | None = Field(description="The published run; null when prior-only.")
    prior_only: bool = Field(
        description="No published run: the priors alone forecast.", examples=[False]
    )
    pooled_alpha: bool = Field(examples=[False])
    n_events: int = Field(examples=[12])
    taxonomy_version: str = Field(examples=[EXAMPLE_TAXONOMY])
    notes: list[str] = Field(examples=[[]])


class ForecastList(Public):
    """A page of every pair's latest forecast, sorted as asked; pass `next_cursor` as
    `cursor` for the next."""

    items: list[ForecastPublic]
    next_cursor: NextCursor


class HistoryPointPublic(Public):
    """The forecast for one horizon on one date."""

    on: date = Field(examples=["2025-03-02"])
    horizon_days: HorizonDays
    probability: Probability = Field(examples=[0.2])
    lower: Probability = Field(examples=[0.1])
    upper: Probability = Field(examples=[0.4])


class ForecastHistory(Public):
    """A pair's forecast over time for one horizon, for charts."""

    pair_id: str = Field(examples=[EXAMPLE_PAIR])
    horizon_days: HorizonDays
    points: list[HistoryPointPublic]


class WhatIfIn(BaseModel):
    """Hypothetical events (the schema of POST /v1/events, factions optional); never
    stored."""

    model_config = ConfigDict(extra="forbid")

    events: list[HypotheticalEventIn] = Field(
        min_length=1,
        description="One or more hypothetical events; faction_a and faction_b may be left out "
        "(the pair is in the URL).",
    )
    horizons: list[HorizonDays] | None = Field(
        None,
        max_length=20,
        description="Horizons in days; the configured ones when omitted.",
        examples=[[90, 365]],
    )


class HorizonChange(Public):
    """The change the hypothetical events make at one horizon."""

    horizon_days: HorizonDays
    current: Probability = Field(examples=[0.21])
    what_if: Probability = Field(examples=[0.34])
    delta: Probability = Field(examples=[0.13])


class WhatIfPublic(Public):
    """The forecast as it is and as it would be with the hypothetical events."""

    current: ForecastPublic
    what_if: ForecastPublic
    changes: list[HorizonChange]

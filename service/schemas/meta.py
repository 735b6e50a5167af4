"""What the forecasts mean: the horizons and the estimative scale."""

from __future__ import annotations

from pydantic import Field

from service.schemas.common import Public


class EstimativeBand(Public):
    """One band of the ICD 203 scale: the phrase said of a probability in [lower, upper)."""

    phrase: str = Field(examples=["remote"])
    lower: float = Field(examples=[0.01])
    upper: float = Field(examples=[0.05])


class MetaPublic(Public):
    """What the forecasts mean: the horizons they are given at and the estimative scale
    their phrases come from, with the footnote that states it (the dashboard shows this)."""

    horizons: list[int] = Field(
        description="The configured forecast horizons, in days.", examples=[[30, 90, 180, 365]]
    )
    estimative_note: str = Field(
        description="The estimative scale in one sentence.",
        examples=[
            "Estimative language per ICD 203: remote 1–5%, … Intervals are 90% credible intervals."
        ],
    )
    estimative_scale: list[EstimativeBand]

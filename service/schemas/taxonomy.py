"""The indicator taxonomy."""

from __future__ import annotations

from pydantic import Field

from service.schemas.common import Public
from signals.tables import EXAMPLE_TAXONOMY


class IndicatorTypePublic(Public):
    """An indicator type of the taxonomy, with its prior and half-life."""

    key: str = Field(examples=["defection"])
    label: str = Field(examples=["Defection"])
    description: str = Field(examples=["A commander or official leaves one faction for another."])
    prior_mean: float = Field(examples=[0.6])
    prior_sd: float = Field(examples=[0.4])
    half_life_days: float = Field(examples=[120.0])
    rationale: str = Field(examples=["Defections precede splits."])


class IndicatorTypeList(Public):
    """The taxonomy in the model's type order, and its version."""

    version: str = Field(examples=[EXAMPLE_TAXONOMY])
    items: list[IndicatorTypePublic]

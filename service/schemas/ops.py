"""Operations: liveness and readiness."""

from __future__ import annotations

from pydantic import Field

from service.schemas.common import Public
from signals.runs import EXAMPLE_RUN


class Health(Public):
    """The process is up."""

    status: str = Field(examples=["ok"])


class Readiness(Public):
    """Database reachable, and which run forecasts (or that the priors alone do)."""

    status: str = Field(examples=["ready"])
    database: str = Field(examples=["ok"])
    model: str = Field(examples=[f"run {EXAMPLE_RUN}"])

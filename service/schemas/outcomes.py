"""Outcomes: what the model learns from."""

from __future__ import annotations

from pydantic import Field

from service.schemas.common import PUBLIC, OneOrBatch, Public
from signals.schemas import OutcomeIn
from signals.tables import EXAMPLE_JOB, OutcomeBase

__all__ = ["OutcomeIn", "OutcomeList", "OutcomePublic", "OutcomesCreate", "OutcomesCreated"]


class OutcomePublic(OutcomeBase):
    """A recorded outcome: the pair ruptured on a date, or was cohesive up to it."""

    model_config = PUBLIC


class OutcomeList(Public):
    """Outcomes in recording order."""

    items: list[OutcomePublic]


OutcomesCreate = OneOrBatch[OutcomeIn]


class OutcomesCreated(Public):
    """The outcomes recorded, and the refit job they queued."""

    items: list[OutcomePublic]
    refit_job_id: str | None = Field(examples=[EXAMPLE_JOB])

"""Model runs, their recorded backtests, and refit jobs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import PUBLIC, Public
from signals.runs import ModelRunBase
from signals.tables import ModelEvaluationBase, RefitJobBase


class EvaluationPublic(ModelEvaluationBase):
    """The newest recorded backtest of the model as this run's taxonomy version specifies
    it (`riftcast backtest` records one): how well it forecast the stored log."""

    model_config = PUBLIC


class RunPublic(ModelRunBase):
    """A model run: its diagnostics, whether it was published, and why not."""

    model_config = PUBLIC

    evaluation: EvaluationPublic | None = Field(
        None,
        description="The calibration behind this run's numbers (one run's page only); null "
        "until `riftcast backtest` has recorded one for its taxonomy version.",
        examples=[None],
    )


class RunList(Public):
    """Model runs, newest first."""

    items: list[RunPublic]


class RefitJobPublic(RefitJobBase):
    """A durable refit job: queued, running, done (with its run) or failed (with why)."""

    model_config = PUBLIC

    status: Literal["queued", "running", "done", "failed"] = Field(examples=["queued"])


class RefitJobList(Public):
    """Refit jobs, newest first."""

    items: list[RefitJobPublic]


class RefitRequest(BaseModel):
    """Ask for a refit; the note is recorded as the job's reason."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field(
        default="request", max_length=100, pattern=r"^[^\x00-\x1f]*$", examples=["new data"]
    )

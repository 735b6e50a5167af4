"""A stored model run as the rest of Riftcast sees it."""

from __future__ import annotations

from dataclasses import fields

from models.results import RunInfo
from signals.runs import ModelRun


def info(row: ModelRun) -> RunInfo:
    """The run's summary: the fields of `RunInfo`, as stored."""
    return RunInfo(**{f.name: getattr(row, f.name) for f in fields(RunInfo)})


def summary(run: RunInfo) -> str:
    """One line on a run: its data, its diagnostics and whether it was published (and if
    not, why) — what `riftcast fit` prints and the refit worker logs."""
    rhat = f"{run.max_rhat:.3f}" if run.max_rhat is not None else "n/a"
    ess = f"{run.min_ess_bulk:.0f}" if run.min_ess_bulk is not None else "n/a"
    state = "published" if run.published else f"NOT published: {run.reason}"
    return (
        f"run {run.id}: {run.n_pairs} pairs, {run.n_obs} pair-weeks, {run.n_ruptures} "
        f"ruptures, {run.n_events} events; R-hat {rhat}, bulk ESS {ess}, "
        f"{run.divergences} divergences, {run.seconds:.1f} s; {state}"
    )

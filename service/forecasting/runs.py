"""A stored model run as the rest of Riftcast sees it."""

from __future__ import annotations

from models.results import RunInfo
from signals.runs import ModelRun


def info(row: ModelRun) -> RunInfo:
    return RunInfo(
        id=row.id,
        created_at=row.created_at,
        cutoff=row.cutoff,
        published=row.published,
        reason=row.reason,
        sampler=row.sampler,
        taxonomy_version=row.taxonomy_version,
        n_pairs=row.n_pairs,
        n_obs=row.n_obs,
        n_events=row.n_events,
        n_ruptures=row.n_ruptures,
        max_rhat=row.max_rhat,
        min_ess_bulk=row.min_ess_bulk,
        min_ess_tail=row.min_ess_tail,
        divergences=row.divergences,
        seconds=row.seconds,
    )

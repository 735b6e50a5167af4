"""Builders shared by tests in several packages."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from models.hazard import Diagnostics, Posterior
from signals.clock import new_id, utcnow
from signals.config import Settings
from signals.db import Database
from signals.runs import ModelRun, save_run
from signals.schemas import EventIn
from signals.taxonomy import Taxonomy


def store_run(
    db: Database,
    settings: Settings,
    taxonomy: Taxonomy,
    cutoff: datetime,
    alpha: float,
    pair_ids: tuple[str, ...] = ("haqqani-network--kandahar-leadership",),
) -> str:
    """A published run whose draws put every pair's baseline at `alpha` (no MCMC)."""
    run_id = new_id()
    d, k = 200, len(taxonomy.columns)
    post = Posterior(
        alpha=np.full((d, len(pair_ids)), alpha),
        mu_alpha=np.full(d, alpha),
        sigma_alpha=np.full(d, 0.1),
        beta=np.zeros((d, k)),
        diagnostics=Diagnostics(1.0, 1000.0, 0, d, "test", 0.0),
    )
    path = settings.runs_dir / f"{run_id}.nc"
    post.to_netcdf(path)
    with db.write() as s:
        save_run(
            s,
            ModelRun(
                id=run_id,
                created_at=utcnow(),
                cutoff=cutoff,
                published=True,
                taxonomy_version=taxonomy.version,
                config_hash="test",
                sampler="test",
                draws_path=str(path),
                grid_start=cutoff.date(),
                step_days=7,
                pair_ids=list(pair_ids),
                type_keys=list(taxonomy.column_keys),
                n_pairs=len(pair_ids),
                n_obs=1,
                n_events=0,
                n_ruptures=0,
            ),
        )
    return run_id


def demo_event(**over: object) -> EventIn:
    """A defection between the demo's two factions today, graded B2; `over` replaces fields."""
    fields: dict[str, object] = {
        "faction_a": "haqqani-network",
        "faction_b": "kandahar-leadership",
        "type": "defection",
        "occurred_on": utcnow().date().isoformat(),
        "source": "test",
        "reliability": "B",
        "credibility": 2,
    }
    fields.update(over)
    return EventIn.model_validate(fields)

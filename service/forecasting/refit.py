"""A full refit: the event log as known now → PyMC fit → a stored, maybe published, run."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from models import hazard
from models.features import evidence
from models.priors import half_lives, priors_from
from models.results import RunInfo
from service.forecasting.loading import load_training
from service.forecasting.runs import info
from signals.changes import RUN_CHANGE, note_change
from signals.clock import new_id, to_utc, utcnow
from signals.config import Settings
from signals.db import Database
from signals.errors import InvalidInput
from signals.runs import ModelRun, draws_paths, save_run
from signals.taxonomy import Taxonomy

PARTIAL_SUFFIX = ".nc.partial"
# A draws file no run refers to is swept once it is this old: younger, it may belong to a
# fit in another process that has written its file and not yet committed its run.
ORPHAN_SECONDS = 3600.0


def sweep_orphan_draws(db: Database, settings: Settings, older_than: float = ORPHAN_SECONDS) -> int:
    """Delete draws files left by fits killed between writing and recording them; how many."""
    if not settings.runs_dir.exists():
        return 0
    with db.read() as session:
        kept = {str(Path(p).resolve()) for p in draws_paths(session)}
    cutoff = time.time() - older_than
    swept = 0
    for path in settings.runs_dir.iterdir():
        orphan = path.name.endswith(PARTIAL_SUFFIX) or (
            path.suffix == ".nc" and str(path.resolve()) not in kept
        )
        if orphan and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            swept += 1
    return swept


def fit_config(settings: Settings, seed: int = 0) -> hazard.FitConfig:
    """The model's fit defaults, with what the settings override."""
    chosen = {"draws": settings.fit_draws, "tune": settings.fit_tune, "chains": settings.fit_chains}
    overrides = {k: v for k, v in chosen.items() if v is not None}
    return hazard.FitConfig(sampler=settings.fit_sampler, seed=seed, **overrides)


def refit(
    db: Database,
    settings: Settings,
    taxonomy: Taxonomy,
    cutoff: datetime | None = None,
    config: hazard.FitConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunInfo:
    """Fit on everything known at `cutoff` (now by default) and store the run.

    The run is published only if its diagnostics pass; otherwise it is kept with the
    reason and the previous published run keeps serving.
    """
    started = time.perf_counter()
    sweep_orphan_draws(db, settings)
    cutoff = to_utc(cutoff) if cutoff else utcnow()
    say = progress or (lambda _line: None)
    say("reading the log as known at " + cutoff.isoformat(timespec="seconds"))
    with db.read() as session:
        training = load_training(
            session, taxonomy, cutoff, settings.step_days, settings.entry_lookback_days
        )
    config = config or fit_config(settings)
    ev = evidence(training.events, len(training.pair_ids), half_lives(taxonomy), training.grid)
    data = hazard.build_training_data(
        ev, training.at_risk_until, training.ruptured_at, training.entered_at
    )
    if len(data.y) == 0:
        raise InvalidInput.one(
            "outcomes", "no outcomes are recorded yet, so there is nothing to fit"
        )
    say(
        f"sampling {len(training.pair_ids)} pairs, {len(data.y)} pair-weeks, "
        f"{training.n_ruptures} ruptures: {config.chains} chains × ({config.tune} tuning + "
        f"{config.draws} draws) with {hazard.sampler_name(config)}; compiling takes a while"
    )
    posterior = hazard.fit(data, priors_from(taxonomy), config)
    say(f"sampled in {posterior.diagnostics.seconds:.0f} s; checking and storing the run")
    ok, reason = posterior.passes()
    run_id = new_id()
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    path = settings.runs_dir / f"{run_id}.nc"
    partial = path.with_suffix(PARTIAL_SUFFIX)
    posterior.to_netcdf(partial)  # a kill while writing leaves a .partial, never a bad .nc
    partial.replace(path)
    diag = posterior.diagnostics
    row = ModelRun(
        id=run_id,
        created_at=utcnow(),
        cutoff=cutoff,
        published=ok,
        reason=reason,
        taxonomy_version=taxonomy.version,
        config_hash=posterior.config_hash,
        sampler=diag.sampler,
        draws_path=str(path.resolve()),
        grid_start=training.grid_start,
        step_days=settings.step_days,
        pair_ids=list(training.pair_ids),
        type_keys=list(taxonomy.column_keys),
        n_pairs=len(training.pair_ids),
        n_obs=len(data.y),
        n_events=training.n_events,
        n_ruptures=training.n_ruptures,
        max_rhat=diag.max_rhat,
        min_ess_bulk=diag.min_ess_bulk,
        min_ess_tail=diag.min_ess_tail,
        divergences=diag.divergences,
        seconds=time.perf_counter() - started,
    )
    with db.write() as session:
        save_run(session, row)
        note_change(session, None, RUN_CHANGE)
    return info(row)

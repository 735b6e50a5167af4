"""The live track record: the ledger's settled windows (signals.ledger), scored and grouped
by models.record — overall, per horizon, per movement and per model run.

Imported on the first request that needs it: scikit-learn and SciPy come with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlmodel import Session

from models import record
from signals import ledger

PRIORS_ONLY = "priors only"
BASE_RATE_DEFINITION = (
    "Per horizon, the share of that horizon's settled windows that ended in a rupture. Each "
    "window's reference forecast is its horizon's base rate; Brier skill is 1 - Brier / "
    "Brier of that reference over the same windows (null when the reference is perfect)."
)


@dataclass(frozen=True)
class TrackRecord:
    n_entries: int
    n_settled: int
    n_pending: int
    base_rates: dict[int, float] = field(default_factory=dict)
    overall: record.Group | None = None
    by_horizon: list[record.Group] = field(default_factory=list)
    by_movement: list[record.Group] = field(default_factory=list)
    by_run: list[record.Group] = field(default_factory=list)
    reliability: list[dict[str, float]] = field(default_factory=list)


def movement_of(a: str, b: str) -> str:
    """A pair's movement: its factions', or both named when they differ."""
    return a if a == b else f"{a} / {b}"


def track_record(session: Session, bins: int = 10) -> TrackRecord:
    rows = ledger.scored_windows(session)
    n_entries, n_pending = ledger.counts(session)
    if not rows:
        return TrackRecord(n_entries, 0, n_pending)
    p = np.array([r.probability for r in rows], dtype=np.float64)
    y = np.array([r.outcome for r in rows], dtype=np.float64)
    hits = np.array([r.inside for r in rows], dtype=bool)
    horizons = np.array([r.horizon_days for r in rows], dtype=np.int64)
    ref = record.reference(horizons, y)
    by_horizon = record.grouped([str(h) for h in horizons], p, y, hits, ref)
    return TrackRecord(
        n_entries=n_entries,
        n_settled=len(rows),
        n_pending=n_pending,
        base_rates=record.base_rates(horizons, y),
        overall=record.group("all", p, y, hits, ref),
        by_horizon=sorted(by_horizon, key=lambda g: int(g.key)),
        by_movement=record.grouped(
            [movement_of(r.movement_a, r.movement_b) for r in rows], p, y, hits, ref
        ),
        by_run=record.grouped([r.run_id or PRIORS_ONLY for r in rows], p, y, hits, ref),
        reliability=record.reliability(p, y, bins),
    )

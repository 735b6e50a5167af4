"""The log, as known at a date, read into the model's arrays.

Everything here is "as known at `as_of`": rows recorded later are invisible, so a fit or a
forecast as of a past date sees exactly what an analyst could have seen then.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
from sqlmodel import Session

from models.data import EventTable, TrainingSet, day_number, to_arrays
from models.features import Grid
from signals.events import event_records_as_of
from signals.outcomes import outcomes_as_of
from signals.taxonomy import Taxonomy


def load_pair_events(
    session: Session, taxonomy: Taxonomy, pair_id: str, as_of: datetime | None
) -> EventTable:
    return to_arrays(event_records_as_of(session, as_of, pair_id), [pair_id], taxonomy)


def load_training(
    session: Session,
    taxonomy: Taxonomy,
    as_of: datetime,
    step_days: int,
    lookback_days: float = 90.0,
) -> TrainingSet:
    """Pairs with at least one outcome known at `as_of`, each entering the risk set at its
    own first datum less `lookback_days`; the grid starts at the earliest entry.

    Pairs with no outcome contribute no likelihood: their status is unknown. An event on
    another pair, however old, moves no pair's entry: each pair's rows are its own.
    """
    outcomes = outcomes_as_of(session, as_of)
    events = event_records_as_of(session, as_of)
    pair_ids = sorted({o.pair_id for o in outcomes})
    index = {pid: i for i, pid in enumerate(pair_ids)}
    n = len(pair_ids)
    cutoff_day = day_number(as_of.date())
    first = np.full(n, cutoff_day)
    for e in events:
        if e.pair_id in index:
            p = index[e.pair_id]
            first[p] = min(first[p], day_number(e.occurred_on))
    rupture_day = np.full(n, np.nan)
    observed_day = np.full(n, -np.inf)
    for o in outcomes:
        p, day = index[o.pair_id], day_number(o.on_date)
        first[p] = min(first[p], day)
        if o.status == "ruptured":
            rupture_day[p] = day if np.isnan(rupture_day[p]) else min(rupture_day[p], day)
        else:
            observed_day[p] = max(observed_day[p], day)
    entry_day = first - lookback_days
    ruptured = ~np.isnan(rupture_day)
    # Nothing after a rupture counts: the pair has left the risk set.
    observed_day = np.where(ruptured, rupture_day, observed_day)
    # Steps are fixed calendar weeks (days since 1970 in whole steps), so adding data never
    # shifts the boundaries of another pair's steps.
    first_day = (float(entry_day.min()) if n else cutoff_day) - 1.0
    start = math.floor(first_day / step_days) * float(step_days)
    n_steps = max(1, math.ceil((cutoff_day - start) / step_days))
    grid = Grid(start_day=start, step_days=float(step_days), n_steps=n_steps)
    last = np.minimum(grid.step_of(observed_day), n_steps - 1) if n else np.zeros(0, np.int64)
    table = to_arrays(events, pair_ids, taxonomy)
    return TrainingSet(
        pair_ids=tuple(pair_ids),
        grid=grid,
        events=table.arrays,
        entered_at=np.minimum(grid.step_of(entry_day), n_steps - 1) if n else last,
        at_risk_until=last.astype(np.int64),
        ruptured_at=np.where(ruptured, last, -1).astype(np.int64),
        n_events=len(table.rows),
        entry_day=entry_day,
        rupture_day=rupture_day,
        observed_day=observed_day,
    )

"""The one module that turns stored events and outcomes into the model's arrays.

Everything here is "as known at `as_of`": rows recorded later are invisible, so a fit or a
forecast as of a past date sees exactly what an analyst could have seen then.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from sqlmodel import Session

from models.features import EventArrays, Grid
from signals.events import EventRecord, event_records_as_of
from signals.outcomes import outcomes_as_of
from signals.tables import IndicatorEvent
from signals.taxonomy import Taxonomy

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# What the model reads an event from: a stored record, or an ORM row (a what-if's
# hypothetical events are never stored).
EventRow = EventRecord | IndicatorEvent


def day_number(value: date) -> float:
    """Days since 1970-01-01: the model's time axis."""
    return float(value.toordinal() - EPOCH_ORDINAL)


def date_of(day: float) -> date:
    return date.fromordinal(math.floor(day) + EPOCH_ORDINAL)


def event_day(row: EventRow) -> float:
    """The event's date on the time axis: the middle of its period when only the month or
    the year is known, but never later than the day it was recorded."""
    start = row.occurred_on
    if row.precision == "month":
        nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        mid = start + (nxt - start) / 2
    elif row.precision == "year":
        mid = start + (date(start.year + 1, 1, 1) - start) / 2
    else:
        mid = start
    return min(day_number(mid), day_number(row.recorded_at.date()))


@dataclass(frozen=True)
class EventTable:
    """Events in force for a set of pairs, in model arrays and as rows (same order)."""

    pair_ids: tuple[str, ...]
    arrays: EventArrays
    rows: tuple[EventRow, ...]


def to_arrays(rows: Sequence[EventRow], pair_ids: Sequence[str], taxonomy: Taxonomy) -> EventTable:
    """Rows of known types and pairs → arrays; events of types no longer in the taxonomy
    are left out (they have no prior and no half-life)."""
    index = {pid: i for i, pid in enumerate(pair_ids)}
    kinds = {key: k for k, key in enumerate(taxonomy.keys)}
    keep = [r for r in rows if r.pair_id in index and r.type in kinds]
    arrays = EventArrays(
        pair=np.array([index[r.pair_id] for r in keep], dtype=np.int64),
        kind=np.array([kinds[r.type] for r in keep], dtype=np.int64),
        day=np.array([event_day(r) for r in keep], dtype=np.float64),
        weight=np.array(
            [taxonomy.event_weight(r.reliability, r.credibility, r.intensity) for r in keep],
            dtype=np.float64,
        ),
        ids=tuple(r.id for r in keep),
    )
    return EventTable(tuple(pair_ids), arrays, tuple(keep))


def load_pair_events(
    session: Session, taxonomy: Taxonomy, pair_id: str, as_of: datetime | None
) -> EventTable:
    return to_arrays(event_records_as_of(session, as_of, pair_id), [pair_id], taxonomy)


@dataclass(frozen=True)
class TrainingSet:
    """What a fit needs: the weekly grid, evidence per pair-step, and the risk sets."""

    pair_ids: tuple[str, ...]
    grid: Grid
    events: EventArrays
    at_risk_until: np.ndarray  # (P,) last observed step per pair, -1 when none
    ruptured_at: np.ndarray  # (P,) rupture step, -1 when none
    n_events: int

    @property
    def n_ruptures(self) -> int:
        return int((self.ruptured_at >= 0).sum())

    @property
    def grid_start(self) -> date:
        return date_of(self.grid.start_day + 1)


def load_training(
    session: Session, taxonomy: Taxonomy, as_of: datetime, step_days: int
) -> TrainingSet:
    """Pairs with at least one outcome known at `as_of`, on a grid from the first datum.

    A pair is at risk from the start of the grid to its rupture (the step it happens in
    is its only positive step) or, if it has not ruptured, to the last date it is known
    cohesive. Pairs with no outcome contribute no likelihood: their status is unknown.
    """
    outcomes = outcomes_as_of(session, as_of)
    events = event_records_as_of(session, as_of)
    pair_ids = sorted({o.pair_id for o in outcomes})
    days = [event_day(e) for e in events if e.pair_id in set(pair_ids)]
    days += [day_number(o.on_date) for o in outcomes]
    cutoff_day = day_number(as_of.date())
    first = min(days) if days else cutoff_day
    start = first - 1.0
    n_steps = max(1, math.ceil((cutoff_day - start) / step_days))
    grid = Grid(start_day=start, step_days=float(step_days), n_steps=n_steps)
    index = {pid: i for i, pid in enumerate(pair_ids)}
    at_risk = np.full(len(pair_ids), -1, dtype=np.int64)
    ruptured = np.full(len(pair_ids), -1, dtype=np.int64)
    for o in sorted(outcomes, key=lambda o: o.on_date):
        p = index[o.pair_id]
        step = min(n_steps - 1, max(0, math.ceil((day_number(o.on_date) - start) / step_days) - 1))
        if ruptured[p] >= 0:
            continue  # nothing after a rupture counts: the pair has left the risk set
        if o.status == "ruptured":
            ruptured[p] = step
            at_risk[p] = step
        else:
            at_risk[p] = max(at_risk[p], step)
    table = to_arrays(events, pair_ids, taxonomy)
    return TrainingSet(
        pair_ids=tuple(pair_ids),
        grid=grid,
        events=table.arrays,
        at_risk_until=at_risk,
        ruptured_at=ruptured,
        n_events=len(table.rows),
    )


def end_of_day(value: date) -> datetime:
    from datetime import UTC

    return datetime.combine(value, datetime.min.time(), UTC) + timedelta(days=1, microseconds=-1)

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


def period_end(start: date, precision: str) -> date:
    """The last day of the period an event is dated to (the day itself at day precision)."""
    if precision == "month":
        return date(start.year + (start.month == 12), start.month % 12 + 1, 1) - timedelta(1)
    if precision == "year":
        return date(start.year, 12, 31)
    return start


def event_day(row: EventRow) -> float:
    """The event's date on the time axis: the middle of its period when only the month or
    the year is known, but never later than the day it was recorded."""
    start = row.occurred_on
    mid = start + (period_end(start, row.precision) + timedelta(1) - start) / 2
    return min(day_number(mid), day_number(row.recorded_at.date()))


def known_day(row: EventRow) -> float:
    """When an event dated from the archive could first have been known: the end of its
    period. A month-dated event is not visible at an origin inside its month, though its
    evidence starts mid-month once it is."""
    return day_number(period_end(row.occurred_on, row.precision))


def until_day(row: EventRow, taxonomy: Taxonomy) -> float:
    """The day the event's evidence starts to decay: its own day, or for a state the day it
    ended (+inf while it is open)."""
    day = event_day(row)
    kind = taxonomy.get(row.type)
    if kind is None or not kind.state:
        return day
    ended = getattr(row, "ended_on", None)
    return math.inf if ended is None else max(day, day_number(ended))


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
        known=np.array([known_day(r) for r in keep], dtype=np.float64),
        until=np.array([until_day(r, taxonomy) for r in keep], dtype=np.float64),
    )
    return EventTable(tuple(pair_ids), arrays, tuple(keep))


def load_pair_events(
    session: Session, taxonomy: Taxonomy, pair_id: str, as_of: datetime | None
) -> EventTable:
    return to_arrays(event_records_as_of(session, as_of, pair_id), [pair_id], taxonomy)


@dataclass(frozen=True)
class TrainingSet:
    """What a fit or a backtest needs: the grid, the events, and each pair's risk set.

    A pair is at risk from its entry (its first event or outcome less the look-back) to its
    rupture (the step it happens in is its only positive step) or, if it has not ruptured,
    to the last date it is known cohesive. Day-level dates are kept for backtests, which
    score windows of exactly the horizon's length.
    """

    pair_ids: tuple[str, ...]
    grid: Grid
    events: EventArrays
    entered_at: np.ndarray  # (P,) first step at risk
    at_risk_until: np.ndarray  # (P,) last observed step per pair, -1 when none
    ruptured_at: np.ndarray  # (P,) rupture step, -1 when none
    n_events: int
    entry_day: np.ndarray  # (P,) day the pair enters the risk set
    rupture_day: np.ndarray  # (P,) day of the rupture, nan when none
    observed_day: np.ndarray  # (P,) last day the pair's status is known

    @property
    def n_ruptures(self) -> int:
        return int((self.ruptured_at >= 0).sum())

    @property
    def grid_start(self) -> date:
        return date_of(self.grid.start_day + 1)


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


def end_of_day(value: date) -> datetime:
    from datetime import UTC

    return datetime.combine(value, datetime.min.time(), UTC) + timedelta(days=1, microseconds=-1)

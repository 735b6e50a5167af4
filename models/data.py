"""Events and outcomes as the model's arrays: dates on the model's time axis, the periods
an event is dated to, and the training set's shape. Pure: the rows come from the caller
(`service/forecasting/loading.py` reads them from the log as known at a date).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Protocol

import numpy as np

from models.features import EventArrays, Grid, with_activity
from signals.taxonomy import Taxonomy

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class EventRow(Protocol):
    """What the model reads of an event: a stored record, or a what-if's hypothetical row
    (never stored). Read-only: any object with these attributes will do."""

    @property
    def id(self) -> str: ...
    @property
    def pair_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def occurred_on(self) -> date: ...
    @property
    def precision(self) -> str: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def source_url(self) -> str: ...
    @property
    def reliability(self) -> str: ...
    @property
    def credibility(self) -> int: ...
    @property
    def intensity(self) -> float: ...


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


@lru_cache(maxsize=16384)
def _period_days(start: date, precision: str) -> tuple[float, float]:
    """(middle, last day) of the period an event is dated to, on the time axis. Cached:
    a busy pair's events share a few hundred dates, and its forecast reads them all."""
    end = period_end(start, precision)
    return day_number(start + (end + timedelta(1) - start) / 2), day_number(end)


# What the model reads of one event: (type index, day, weight, known, until) — see
# `_row_values`.
RowValues = tuple[float, float, float, float, float]


def _row_values(row: EventRow, kind: int, is_state: bool, taxonomy: Taxonomy) -> RowValues:
    """An event on the model's axes:

    - day: its date, the middle of its period when only the month or the year is known,
      but never later than the day it was recorded;
    - weight: its intensity scaled by its grading;
    - known: when an event dated from the archive could first have been known, the end of
      its period (a month-dated event is not visible at an origin inside its month, though
      its evidence starts mid-month once it is);
    - until: the day its evidence starts to decay, its own day, or for a state the day it
      ended (+inf while it is open).
    """
    middle, last = _period_days(row.occurred_on, row.precision)
    day = min(middle, float(row.recorded_at.toordinal() - EPOCH_ORDINAL))
    weight = taxonomy.event_weight(row.reliability, row.credibility, row.intensity)
    if not is_state:
        return float(kind), day, weight, last, day
    ended = getattr(row, "ended_on", None)
    until = math.inf if ended is None else max(day, day_number(ended))
    return float(kind), day, weight, last, until


@dataclass(frozen=True)
class EventTable:
    """Events in force for a set of pairs, in model arrays and as rows (same order)."""

    pair_ids: tuple[str, ...]
    arrays: EventArrays
    rows: tuple[EventRow, ...]


def to_arrays(
    rows: Sequence[EventRow],
    pair_ids: Sequence[str],
    taxonomy: Taxonomy,
    memo: dict[str, RowValues] | None = None,
) -> EventTable:
    """Rows of known types and pairs → arrays; events of types no longer in the taxonomy
    are left out (they have no prior and no half-life). With an activity column, each
    event has a second entry in it (`arrays.row` maps entries back to `rows`).

    `memo` keeps each event's values by id between calls under the same taxonomy: a stored
    event never changes (the log is append-only), so a caller that loads a busy pair again
    after a write computes the new events' values only."""
    index = {pid: i for i, pid in enumerate(pair_ids)}
    kinds = {key: k for k, key in enumerate(taxonomy.keys)}
    states = {t.key for t in taxonomy.types if t.state}
    memo = {} if memo is None else memo
    keep: list[EventRow] = []
    ids: list[str] = []
    pairs: list[int] = []
    values: list[RowValues] = []
    for r in rows:
        p, k = index.get(r.pair_id), kinds.get(r.type)
        if p is None or k is None:
            continue
        event_id = r.id
        found = memo.get(event_id)
        if found is None:
            found = memo[event_id] = _row_values(r, k, r.type in states, taxonomy)
        keep.append(r)
        ids.append(event_id)
        pairs.append(p)
        values.append(found)
    table = np.array(values, dtype=np.float64).reshape(len(keep), 5)
    arrays = EventArrays(
        pair=np.array(pairs, dtype=np.int64),
        kind=table[:, 0].astype(np.int64),
        day=table[:, 1].copy(),
        weight=table[:, 2].copy(),
        ids=tuple(ids),
        known=table[:, 3].copy(),
        until=table[:, 4].copy(),
    )
    if taxonomy.activity is not None:
        arrays = with_activity(arrays, len(taxonomy.types))
    return EventTable(tuple(pair_ids), arrays, tuple(keep))


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


def end_of_day(value: date) -> datetime:
    from datetime import UTC

    return datetime.combine(value, datetime.min.time(), UTC) + timedelta(days=1, microseconds=-1)

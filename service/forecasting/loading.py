"""The log, as known at a date, read into the model's arrays.

Everything here is "as known at `as_of`": rows recorded later are invisible, so a fit or a
forecast as of a past date sees exactly what an analyst could have seen then.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

import numpy as np
from sqlmodel import Session

from models.data import EventTable, RowValues, TrainingSet, day_number, to_arrays
from models.features import Grid
from signals.events import (
    EventRecord,
    event_ids,
    event_records,
    event_records_as_of,
    in_force,
    pair_records,
)
from signals.outcomes import outcomes_as_of
from signals.taxonomy import Taxonomy


def load_pair_events(
    session: Session, taxonomy: Taxonomy, pair_id: str, as_of: datetime | None
) -> EventTable:
    return to_arrays(event_records_as_of(session, as_of, pair_id), [pair_id], taxonomy)


@dataclass(frozen=True)
class _PairLog:
    """A pair's log as last read: every row (in force or not), each row's model values,
    and the table of those in force."""

    rows: dict[str, EventRecord]
    memo: dict[str, RowValues]
    table: EventTable


class PairEvents:
    """Each pair's latest events as the model's table, kept between forecasts.

    A busy pair's forecast is recomputed after every write to it, and reading and
    converting its whole log was most of that work. The log is append-only (the database
    refuses UPDATE and DELETE), so a row read once stays true: a later read asks for the
    pair's ids alone and fetches the rows it has not seen. Should a row it holds be gone
    (a database restored from a backup), the pair is read afresh. The least recently used
    pairs are forgotten beyond `max_rows` rows in all. Safe for concurrent use.
    """

    def __init__(self, taxonomy: Taxonomy, max_rows: int) -> None:
        self.taxonomy = taxonomy
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._pairs: OrderedDict[str, _PairLog] = OrderedDict()
        self._rows = 0

    def table(self, session: Session, pair_id: str, as_of: datetime | None = None) -> EventTable:
        """The pair's events in force as known at `as_of` (now when None): the latest from
        what is kept, an earlier state from the database."""
        if as_of is not None:
            return load_pair_events(session, self.taxonomy, pair_id, as_of)
        with self._lock:
            known = self._pairs.get(pair_id)
        ids = event_ids(session, pair_id) if known is not None else set()
        if known is not None and known.rows.keys() == ids:
            log = known
        elif known is not None and known.rows.keys() <= ids:  # new rows: read those alone
            new = event_records(session, ids - known.rows.keys())
            log = self._log(pair_id, {**known.rows, **{r.id: r for r in new}}, dict(known.memo))
        else:  # nothing kept, or a row kept is gone: read it all
            log = self._log(pair_id, {r.id: r for r in pair_records(session, pair_id)}, {})
        with self._lock:
            self._keep(pair_id, log)
        return log.table

    def _log(
        self, pair_id: str, rows: dict[str, EventRecord], memo: dict[str, RowValues]
    ) -> _PairLog:
        """The pair's log of `rows`, its table in id (recording) order, as a fresh read's."""
        ordered = sorted(rows.values(), key=attrgetter("id"))
        return _PairLog(rows, memo, to_arrays(in_force(ordered), [pair_id], self.taxonomy, memo))

    def _keep(self, pair_id: str, log: _PairLog) -> None:
        """Store `log` as the pair's newest, and forget the least recently used beyond the
        bound (hold the lock)."""
        old = self._pairs.pop(pair_id, None)
        self._rows -= len(old.rows) if old is not None else 0
        if len(log.rows) > self.max_rows:
            return
        self._pairs[pair_id] = log
        self._rows += len(log.rows)
        while self._rows > self.max_rows:
            _, dropped = self._pairs.popitem(last=False)
            self._rows -= len(dropped.rows)


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

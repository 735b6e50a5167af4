"""Decayed evidence per pair, indicator type and weekly step — vectorised with NumPy.

An event of weight w counts w from its day until its `until` day, then decays with its
type's half-life: w · 0.5 ** ((t − until) / half_life). A one-off report has until = day
(it starts decaying at once); a state — an absence that goes on — has until = the day it
ended, or +inf while it is open, so it holds its full weight as long as it lasts.

On the weekly grid, the held part is a running sum of +w at the start step and −w at the
end step, and the decaying part is one decayed impulse per event carried forward by a
first-order recursion along time: O(events + P·K·T), no Python loop over events (scipy's
lfilter would do the same, but a serving process should not import scipy.signal).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class EventArrays:
    """Events as parallel arrays: pair index, type index, day (since 1970-01-01), weight.

    `until` is the day each event's evidence starts to decay (its own day for a report,
    the end of a state, +inf for a state still open); `known` the day it became known to
    an analyst (backtests: the end of its dated period; None: known when it occurred).
    `row` is the event each entry stands for when an event has several entries (its type's
    and the activity column's, `with_activity`); None: entry i is event i.
    """

    pair: np.ndarray
    kind: np.ndarray
    day: np.ndarray
    weight: np.ndarray
    ids: tuple[str, ...] = field(default_factory=tuple)
    known: np.ndarray | None = None
    until: np.ndarray | None = None
    row: np.ndarray | None = None

    @classmethod
    def empty(cls) -> EventArrays:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), ())

    def __len__(self) -> int:
        return int(self.day.shape[0])

    @property
    def decay_from(self) -> np.ndarray:
        """The day each event starts to decay (its day unless it is a state)."""
        return self.day if self.until is None else self.until

    @property
    def rows(self) -> np.ndarray:
        """The event each entry stands for."""
        return np.arange(len(self)) if self.row is None else self.row

    def subset(self, mask: np.ndarray) -> EventArrays:
        """The entries under `mask`; `row` keeps pointing at the caller's events."""
        ids = tuple(i for i, keep in zip(self.ids, mask, strict=False) if keep) if self.ids else ()
        known = self.known[mask] if self.known is not None else None
        until = self.until[mask] if self.until is not None else None
        return EventArrays(
            self.pair[mask],
            self.kind[mask],
            self.day[mask],
            self.weight[mask],
            ids,
            known,
            until,
            self.rows[mask],
        )

    def known_by(self, day: float) -> EventArrays:
        """Events known by `day` (occurred by then when no `known` days are given); a state
        whose end was not yet known is still open on that day."""
        known = self.day if self.known is None else self.known
        out = self.subset(known <= day)
        if out.until is not None:  # an end not yet reached is not yet known
            still_open = np.where(out.until > out.day, np.inf, out.day)
            until = np.where(out.until > day, still_open, out.until)
            out = replace(out, until=until)
        return out

    def open_states(self, day: float) -> np.ndarray:
        """Mask of states that have begun and are still open on `day`."""
        if self.until is None:
            return np.zeros(len(self), dtype=bool)
        return (self.day <= day) & (self.until > day)


def with_activity(events: EventArrays, column: int) -> EventArrays:
    """The events, then each once more in the activity column `column`: weight one
    whatever its type, grading and intensity (zero for an event of no weight, which an
    analyst logged as not counting), a one-off report (a state's duration is its type's
    business). Entry n + i stands for event i, as `row` records."""
    n = len(events)
    if n == 0:
        return events
    rows = events.rows
    day = events.day
    known = None if events.known is None else np.concatenate([events.known, events.known])
    return EventArrays(
        pair=np.concatenate([events.pair, events.pair]),
        kind=np.concatenate([events.kind, np.full(n, column, np.int64)]),
        day=np.concatenate([day, day]),
        weight=np.concatenate([events.weight, (events.weight > 0).astype(np.float64)]),
        ids=events.ids + events.ids if events.ids else (),
        known=known,
        until=np.concatenate([events.decay_from, day]),
        row=np.concatenate([rows, rows]),
    )


@dataclass(frozen=True)
class Grid:
    """Weekly (by default) steps; step t covers days (start + t·step, start + (t+1)·step]."""

    start_day: float
    step_days: float = 7.0
    n_steps: int = 0

    def day_of(self, t: int) -> float:
        """The last day of step t."""
        return self.start_day + (t + 1) * self.step_days

    @property
    def ends(self) -> np.ndarray:
        return self.start_day + (np.arange(self.n_steps) + 1) * self.step_days

    def step_of(self, day: np.ndarray | float) -> np.ndarray:
        """The step each day falls in (days before the grid fall in step 0)."""
        t = np.ceil((np.asarray(day, dtype=np.float64) - self.start_day) / self.step_days) - 1
        return np.maximum(t, 0).astype(np.int64)


def _carry(impulses: np.ndarray, per_step: np.ndarray) -> np.ndarray:
    """out[..., t] = impulses[..., t] + per_step · out[..., t−1] for (P, K, T) arrays: a
    decaying running sum, one vectorised update per step (a few µs each)."""
    out = np.empty_like(impulses)
    carry = np.zeros(impulses.shape[:-1])
    for t in range(impulses.shape[-1]):
        carry = impulses[..., t] + per_step * carry
        out[..., t] = carry
    return out


def evidence(events: EventArrays, n_pairs: int, half_lives: np.ndarray, grid: Grid) -> np.ndarray:
    """(P, T, K) evidence at the end of every step."""
    half_lives = np.asarray(half_lives, dtype=np.float64)
    k_types, t_steps = half_lives.shape[0], grid.n_steps
    impulses = np.zeros((n_pairs, k_types, t_steps))
    held = np.zeros((n_pairs, k_types, t_steps + 1))
    if len(events) and t_steps:
        until = events.decay_from
        state = until > events.day
        if state.any():  # +w where a state starts, −w where it ends (if it ends in the grid)
            start = grid.step_of(events.day[state])
            p, k, w = events.pair[state], events.kind[state], events.weight[state]
            inside = start < t_steps
            np.add.at(held, (p[inside], k[inside], start[inside]), w[inside])
            ends = np.isfinite(until[state])
            end = np.where(ends, grid.step_of(np.where(ends, until[state], 0.0)), t_steps)
            closing = ends & (end < t_steps)
            np.add.at(held, (p[closing], k[closing], end[closing]), -w[closing])
        decays = np.isfinite(until)
        step = grid.step_of(np.where(decays, until, 0.0))
        inside = decays & (step < t_steps)
        step, kind = step[inside], events.kind[inside]
        age = grid.start_day + (step + 1) * grid.step_days - until[inside]
        decayed = events.weight[inside] * 0.5 ** (age / half_lives[kind])
        np.add.at(impulses, (events.pair[inside], kind, step), decayed)
    per_step = 0.5 ** (grid.step_days / half_lives)
    out = _carry(impulses, per_step) + np.cumsum(held, axis=-1)[..., :t_steps]
    return out.transpose(0, 2, 1)


def event_contributions(events: EventArrays, half_lives: np.ndarray, day: float) -> np.ndarray:
    """Each event's evidence on `day`: 0 before it, its weight while it holds, then decayed."""
    if not len(events):
        return np.zeros(0)
    age = np.maximum(day - events.decay_from, 0.0)
    hl = np.asarray(half_lives, dtype=np.float64)[events.kind]
    return np.where(day >= events.day, events.weight * 0.5 ** (age / hl), 0.0)


def held_at(events: EventArrays, n_pairs: int, n_types: int, day: float) -> np.ndarray:
    """(P, K) evidence of the states still open on `day`: a forecast holds it, not decays it."""
    out = np.zeros((n_pairs, n_types))
    open_ = events.open_states(day)
    if open_.any():
        np.add.at(out, (events.pair[open_], events.kind[open_]), events.weight[open_])
    return out


def evidence_at(
    events: EventArrays, n_pairs: int, half_lives: np.ndarray, day: float
) -> np.ndarray:
    """(P, K) decayed evidence on `day`."""
    out = np.zeros((n_pairs, np.asarray(half_lives).shape[0]))
    if len(events):
        np.add.at(out, (events.pair, events.kind), event_contributions(events, half_lives, day))
    return out


ARRIVAL_WINDOW_DAYS = 365.0


def _recent(
    events: EventArrays, n_pairs: int, n_types: int, day: float, window: float, value: np.ndarray
) -> np.ndarray:
    """(P, K) sum of `value` over each pair's and type's events in the trailing window, per
    day of the window."""
    out = np.zeros((n_pairs, n_types))
    if len(events):
        recent = (events.day <= day) & (events.day > day - window)
        np.add.at(out, (events.pair[recent], events.kind[recent]), value[recent])
    return out / window


def arrival_rates(
    events: EventArrays,
    n_pairs: int,
    n_types: int,
    day: float,
    window: float = ARRIVAL_WINDOW_DAYS,
) -> np.ndarray:
    """(P, K) graded evidence per day over the trailing window: the expected arrival rate."""
    return _recent(events, n_pairs, n_types, day, window, events.weight)


def arrival_counts(
    events: EventArrays,
    n_pairs: int,
    n_types: int,
    day: float,
    window: float = ARRIVAL_WINDOW_DAYS,
) -> np.ndarray:
    """(P, K) events per day over the trailing window: how often new events come."""
    return _recent(events, n_pairs, n_types, day, window, np.ones(len(events)))

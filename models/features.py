"""Decayed evidence per pair, indicator type and weekly step — vectorised with NumPy.

evidence[p, t, k] = sum over events e of pair p and type k with day_e <= end of step t of
weight_e * 0.5 ** ((end_t - day_e) / half_life_k). Each event adds one decayed impulse to
the step it falls in; a first-order recursive filter along time (scipy's lfilter) carries
it forward, so the cost is O(events + P·K·T) with no Python loop over events or steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import lfilter


@dataclass(frozen=True)
class EventArrays:
    """Events as parallel arrays: pair index, type index, day (since 1970-01-01), weight."""

    pair: np.ndarray
    kind: np.ndarray
    day: np.ndarray
    weight: np.ndarray
    ids: tuple[str, ...] = field(default_factory=tuple)
    recorded: np.ndarray | None = None  # day each event became known (backtests)

    @classmethod
    def empty(cls) -> EventArrays:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), ())

    def __len__(self) -> int:
        return int(self.day.shape[0])

    def subset(self, mask: np.ndarray) -> EventArrays:
        ids = tuple(i for i, keep in zip(self.ids, mask, strict=False) if keep) if self.ids else ()
        recorded = self.recorded[mask] if self.recorded is not None else None
        return EventArrays(
            self.pair[mask], self.kind[mask], self.day[mask], self.weight[mask], ids, recorded
        )

    def known_by(self, day: float) -> EventArrays:
        """Events recorded by `day` (all of them when no recording days are given)."""
        if self.recorded is None:
            return self.subset(self.day <= day)
        return self.subset(self.recorded <= day)


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


def evidence(events: EventArrays, n_pairs: int, half_lives: np.ndarray, grid: Grid) -> np.ndarray:
    """(P, T, K) decayed evidence at the end of every step."""
    half_lives = np.asarray(half_lives, dtype=np.float64)
    k_types, t_steps = half_lives.shape[0], grid.n_steps
    impulses = np.zeros((n_pairs, k_types, t_steps))
    if len(events) and t_steps:
        step = grid.step_of(events.day)
        inside = step < t_steps
        step, kind = step[inside], events.kind[inside]
        age = grid.start_day + (step + 1) * grid.step_days - events.day[inside]
        decayed = events.weight[inside] * 0.5 ** (age / half_lives[kind])
        np.add.at(impulses, (events.pair[inside], kind, step), decayed)
    out = np.empty_like(impulses)
    per_step = 0.5 ** (grid.step_days / half_lives)
    for k in range(k_types):  # one filter per type, over all pairs and steps at once
        out[:, k, :] = lfilter([1.0], [1.0, -per_step[k]], impulses[:, k, :], axis=-1)
    return out.transpose(0, 2, 1)


def event_contributions(events: EventArrays, half_lives: np.ndarray, day: float) -> np.ndarray:
    """Each event's decayed weight at `day` (0 for events after it)."""
    if not len(events):
        return np.zeros(0)
    age = day - events.day
    hl = np.asarray(half_lives, dtype=np.float64)[events.kind]
    return np.where(age >= 0, events.weight * 0.5 ** (np.maximum(age, 0) / hl), 0.0)


def evidence_at(
    events: EventArrays, n_pairs: int, half_lives: np.ndarray, day: float
) -> np.ndarray:
    """(P, K) decayed evidence on `day`."""
    out = np.zeros((n_pairs, np.asarray(half_lives).shape[0]))
    if len(events):
        np.add.at(out, (events.pair, events.kind), event_contributions(events, half_lives, day))
    return out


ARRIVAL_WINDOW_DAYS = 365.0


def arrival_rates(
    events: EventArrays,
    n_pairs: int,
    n_types: int,
    day: float,
    window: float = ARRIVAL_WINDOW_DAYS,
) -> np.ndarray:
    """(P, K) graded evidence per day over the trailing window: the expected arrival rate."""
    out = np.zeros((n_pairs, n_types))
    if len(events):
        recent = (events.day <= day) & (events.day > day - window)
        np.add.at(out, (events.pair[recent], events.kind[recent]), events.weight[recent])
    return out / window

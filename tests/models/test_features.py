"""Decayed evidence: the vectorised path equals the definition, event by event."""

from __future__ import annotations

import time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.features import (
    EventArrays,
    Grid,
    arrival_rates,
    event_contributions,
    evidence,
    evidence_at,
    with_activity,
)

HALF_LIVES = np.array([30.0, 90.0, 365.0])


def naive(events: EventArrays, n_pairs: int, grid: Grid) -> np.ndarray:
    out = np.zeros((n_pairs, grid.n_steps, len(HALF_LIVES)))
    for t in range(grid.n_steps):
        end = grid.day_of(t)
        for p, k, d, w in zip(events.pair, events.kind, events.day, events.weight, strict=True):
            if d <= end:
                out[p, t, k] += w * 0.5 ** ((end - d) / HALF_LIVES[k])
    return out


events_strategy = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 2),
        st.floats(-30, 200, allow_nan=False),
        st.floats(0.01, 1.0),
    ),
    max_size=25,
)


def to_arrays(rows: list[tuple[int, int, float, float]]) -> EventArrays:
    if not rows:
        return EventArrays.empty()
    p, k, d, w = (np.array(c) for c in zip(*rows, strict=True))
    return EventArrays(p.astype(int), k.astype(int), d.astype(float), w.astype(float))


@settings(max_examples=60, deadline=None)
@given(events_strategy, st.floats(-10, 10), st.sampled_from([1.0, 7.0, 10.5]))
def test_evidence_matches_the_definition(
    rows: list[tuple[int, int, float, float]], start: float, step: float
) -> None:
    events = to_arrays(rows)
    grid = Grid(start_day=start, step_days=step, n_steps=30)
    np.testing.assert_allclose(
        evidence(events, 3, HALF_LIVES, grid), naive(events, 3, grid), atol=1e-9
    )


@settings(max_examples=40, deadline=None)
@given(events_strategy, st.floats(0, 250))
def test_evidence_at_and_contributions_agree(
    rows: list[tuple[int, int, float, float]], day: float
) -> None:
    events = to_arrays(rows)
    total = evidence_at(events, 3, HALF_LIVES, day)
    contributions = event_contributions(events, HALF_LIVES, day)
    assert np.all(contributions >= 0)
    assert np.isclose(total.sum(), contributions.sum())
    assert np.all(contributions[events.day > day] == 0)


def test_half_life_halves_the_evidence() -> None:
    events = EventArrays(np.array([0]), np.array([1]), np.array([0.0]), np.array([0.8]))
    assert np.isclose(evidence_at(events, 1, HALF_LIVES, 90.0)[0, 1], 0.4)
    assert np.isclose(evidence_at(events, 1, HALF_LIVES, 180.0)[0, 1], 0.2)


def test_arrival_rates_count_the_trailing_year() -> None:
    days = np.array([-400.0, -100.0, -10.0, 5.0])
    events = EventArrays(np.zeros(4, int), np.zeros(4, int), days, np.ones(4))
    rates = arrival_rates(events, 1, 3, day=0.0)
    assert np.isclose(rates[0, 0], 2 / 365)  # only the two inside (−365, 0]


def test_known_by_uses_recording_days_when_given() -> None:
    events = EventArrays(
        np.zeros(2, int),
        np.zeros(2, int),
        np.array([0.0, 1.0]),
        np.ones(2),
        ("a", "b"),
        known=np.array([50.0, 2.0]),
    )
    assert events.known_by(10.0).ids == ("b",)


def test_a_thousand_events_is_fast_enough() -> None:
    """Budget check is in benchmarks/; this only guards against a pathological regression."""
    rng = np.random.default_rng(0)
    events = EventArrays(
        np.zeros(1000, int),
        rng.integers(0, 3, 1000),
        rng.uniform(0, 1800, 1000),
        rng.uniform(0, 1, 1000),
    )
    started = time.perf_counter()
    evidence(events, 1, HALF_LIVES, Grid(0.0, 7.0, 260))
    assert time.perf_counter() - started < 0.5


def naive_states(events: EventArrays, n_pairs: int, grid: Grid) -> np.ndarray:
    """The definition for states: full weight from the start until `until`, then decay."""
    out = np.zeros((n_pairs, grid.n_steps, len(HALF_LIVES)))
    assert events.until is not None
    for t in range(grid.n_steps):
        end = grid.day_of(t)
        for p, k, d, u, w in zip(
            events.pair, events.kind, events.day, events.until, events.weight, strict=True
        ):
            if d <= end:
                out[p, t, k] += w * 0.5 ** (max(0.0, end - u) / HALF_LIVES[k])
    return out


@settings(max_examples=60, deadline=None)
@given(
    events_strategy,
    st.lists(st.one_of(st.none(), st.floats(0, 300)), min_size=25, max_size=25),
    st.sampled_from([1.0, 7.0]),
)
def test_states_hold_their_weight_until_they_end(
    rows: list[tuple[int, int, float, float]], lengths: list[float | None], step: float
) -> None:
    """A state counts in full while it lasts (open: forever), then decays like a report."""
    events = to_arrays(rows)
    day = np.round(events.day, 3)  # days are dates: no sub-ULP offsets across a step boundary
    until = np.array(
        [d + (np.inf if n is None else round(n, 3)) for d, n in zip(day, lengths, strict=False)]
    )
    events = EventArrays(events.pair, events.kind, day, events.weight, until=until)
    grid = Grid(start_day=-5.0, step_days=step, n_steps=40)
    expected = naive_states(events, 3, grid)
    np.testing.assert_allclose(evidence(events, 3, HALF_LIVES, grid), expected, atol=1e-9)
    day = grid.day_of(grid.n_steps - 1)
    np.testing.assert_allclose(
        evidence_at(events, 3, HALF_LIVES, day), expected[:, -1, :], atol=1e-9
    )


def test_an_open_state_is_closed_only_by_what_is_known() -> None:
    """As of a day before its end was known, a state is still open (no look-ahead)."""
    events = EventArrays(
        np.zeros(1, int),
        np.zeros(1, int),
        np.array([10.0]),
        np.ones(1),
        known=np.array([10.0]),
        until=np.array([40.0]),
    )
    assert events.known_by(20.0).until is not None
    assert np.isinf(events.known_by(20.0).until[0])
    assert events.known_by(50.0).until[0] == 40.0
    assert events.open_states(20.0).all() and not events.open_states(50.0).any()


@settings(max_examples=40, deadline=None)
@given(events_strategy, st.floats(0, 400))
def test_the_activity_column_counts_every_event_once_whatever_its_weight(
    rows: list[tuple[int, int, float, float]], day: float
) -> None:
    """Column 3 holds Σ 0.5^(age / its half-life) over the events: each counts one."""
    events = to_arrays(rows)
    both = with_activity(events, 3)
    hl = np.append(HALF_LIVES, 730.0)
    got = evidence_at(both, 3, hl, day)
    np.testing.assert_allclose(got[:, :3], evidence_at(events, 3, HALF_LIVES, day), atol=1e-12)
    expected = np.zeros(3)
    for p, d in zip(events.pair, events.day, strict=True):
        if d <= day:
            expected[p] += 0.5 ** ((day - d) / 730.0)
    np.testing.assert_allclose(got[:, 3], expected, atol=1e-12)
    # Every entry still names the event it stands for, through any subset.
    assert len(both) == 2 * len(events)
    np.testing.assert_array_equal(both.rows, np.tile(np.arange(len(events)), 2))
    known = both.known_by(day)
    np.testing.assert_array_equal(both.rows[both.day <= day], known.rows)


def test_a_state_counts_once_in_the_activity_column_not_for_as_long_as_it_lasts() -> None:
    state = EventArrays(
        np.array([0]), np.array([0]), np.array([0.0]), np.array([0.5]), until=np.array([np.inf])
    )
    both = with_activity(state, 3)
    now = evidence_at(both, 1, np.append(HALF_LIVES, 730.0), 730.0)[0]
    assert now[0] == 0.5  # the open state holds its weight
    assert now[3] == 0.5  # one event, two years old: half of one
    nothing = EventArrays(np.array([0]), np.array([1]), np.array([0.0]), np.array([0.0]))
    assert evidence_at(with_activity(nothing, 3), 1, np.append(HALF_LIVES, 730.0), 1.0)[0, 3] == 0

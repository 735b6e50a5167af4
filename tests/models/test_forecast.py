"""The fast forecast path: consistent across horizons, phrased, explained."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from models.forecast import (
    forecast_pair,
    horizon_draws,
    mean_without,
    series_draws,
    type_contributions,
)
from models.phrases import band_span, phrase

HL = np.array([60.0, 180.0, 365.0])


@settings(max_examples=80, deadline=None)
@given(
    arrays(float, 50, elements=st.floats(-12, 2)),
    arrays(float, (50, 3), elements=st.floats(-3, 3)),
    arrays(float, 3, elements=st.floats(0, 5)),
    st.lists(st.integers(1, 1825), min_size=2, max_size=6, unique=True),
    st.booleans(),
)
def test_probability_never_decreases_with_the_horizon_for_any_draw(
    alpha: np.ndarray, beta: np.ndarray, ev: np.ndarray, horizons: list[int], arrivals: bool
) -> None:
    horizons = sorted(horizons)
    rate = np.array([0.01, 0.0, 0.005]) if arrivals else None
    draws = horizon_draws(alpha, beta, ev, HL, horizons, 7.0, rate)
    assert draws.shape == (50, len(horizons))
    assert np.all((draws >= 0) & (draws <= 1))
    assert np.all(np.diff(draws, axis=1) >= -1e-12)


def test_partial_week_is_counted_fractionally() -> None:
    """A constant weekly hazard h: survival over d days is (1 - h)^(d/7), for a horizon
    inside the first week, on a week's boundary, within a week and at the last step."""
    alpha, beta = np.array([-3.0]), np.zeros((1, 3))
    h = 1 / (1 + np.exp(3.0))
    days = [3, 7, 10, 364, 365]
    survival = 1 - horizon_draws(alpha, beta, np.zeros(3), HL, days)[0]
    assert np.allclose(survival, (1 - h) ** (np.array(days) / 7), rtol=1e-12)


def test_summary_carries_interval_and_phrase() -> None:
    rng = np.random.default_rng(1)
    results = forecast_pair(
        rng.normal(-5, 0.5, 1000),
        rng.normal(0.5, 0.2, (1000, 3)),
        np.array([1.0, 0.5, 0.0]),
        HL,
        [30, 90, 180, 365],
    )
    assert [r.horizon_days for r in results] == [30, 90, 180, 365]
    for r in results:
        assert 0 <= r.q05 <= r.mean <= r.q95 <= 1
        assert r.phrase == phrase(r.mean)
        assert r.phrase_uncertain == (band_span(r.q05, r.q95) > 1)


def test_positive_evidence_raises_and_cohesion_lowers_the_risk() -> None:
    rng = np.random.default_rng(2)
    alpha = rng.normal(-5, 0.2, 500)
    beta = np.column_stack([rng.normal(1.0, 0.1, 500), rng.normal(-1.0, 0.1, 500), np.zeros(500)])

    def p90(ev: list[float]) -> float:
        return forecast_pair(alpha, beta, np.array(ev), HL, [90])[0].mean

    assert p90([1.0, 0, 0]) > p90([0, 0, 0]) > p90([0, 1.0, 0])
    # Expected new arrivals of a risky type raise the forecast too.
    with_arrivals = forecast_pair(alpha, beta, np.zeros(3), HL, [90], 7.0, np.array([0.02, 0, 0]))[
        0
    ].mean
    assert with_arrivals > p90([0, 0, 0])


def test_type_shares_sum_to_one_and_keep_signs() -> None:
    beta = np.array([[1.0, -2.0, 0.5]] * 10)
    out = type_contributions(beta, np.array([1.0, 0.5, 0.0]), ["a", "b", "c"])
    assert [k for k, _, _ in out] == ["a", "b", "c"]
    assert np.isclose(sum(s for _, _, s in out), 1.0)
    assert out[0][1] > 0 > out[1][1] and out[2][1] == 0


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0, "remote"),
        (0.049, "remote"),
        (0.05, "very unlikely"),
        (0.2, "unlikely"),
        (0.449, "unlikely"),
        (0.45, "roughly even chance"),
        (0.55, "likely"),
        (0.8, "very likely"),
        (0.95, "almost certain"),
        (1.0, "almost certain"),
    ],
)
def test_icd203_bands(p: float, expected: str) -> None:
    assert phrase(p) == expected


def test_band_span() -> None:
    assert band_span(0.21, 0.40) == 1 and band_span(0.04, 0.30) == 3


def test_events_taken_out_in_one_pass_match_one_forecast_each() -> None:
    rng = np.random.default_rng(3)
    k = 5
    alpha, beta = rng.normal(-5, 0.5, 400), rng.normal(0.5, 0.4, (400, k))
    now, hl = rng.uniform(0, 2, k), rng.uniform(30, 200, k)
    rate = rng.uniform(0, 0.01, k)
    amounts = np.zeros((5, k))
    amounts[0, 0] = 0.5
    amounts[1, 3] = 0.2
    amounts[2, 3] = 9.0  # more than there is: all of it goes
    amounts[4, [1, 4]] = [0.3, 0.6]  # an event in two columns (its type's and activity's)
    base, without = mean_without(alpha, beta, now, hl, 90, amounts, 7.0, rate)
    (expected_base,) = forecast_pair(alpha, beta, now, hl, [90], 7.0, rate)
    assert base == pytest.approx(expected_base.mean)
    for amount, got in zip(amounts, without, strict=True):
        less = np.maximum(0.0, now - amount)
        (one,) = forecast_pair(alpha, beta, less, hl, [90], 7.0, rate)
        assert got == pytest.approx(one.mean)
    assert without[3] == pytest.approx(base) and without[2] < without[1] < base
    assert mean_without(alpha, beta, now, hl, 90, amounts[:0])[1].shape == (0,)


@pytest.mark.parametrize("horizon", [30, 365, 1825])
def test_a_series_in_one_pass_matches_one_forecast_per_point(horizon: int) -> None:
    rng = np.random.default_rng(4)
    k, n = 4, 9
    alpha, beta = rng.normal(-5, 0.5, 300), rng.normal(0.3, 0.4, (300, k))
    evidence, rate = rng.uniform(0, 2, (n, k)), rng.uniform(0, 0.01, (n, k))
    hl = rng.uniform(30, 200, k)
    got = series_draws(alpha, beta, evidence, hl, horizon, 7.0, rate)
    assert got.shape == (n, 300)
    for i in range(n):
        expected = horizon_draws(alpha, beta, evidence[i], hl, [horizon], 7.0, rate[i])[:, 0]
        np.testing.assert_allclose(got[i], expected, rtol=1e-10, atol=1e-12)


def test_drawn_arrivals_keep_the_mean_pace_and_add_the_risk_a_plug_in_misses() -> None:
    """Arrivals drawn per draw have the recent pace as their mean; since the hazard is
    convex in the evidence, they forecast more risk than plugging that mean in."""
    from models.forecast import horizon_draws, project_evidence, simulated_arrivals

    hl = np.array([180.0, 240.0])
    rate = np.array([0.004, 0.002])  # graded evidence per day
    count = np.array([0.01, 0.005])  # events per day
    active, paths = simulated_arrivals(rate, count, hl, 53, 7.0, n_paths=4000)
    assert active.tolist() == [0, 1]
    expected, _ = project_evidence(np.zeros(2), hl, 53, 7.0, rate)
    np.testing.assert_allclose(paths.mean(axis=0)[:, -1], expected[:, -1], rtol=0.05)
    alpha, beta = np.full(500, -6.5), np.tile([3.0, 2.5], (500, 1))
    plug_in = horizon_draws(alpha, beta, np.zeros(2), hl, [365], 7.0, rate).mean()
    drawn = horizon_draws(alpha, beta, np.zeros(2), hl, [365], 7.0, rate, None, count).mean()
    assert drawn > plug_in * 1.02
    again = horizon_draws(alpha, beta, np.zeros(2), hl, [365], 7.0, rate, None, count).mean()
    assert again == drawn  # a fixed seed: every process computes the same forecast


@pytest.mark.parametrize(("n_paths", "n_steps"), [(250, 53), (7, 2), (40, 261), (250, 261)])
def test_arrival_paths_are_the_plain_recurrence_over_the_seeded_draws(
    n_paths: int, n_steps: int
) -> None:
    """The paths are exactly what stepping each path forward gives — decay a step, add what
    arrived — over uniforms drawn from the fixed seed in (paths, types, steps) order, the
    same whether the process has drawn that shape before or not (they are kept per shape,
    up to a size: 250 paths × 3 types × 261 steps are drawn each time)."""
    from models.forecast import ARRIVAL_SEED, simulated_arrivals

    hl = np.array([120.0, 240.0, 730.0, 180.0])
    rate = np.array([0.004, 0.0, 0.001, 0.002])
    count = np.array([0.01, 0.0, 0.002, 0.004])  # the second type had no recent event
    first = simulated_arrivals(rate, count, hl, n_steps, 7.0, n_paths)
    active, paths = simulated_arrivals(rate, count, hl, n_steps, 7.0, n_paths)
    assert active.tolist() == [0, 2, 3] and np.array_equal(first[1], paths)

    p = -np.expm1(-count[active] * 7.0)
    per_step = 0.5 ** (7.0 / hl[active])
    landed = rate[active] * 7.0 / p * np.sqrt(per_step)
    u = np.random.default_rng(ARRIVAL_SEED).random((n_paths, active.size, n_steps - 1))
    expected = np.zeros((n_paths, active.size, n_steps))
    for step in range(1, n_steps):
        arrived = (u[:, :, step - 1] < p) * landed
        expected[:, :, step] = expected[:, :, step - 1] * per_step + arrived
    assert np.array_equal(paths, expected)


def test_an_open_state_is_held_over_the_horizon() -> None:
    from models.forecast import horizon_draws

    hl = np.array([90.0])
    alpha, beta = np.full(100, -6.0), np.full((100, 1), 2.0)
    decays = horizon_draws(alpha, beta, np.array([1.0]), hl, [365]).mean()
    held = horizon_draws(alpha, beta, np.array([1.0]), hl, [365], 7.0, None, np.array([1.0]))
    assert held.mean() > decays * 1.5


def test_no_share_of_a_near_zero_total() -> None:
    rows = type_contributions(np.full((10, 2), 0.5), np.array([0.001, 0.0005]), ["a", "b"])
    assert [share for _, _, share in rows] == [None, None]

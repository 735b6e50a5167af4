"""The digits a forecast probability is published with."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from models.precision import figures, honest


def test_examples_keep_two_significant_figures_of_the_distance_from_certainty() -> None:
    assert honest(0.213456) == 0.21
    assert honest(0.0354781) == 0.035
    assert honest(0.00041234) == 0.00041
    assert honest(0.98712) == 0.987
    assert honest(-0.0123) == -0.012  # a change in probability
    assert honest(0.0) == 0.0 and honest(1.0) == 1.0


@given(st.floats(min_value=1e-300, max_value=1 - 1e-12))
def test_a_possible_event_is_never_published_as_impossible_or_certain(p: float) -> None:
    q = honest(p)
    assert 0.0 < q < 1.0
    distance = min(p, 1 - p)
    # Within half a unit of the second significant figure of the distance: 5% of it at worst.
    assert abs(q - p) <= 0.05 * distance * (1 + 1e-9)
    assert honest(q) == q


@given(st.floats(min_value=1e-300, max_value=1 - 1e-6))  # nearer 1, floats blur 1 − p
def test_published_values_carry_at_most_two_significant_figures(p: float) -> None:
    q = honest(p)
    distance = min(q, 1 - q)
    if distance > 0:
        scaled = distance / 10 ** (math.floor(math.log10(distance)) - 1)
        assert abs(scaled - round(scaled)) < 1e-6  # two digits, then only float noise


def test_a_drivers_figures_keep_three_significant_figures() -> None:
    assert figures(2.000314990314322) == 2.0
    assert figures(0.0023974824152773896) == 0.0024
    assert figures(-1.23456) == -1.23
    assert figures(1011.5) == 1010.0
    assert figures(0.0) == 0.0 and math.isnan(figures(float("nan")))


@given(st.floats(min_value=-1e6, max_value=1e6).filter(lambda x: abs(x) > 1e-12))
def test_a_drivers_figure_moves_by_at_most_half_its_third_digit(x: float) -> None:
    q = figures(x)
    assert abs(q - x) <= 0.005 * abs(x) * (1 + 1e-9)
    assert figures(q) == q

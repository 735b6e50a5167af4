"""The track record's arithmetic on arrays (models.record): base rates per horizon, the
reference they make, and the cases where a score is undefined."""

from __future__ import annotations

import numpy as np
import pytest

from models import record


def test_the_reference_is_each_window_s_horizon_base_rate() -> None:
    horizons = np.array([30, 30, 30, 90, 90])
    y = np.array([0, 1, 0, 1, 1])
    assert record.base_rates(horizons, y) == {30: pytest.approx(1 / 3), 90: 1.0}
    assert record.reference(horizons, y).tolist() == pytest.approx([1 / 3] * 3 + [1.0] * 2)


def test_a_group_s_scores_by_hand() -> None:
    p = np.array([0.2, 0.6])
    y = np.array([0.0, 1.0])
    ref = np.array([0.5, 0.5])
    g = record.group("g", p, y, np.array([True, False]), ref)
    assert (g.n, g.n_ruptured, g.inside) == (2, 1, 1)
    assert g.brier == pytest.approx((0.04 + 0.16) / 2)
    assert g.brier_base_rate == pytest.approx(0.25)
    assert g.brier_skill == pytest.approx(1 - 0.1 / 0.25)
    assert g.log_score == pytest.approx((np.log(0.8) + np.log(0.6)) / 2)
    assert g.coverage == 0.5 and 0 < g.coverage_ci[0] < 0.5 < g.coverage_ci[1] < 1


def test_skill_is_undefined_when_the_base_rate_is_perfect() -> None:
    p = np.array([0.1, 0.3])
    y = np.zeros(2)
    g = record.group("quiet", p, y, np.ones(2, dtype=bool), record.reference(np.array([30, 30]), y))
    assert g.brier_base_rate == 0 and g.brier_skill is None
    assert [
        x.key
        for x in record.grouped(
            ["b", "a", "b"], np.ones(3) / 2, np.zeros(3), np.ones(3), np.zeros(3)
        )
    ] == ["a", "b"]
    assert record.reliability(np.array([]), np.array([])) == []

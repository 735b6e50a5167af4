"""A small simulation-based calibration in every test run (a larger one: benchmarks/sbc.py)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from models.sbc import CONFIG, sbc_ranks

REPS = 24
BINS = 4


def test_sbc_ranks_are_uniform_and_intervals_cover() -> None:
    ranks, covered = sbc_ranks(REPS, seed=1000)
    counts = np.histogram(ranks.ravel(), bins=BINS, range=(0, CONFIG.thin_to + 1))[0]
    assert stats.chisquare(counts).pvalue > 0.001, counts
    coverage = stats.binomtest(int(covered.sum()), covered.size, 0.9)
    assert coverage.pvalue > 0.001, covered.mean()

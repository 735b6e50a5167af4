"""How many digits of a forecast probability the model can honestly claim.

A probability is the mean of about a thousand posterior draws, so its Monte Carlo error is
a few per cent of its distance from 0 or 1 (for 3.5% with an interval of 0.4–8.8%, about
0.1 points). Two significant figures of that distance are therefore real and a third is
noise: 0.21, 0.035, 0.0041 and 0.987 — never 0.0 for a small chance, which reads as
impossible, and never the seventeen digits of a float.

A driver's figures — its evidence (a decayed sum of graded weights), its contribution to
the log-odds (the posterior mean of a coefficient over those draws, times the evidence) and
its share — are known to a few per cent likewise: three significant figures.
"""

from __future__ import annotations

import math

SIGNIFICANT = 2
DRIVER_FIGURES = 3


def honest(p: float) -> float:
    """`p` (a probability, or a difference of two) rounded to two significant figures of
    its distance from the nearer of 0 and 1."""
    if not math.isfinite(p):
        return p
    distance = min(abs(p), abs(1.0 - p)) if 0.0 <= p <= 1.0 else abs(p)
    if distance == 0.0:
        return float(p)
    decimals = SIGNIFICANT - 1 - math.floor(math.log10(distance))
    return round(p, max(SIGNIFICANT, decimals))


def figures(x: float, digits: int = DRIVER_FIGURES) -> float:
    """`x` rounded to `digits` significant figures (a driver's evidence, contribution or
    share: 2.000314990314322 is 2.0, 0.0023974824152773896 is 0.0024)."""
    if not math.isfinite(x) or x == 0.0:
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))

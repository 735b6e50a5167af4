"""ICD 203 estimative language: the words an analyst uses for a probability."""

from __future__ import annotations

import bisect

# Lower edges of the bands of Intelligence Community Directive 203 (2015).
EDGES = (0.05, 0.20, 0.45, 0.55, 0.80, 0.95)
PHRASES = (
    "remote",
    "very unlikely",
    "unlikely",
    "roughly even chance",
    "likely",
    "very likely",
    "almost certain",
)
RANGES = ("01–05%", "05–20%", "20–45%", "45–55%", "55–80%", "80–95%", "95–99%")


def band(p: float) -> int:
    return bisect.bisect_right(EDGES, p)


def phrase(p: float) -> str:
    return PHRASES[band(p)]


def band_range(p: float) -> str:
    return RANGES[band(p)]


def band_span(lo: float, hi: float) -> int:
    """How many bands the interval [lo, hi] touches."""
    return band(hi) - band(lo) + 1

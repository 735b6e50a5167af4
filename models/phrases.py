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
# The scale's ends: ICD 203 puts "remote" at 1–5% and "almost certain" at 95–99%.
BOUNDS = (0.01, *EDGES, 0.99)
SCALE = tuple(zip(PHRASES, BOUNDS[:-1], BOUNDS[1:], strict=True))  # (phrase, lower, upper)
RANGES = tuple(f"{lo * 100:02.0f}–{hi * 100:02.0f}%" for _, lo, hi in SCALE)
# The footnote under every estimate: the scale in words, read off SCALE (the brief, the
# command line and the API's GET /v1/meta, which the dashboard shows, all print this one).
FOOTNOTE = (
    "Estimative language per ICD 203: "
    + ", ".join(f"{word} {lo * 100:.0f}–{hi * 100:.0f}%" for word, lo, hi in SCALE)
    + ". Intervals are 90% credible intervals."
)


def band(p: float) -> int:
    return bisect.bisect_right(EDGES, p)


def phrase(p: float) -> str:
    return PHRASES[band(p)]


def band_range(p: float) -> str:
    return RANGES[band(p)]


def band_span(lo: float, hi: float) -> int:
    """How many bands the interval [lo, hi] touches."""
    return band(hi) - band(lo) + 1
